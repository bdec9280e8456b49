// Accounts and their administration: registration, email verification, the review of new
// registrations, and the administrator's actions on an account.
#pragma once

#include <filesystem>
#include <string_view>

#include <boost/json/object.hpp>

#include "sandbox/api_error.hpp"
#include "sandbox/store.hpp"

namespace portal::sandbox {

class Accounts {
 public:
  explicit Accounts(Store& store) : m_store(store) {}

  // GET /v1/organizations?npi=: the organisations registered under an NPI.
  ApiResult<boost::json::object> organizations(std::string_view npi);
  // POST /v1/registrations: a pending account (201), emailed that it was received.
  ApiResult<boost::json::object> register_account(const boost::json::object& body);
  // POST /v1/email-verifications: activates an approved account with the emailed code.
  ApiResult<boost::json::object> verify_email(const boost::json::object& body);
  // POST /v1/email-verifications/resend {email}: a new code (the old ones void) when the address
  // has an approved account waiting for verification. The answer is the same whether it has or
  // not; requests are limited per address, existing or not (429 rate_limited with retry_after).
  ApiResult<boost::json::object> resend_verification(const boost::json::object& body);

  // Administration: approve, reject, disable, unlock (also reactivates an inactive account),
  // reset-password (emails a reset code), resend-verification (a new verification code).
  ApiResult<boost::json::object> admin_action(std::string_view action, std::string_view email);
  // The registrations in `status` ("" for all).
  ApiResult<boost::json::object> admin_registrations(std::string_view status);
  // Whether `token` is the administrator's bearer token.
  bool admin_token_matches(std::string_view token);
  // DATA_DIR/admin-token (0600).
  const std::filesystem::path& admin_token_file() const { return m_store.admin_token_file; }

 private:
  // Voids the account's verification codes and emails a new one, valid 7 days.
  void send_verification_locked(const User& user, SysTime now, bool resent);

  Store& m_store;
};

}  // namespace portal::sandbox
