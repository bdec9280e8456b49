// The users and login_guards tables as the account rooms share them: one account as read, the
// lookups, the sign-in lockout (counted per email whether an account exists or not), and the
// answers registration, sign-in and the profile all give.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portal/util/clock.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/db.hpp"

namespace portal::sandbox {

inline constexpr auto k_lockout_threshold = 5;
inline constexpr std::chrono::minutes k_lockout_duration{15};

// One row of `users`.
struct User {
  std::string id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax,
      organization_id, status, password_hash, totp_secret, totp_pending;
  std::int64_t password_changed_at = 0, created_at = 0, totp_last_step = 0;
  std::optional<std::int64_t> last_login_at, activated_at;
};

// The live account with this (normalised) email, or else the newest disabled or rejected one.
std::optional<User> find_user_by_email(Database& db, const std::string& email);
std::optional<User> find_user_by_id(Database& db, const std::string& id);

// 423 account_locked while `email` is locked out at `now`, nullopt otherwise.
std::optional<ApiError> lock_error(Database& db, const std::string& email, SysTime now);
// Counts a failed attempt for `email`: `base` with attempts_remaining, or the lockout error when
// this was the k_lockout_threshold-th failure.
ApiError record_failure(Database& db, const std::string& email, SysTime now, ApiError base);

// Emails are shown masked in answers so an answer never confirms a full address.
std::string mask_email(const std::string& email);

// 422 password_rejected with `why` as the password field's error.
ApiError password_rejected(const std::string& why);

// What a one-time code is stored as: SHA-256 of the scope (a user id or a token) and the code.
std::string code_hash(std::string_view scope, std::string_view code);

}  // namespace portal::sandbox
