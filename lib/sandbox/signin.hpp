// Sign-in and sessions: login with a mandatory second factor (emailed code or TOTP), lockouts,
// inactivity, expired passwords, password reset, and the bearer sessions (sliding expiry kept in
// memory, written back at most every k_session_touch_interval).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/store.hpp"

namespace portal::sandbox {

inline constexpr std::chrono::days k_inactivity_limit{45};
inline constexpr std::chrono::minutes k_email_code_ttl{10};
inline constexpr std::chrono::minutes k_session_idle{30};
inline constexpr std::chrono::hours k_session_absolute{12};
// A session's sliding expiry is written to the database at most this often (it is kept in
// memory between writes), so authenticating a request does not write on every request.
inline constexpr std::chrono::seconds k_session_touch_interval{5};
// How long CAQH CORE's authentication remembers a verified username and password.
inline constexpr std::chrono::minutes k_core_credential_ttl{10};

class SignIn {
 public:
  explicit SignIn(Store& store) : m_store(store) {}

  // Public endpoints (bodies as in docs/api.md): the password step, then the second factor.
  ApiResult<boost::json::object> login(const boost::json::object& body);
  ApiResult<boost::json::object> mfa_email(const boost::json::object& body);
  ApiResult<boost::json::object> mfa_verify(const boost::json::object& body);
  ApiResult<boost::json::object> expired_password_change(const boost::json::object& body);
  ApiResult<boost::json::object> password_reset(const boost::json::object& body);

  // Maps a bearer token to the user id (sliding expiry).
  ApiResult<std::string> authenticate(std::string_view token);

  // CAQH CORE's authentication (docs/core.md): the email and password of an active account
  // whose password has not expired, with no second factor; the user id. A verified pair is
  // remembered for k_core_credential_ttl in Store::credentials, so only a miss pays for Argon2
  // and counts as a sign-in (last_login_at); requests that bring a pair already being verified
  // wait for that verification rather than pay for their own. Failures count toward the lockout
  // like logins. Errors are 401 with why: invalid_credentials, account_locked, account_disabled,
  // account_rejected, account_pending_review, email_not_verified, account_inactive,
  // password_expired.
  ApiResult<std::string> verify_credentials(std::string_view username, std::string_view password);
  // CORE's other identity: the subject (CN, an account's email) of a client certificate the TLS
  // handshake verified against the sandbox's client CA (--client-ca). The account must be
  // active as for verify_credentials; its password does not matter. The user id, or 401.
  ApiResult<std::string> verify_certificate_holder(std::string_view subject);
  // How many verify_credentials calls the cache answered.
  std::uint64_t credential_cache_hits() const { return m_credential_hits.load(); }
  // A new token for a live one (the old one ends), and the end of a session.
  ApiResult<boost::json::object> refresh(std::string_view token);
  ApiResult<boost::json::object> logout(std::string_view token);

 private:
  std::optional<ApiError> account_state_error(const User& user, SysTime now);
  ApiResult<boost::json::object> start_session(const User& u, SysTime now);

  Store& m_store;
  std::atomic<std::uint64_t> m_credential_hits{0};
  // The credential keys whose Argon2 check is running (under m_store.mutex), and the signal
  // that one has ended.
  std::unordered_set<std::string> m_verifying;
  std::condition_variable m_verified;
};

}  // namespace portal::sandbox
