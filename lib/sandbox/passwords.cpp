#include "sandbox/passwords.hpp"

#include <argon2.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace portal::sandbox {

namespace {
constexpr std::uint32_t k_time_cost = 2;
constexpr std::uint32_t k_memory_kib = 19 * 1024;
constexpr std::uint32_t k_parallelism = 1;
constexpr std::size_t k_salt_len = 16;
constexpr std::size_t k_hash_len = 32;
}  // namespace

std::string hash_password(std::string_view password) {
  unsigned char salt[k_salt_len];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("random generator failed");
  std::size_t len = argon2_encodedlen(k_time_cost, k_memory_kib, k_parallelism, k_salt_len,
                                      k_hash_len, Argon2_id);
  std::vector<char> encoded(len);
  int rc = argon2id_hash_encoded(k_time_cost, k_memory_kib, k_parallelism, password.data(),
                                 password.size(), salt, sizeof salt, k_hash_len, encoded.data(),
                                 encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool verify_password(std::string_view password, const std::string& encoded_hash) {
  return argon2id_verify(encoded_hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void burn_password_check(std::string_view password) {
  static const std::string k_dummy = hash_password("provportal-dummy-password");
  verify_password(password, k_dummy);
}

}  // namespace portal::sandbox
