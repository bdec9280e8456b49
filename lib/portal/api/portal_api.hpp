// Typed calls for each operation of the portal's HTTP API (docs/api.md), with retries (retry.hpp)
// and the mapping of the portal's JSON errors to portal::Error. Commands use this; they never build
// requests or bodies themselves.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/api/retry.hpp"
#include "portal/http/client.hpp"
#include "portal/http/observer.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/error.hpp"

namespace portal::api {

// The answer to POST /v1/auth/login: the first step succeeded, a second factor is due.
struct LoginChallenge {
  std::string mfa_token;
  std::vector<std::string> factors;  // "totp" and/or "email"
  bool password_expired = false;
  std::optional<SysTime> server_time;
  std::chrono::steady_clock::time_point received_at;  // when the answer arrived (for server time)
  int expires_in = 0;

  bool offers(std::string_view factor) const;
  // The portal's clock now: server_time plus the time elapsed since the answer (or the local
  // clock when the portal sent no time).
  SysTime server_now() const;
};

// A session the portal granted.
struct SessionGrant {
  std::string token;
  std::string expires_at;  // RFC 3339, as the portal sent it
  boost::json::object user;
};

// The answer to POST /v1/auth/mfa/verify.
struct MfaResult {
  std::optional<SessionGrant> session;  // set unless a password change is required
  std::string password_change_token;    // set when the password expired
};

// A pending TOTP enrolment.
struct TotpEnrolment {
  std::string secret;
  std::string otpauth_uri;
};

class OutageWait;

// Maps one non-2xx answer of the portal to an Error (kind, message, hint, fields, status, code).
Error map_error(const http::Response& response);

// `s` percent-encoded for a URL path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

// The client of the portal API. Not thread-safe (one per thread, like http::Client).
class PortalApi {
 public:
  explicit PortalApi(std::unique_ptr<http::Client> client, RetryPolicy retry = {});

  // The session token sent as "Authorization: Bearer" from now on (empty: none).
  void set_token(std::string token);
  // The session token in use (empty: none); batch runners send it on their own connections.
  const std::string& token() const { return m_token; }
  // Replaces the wait between retries (tests use a no-op).
  void set_sleep(std::function<void(std::chrono::milliseconds)> sleep);
  // Tells `observer` (not owned; null: none) of every exchange and request (metrics, audit).
  void set_observer(http::Observer* observer) { m_observer = observer; }
  // --wait: an announced outage (the maintenance window, a long Retry-After) is waited out
  // through `wait` (not owned; null: reported as an error at once).
  void set_outage_wait(OutageWait* wait) { m_wait = wait; }
  // After a session request is refused with session_invalid: the token to send it with once
  // more (nullopt: none, the refusal stands). Optional.
  using Renewal = std::function<Expected<std::optional<std::string>>(const std::string& rejected)>;
  void set_renewal(Renewal renewal) { m_renewal = std::move(renewal); }
  const std::string& base_url() const;

  // GET /v1/health: {status, time, maintenance}.
  Expected<boost::json::object> health();
  // GET /v1/organizations?npi=N: the organisations with that NPI.
  Expected<boost::json::array> organizations(std::string_view npi);
  // POST /v1/registrations with the record and the password: {id, email, status, organization}.
  Expected<boost::json::object> register_account(const boost::json::object& record,
                                                 std::string_view password);
  // POST /v1/email-verifications.
  Expected<boost::json::object> verify_email(std::string_view email, std::string_view code);
  // POST /v1/email-verifications/resend: asks for a new verification code (the portal answers
  // the same whether or not the address has an account waiting; 429 when asked too often).
  Expected<boost::json::object> resend_verification(std::string_view email);
  // POST /v1/auth/login: the first factor.
  Expected<LoginChallenge> login(std::string_view email, std::string_view password);
  // POST /v1/auth/mfa/email: mails a one-time passcode; {sent_to, expires_at}.
  Expected<boost::json::object> send_email_code(std::string_view mfa_token);
  // POST /v1/auth/mfa/verify with factor "email" or "totp".
  Expected<MfaResult> verify_mfa(std::string_view mfa_token, std::string_view factor,
                                 std::string_view code);
  // POST /v1/auth/password/expired: sets the new password and opens a session.
  Expected<SessionGrant> change_expired_password(std::string_view change_token,
                                                 std::string_view new_password);
  // POST /v1/auth/refresh (session): a new token replacing the current one.
  Expected<SessionGrant> refresh();
  // POST /v1/auth/logout (session).
  Expected<void> logout();
  // POST /v1/password-resets: completes an administrator's reset.
  Expected<boost::json::object> reset_password(std::string_view email, std::string_view code,
                                               std::string_view new_password);
  // GET /v1/profile (session).
  Expected<boost::json::object> profile();
  // POST /v1/profile/password (session).
  Expected<void> change_password(std::string_view current_password, std::string_view new_password);
  // POST /v1/profile/mfa/totp (session): a pending enrolment.
  Expected<TotpEnrolment> enrol_totp();
  // POST /v1/profile/mfa/totp/confirm (session).
  Expected<boost::json::object> confirm_totp(std::string_view code);
  // POST /v1/profile/mfa/totp/disable (session).
  Expected<boost::json::object> disable_totp(std::string_view password);
  // GET /v1/limits: additional_info_max_chars, document_max_bytes, document_content_types, ...
  Expected<boost::json::object> limits();
  // GET /v1/solutions?health_plan=ID (session): {"solutions": [{id, name, acmp, questions}]}.
  Expected<boost::json::object> solutions(std::string_view health_plan);
  // GET /v1/cases/{order_id} (session): the order; ErrorKind::refused (not_found) for an
  // unknown order or another organisation's.
  Expected<boost::json::object> get_case(std::string_view order_id);
  // Sends `request` (a wire built it) with the retries the method allows, the session added
  // when `with_session`: the 2xx answer, or the portal's refusal mapped to an Error.
  Expected<http::Response> send(http::Request request, bool with_session = true);

 private:
  // One exchange with retries as the method allows; 2xx answers are returned, others mapped.
  Expected<http::Response> call(std::string method, std::string target,
                                const boost::json::object* body, bool with_session);
  // The same for a request built whole; `body` is its body parsed (for the audit), or null.
  Expected<http::Response> exchange(http::Request req, const boost::json::object* body,
                                    bool with_session);
  // The attempts of one request until a final answer (kept in `final_answer`, 2xx or not).
  Expected<http::Response> send_until_final(const http::Request& req,
                                            std::optional<http::Response>& final_answer);
  Expected<boost::json::object> call_json(std::string method, std::string target,
                                          const boost::json::object* body, bool with_session);

  std::unique_ptr<http::Client> m_client;
  RetryPolicy m_retry;
  std::string m_token;
  Renewal m_renewal;
  std::function<void(std::chrono::milliseconds)> m_sleep;
  http::Observer* m_observer = nullptr;
  OutageWait* m_wait = nullptr;
};

}  // namespace portal::api
