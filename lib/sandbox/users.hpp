// The users table as the account rooms share it: one account as read, and the helpers that
// registration, sign-in and the profile all use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/api_error.hpp"
#include "sandbox/portal.hpp"

namespace portal::sandbox {

struct Portal::User {
  std::string id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax,
      organization_id, status, password_hash, totp_secret, totp_pending;
  std::int64_t password_changed_at = 0, created_at = 0, totp_last_step = 0;
  std::optional<std::int64_t> last_login_at, activated_at;
};

// The columns read_user() expects, in its order.
inline constexpr const char* k_user_columns =
    "id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax, organization_id, "
    "status, password_hash, totp_secret, totp_pending, password_changed_at, created_at, "
    "totp_last_step, last_login_at, activated_at";

// Emails are shown masked in answers so an answer never confirms a full address.
inline std::string mask_email(const std::string& email) {
  auto at = email.find('@');
  if (at == std::string::npos || at == 0) return "***";
  return email.substr(0, 1) + "***" + email.substr(at);
}

// 422 password_rejected with `why` as the password field's error.
ApiError password_rejected(const std::string& why);

// What a one-time code is stored as: SHA-256 of the scope (a user id or a token) and the code.
std::string code_hash(std::string_view scope, std::string_view code);

}  // namespace portal::sandbox
