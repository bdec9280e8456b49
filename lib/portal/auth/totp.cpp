#include "portal/auth/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace portal::auth {

namespace {
constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string uri_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}
}  // namespace

std::string base32_encode(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (auto b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += k_alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += k_alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '=') continue;
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else
      return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string hotp(const std::vector<std::uint8_t>& key, std::uint64_t counter, int digits) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &mac_len)) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  int offset = mac[mac_len - 1] & 0x0f;
  std::uint32_t bin = (std::uint32_t(mac[offset] & 0x7f) << 24) |
                      (std::uint32_t(mac[offset + 1]) << 16) |
                      (std::uint32_t(mac[offset + 2]) << 8) | std::uint32_t(mac[offset + 3]);
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string code = std::to_string(bin % mod);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::uint64_t totp_step(SysTime t, int period) {
  auto secs = t.time_since_epoch().count();
  return secs < 0 ? 0 : static_cast<std::uint64_t>(secs) / static_cast<std::uint64_t>(period);
}

std::optional<std::string> totp_code(std::string_view base32_secret, SysTime t) {
  auto key = base32_decode(base32_secret);
  if (!key) return std::nullopt;
  return hotp(*key, totp_step(t));
}

std::string new_totp_secret() {
  std::vector<std::uint8_t> bytes(20);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the system's random generator failed");
  }
  return base32_encode(bytes);
}

std::string otpauth_uri(std::string_view base32_secret, std::string_view account) {
  return "otpauth://totp/provportal:" + uri_escape(account) +
         "?secret=" + std::string(base32_secret) +
         "&issuer=provportal&algorithm=SHA1&digits=6&period=30";
}

}  // namespace portal::auth
