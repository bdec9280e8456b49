// Password hashing for the sandbox: Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1).
#pragma once

#include <string>
#include <string_view>

namespace portal::sandbox {

// The PHC-format Argon2id hash of `password` with a fresh 16-byte salt.
std::string hash_password(std::string_view password);

// True when `password` matches the PHC-format hash.
bool verify_password(std::string_view password, const std::string& encoded_hash);

// Spends the same effort as a verification, for unknown accounts (no timing oracle).
void burn_password_check(std::string_view password);

}  // namespace portal::sandbox
