#include "portal/util/crypto.hpp"

// SHA256_Init() and the rest are deprecated in OpenSSL 3 in favour of EVP, which OpenSSL 3.0
// makes a provider context for and frees at every digest (and its SHA256() looks the algorithm up
// by name): for the short inputs hashed per batch row (an idempotency key, its trace) that costs
// several times the hashing itself.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "portal/util/strings.hpp"

#include <stdexcept>
#include <vector>

namespace portal {

namespace {
void random_bytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) throw std::runtime_error("the system's random generator failed");
}
}  // namespace

std::array<unsigned char, 32> sha256(std::string_view data) {
  static_assert(SHA256_DIGEST_LENGTH == 32);
  std::array<unsigned char, 32> md;
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data.data(), data.size()) != 1 ||
      SHA256_Final(md.data(), &ctx) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return md;
}

void assign_sha256_hex(std::string& out, std::string_view data) {
  const auto md = sha256(data);
  util::assign_hex(out, std::string_view(reinterpret_cast<const char*>(md.data()), md.size()));
}

std::string sha256_hex(std::string_view data) {
  std::string out;
  assign_sha256_hex(out, data);
  return out;
}

std::string random_token(int bytes) {
  std::vector<unsigned char> buf(static_cast<std::size_t>(bytes));
  random_bytes(buf.data(), bytes);
  static const char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (auto b : buf) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      out += k_alphabet[(acc >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += k_alphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::string random_digits(int digits) {
  std::string out;
  while (static_cast<int>(out.size()) < digits) {
    unsigned char b;
    random_bytes(&b, 1);
    if (b < 250) out += static_cast<char>('0' + b % 10);  // rejection sampling keeps it uniform
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace portal
