#include "portal/util/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "portal/util/strings.hpp"

#include <stdexcept>
#include <vector>

namespace portal {

namespace {
void random_bytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) throw std::runtime_error("the system's random generator failed");
}
}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up again on every digest,
  // which costs as much as hashing a batch row's key material. A context per thread, reset by
  // each init, spares EVP_Digest()'s making and freeing one per call.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  if (!sha256 || !context.ctx || EVP_DigestInit_ex2(context.ctx, sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, md, &len) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return util::hex(std::string_view(reinterpret_cast<const char*>(md), len));
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
