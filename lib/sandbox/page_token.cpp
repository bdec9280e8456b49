#include "sandbox/page_token.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "portal/util/crypto.hpp"

namespace portal::sandbox {

namespace {

constexpr char k_hex[] = "0123456789abcdef";

std::string hex_encode(std::string_view data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out += k_hex[c >> 4];
    out += k_hex[c & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string hmac_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace

std::string seal_page_token(std::string_view key, const std::vector<std::string>& fields) {
  std::string payload;
  for (std::size_t i = 0; i < fields.size(); ++i) payload += (i ? "," : "") + fields[i];
  return hex_encode(payload) + "." + hmac_hex(key, payload);
}

std::optional<std::vector<std::string>> open_page_token(std::string_view key,
                                                        std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto payload = hex_decode(token.substr(0, dot));
  if (!payload || !constant_time_equal(token.substr(dot + 1), hmac_hex(key, *payload)))
    return std::nullopt;
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t comma; (comma = payload->find(',', start)) != std::string::npos;
       start = comma + 1) {
    fields.push_back(payload->substr(start, comma - start));
  }
  fields.push_back(payload->substr(start));
  return fields;
}

}  // namespace portal::sandbox
