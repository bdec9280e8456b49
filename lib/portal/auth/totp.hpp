// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238, HMAC-SHA1, 30 s, 6 digits), Base32.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portal/util/clock.hpp"

namespace portal::auth {

// RFC 4648 Base32 without padding (upper-case); decoding ignores spaces, '-' and case.
std::string base32_encode(const std::vector<std::uint8_t>& bytes);
std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text);

// The HOTP value of `counter` with `digits` digits, zero-padded.
std::string hotp(const std::vector<std::uint8_t>& key, std::uint64_t counter, int digits = 6);

// The TOTP time step of an instant (unix seconds / 30).
std::uint64_t totp_step(SysTime t, int period = 30);

// The TOTP code of a Base32 secret at instant t; nullopt when the secret is not Base32.
std::optional<std::string> totp_code(std::string_view base32_secret, SysTime t);

// A new random secret of 20 bytes (160 bits, RFC 4226's recommendation), Base32.
std::string new_totp_secret();

// The otpauth:// URI an authenticator app scans (issuer "provportal", label issuer:account).
std::string otpauth_uri(std::string_view base32_secret, std::string_view account);

}  // namespace portal::auth
