// Small cryptographic helpers over OpenSSL: hashes and unguessable tokens.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace portal {

// SHA-256 of `data`.
std::array<unsigned char, 32> sha256(std::string_view data);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
// The same into `out` (replacing what it held), whose memory a loop can keep from call to call.
void assign_sha256_hex(std::string& out, std::string_view data);

// `bytes` random bytes from the system CSPRNG, base64url without padding.
std::string random_token(int bytes = 32);

// A uniformly random string of `digits` decimal digits (for one-time passcodes).
std::string random_digits(int digits);

// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace portal
