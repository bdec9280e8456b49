#include "portal/api/portal_api.hpp"

#include <algorithm>
#include <ctime>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/api/outage_wait.hpp"
#include "portal/log/log.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/maintenance.hpp"
#include "portal/util/strings.hpp"

namespace portal::api {

namespace json = boost::json;

namespace {

constexpr const char* k_login_hint = "run `provportal login`";

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

// RFC 3986's unreserved characters: what a path segment or query value keeps as it is.
bool is_unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// "14:05" in the machine's time zone.
std::string local_clock_time(SysTime t) {
  std::time_t tt = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M", &tm);
  return buf;
}

// When to try again after an answer: the time its Retry-After names, in UTC and local time, on
// this machine's clock (the portal's may differ), and how to wait for it unattended.
std::string retry_hint(const http::Response& r, std::string_view otherwise) {
  auto ra = retry_after(r);
  if (!ra) return "try again " + std::string(otherwise);
  auto at = std::chrono::system_clock::now() + *ra;
  return "try again after " + describe_utc_and_local(at) + ", in " + describe_duration(*ra) +
         "; or add --wait (with --max-wait DURATION) to wait for the portal and go on";
}

Error make(ErrorKind kind, std::string message, std::string hint, int status, std::string code) {
  Error e(kind, std::move(message), std::move(hint));
  e.http_status = status;
  e.code = std::move(code);
  return e;
}

Expected<SessionGrant> to_grant(const json::object& o) {
  SessionGrant g;
  g.token = str(o, "token");
  g.expires_at = str(o, "expires_at");
  if (g.token.empty()) {
    return fail(ErrorKind::unavailable, "the portal answered without a session token");
  }
  log::register_secret(g.token);
  if (auto it = o.find("user"); it != o.end() && it->value().is_object()) {
    g.user = it->value().get_object();
  }
  return g;
}

}  // namespace

std::string url_encode(std::string_view s) { return util::percent_encode(s, is_unreserved); }

bool LoginChallenge::offers(std::string_view factor) const {
  return std::find(factors.begin(), factors.end(), factor) != factors.end();
}

SysTime LoginChallenge::server_now() const {
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  received_at);
  if (server_time) return *server_time + elapsed;
  return SystemClock().now();
}

Error map_error(const http::Response& response) {
  const int status = response.status;
  json::object err;
  {
    boost::system::error_code ec;
    json::value body = json::parse(response.body, ec);
    if (!ec && body.is_object()) {
      if (auto it = body.get_object().find("error");
          it != body.get_object().end() && it->value().is_object()) {
        err = it->value().get_object();
      }
    }
  }
  std::string code = str(err, "code");
  std::string server_message = str(err, "message");
  auto server_or = [&](std::string fallback) {
    return server_message.empty() ? std::move(fallback) : server_message;
  };

  if (code == "maintenance" || (status == 503 && code.empty() && retry_after(response))) {
    std::string when;
    if (auto end = parse_iso8601(str(err, "window_end"))) {
      when = " until " + describe_chicago_time(*end);
    } else if (auto ra = retry_after(response)) {
      when = " for about " + std::to_string((ra->count() + 59) / 60) + " more minutes";
    }
    std::string phone = str(err, "support_phone");
    std::string msg =
        "the portal is down for its weekly maintenance (Sundays 12:30-18:00 US "
        "Central time)" +
        when + "; urgent requests go to the health plan by phone" +
        (phone.empty() ? "" : " at " + phone);
    return make(ErrorKind::unavailable, msg, retry_hint(response, "after the window ends"), status,
                "maintenance");
  }

  if (code == "invalid_credentials") {
    return make(
        ErrorKind::auth, "wrong email or password",
        "check them and try again; 5 failed logins in a row lock the account for 15 minutes",
        status, code);
  }
  if (code == "account_locked") {
    std::string msg = "account locked";
    if (auto until = parse_iso8601(str(err, "locked_until"))) {
      msg += " until " + local_clock_time(*until) + " (local time, " + format_iso8601(*until) + ")";
    }
    msg += " after 5 failed logins; wait or ask your administrator";
    const auto* cancelled = err.if_contains("reset_cancelled");
    if (cancelled && cancelled->is_bool() && cancelled->get_bool()) {
      return make(ErrorKind::auth, msg,
                  "the reset code was wrong, and a wrong code while the account is locked cancels "
                  "the reset: ask your administrator to send a new one",
                  status, code);
    }
    return make(ErrorKind::auth, msg,
                "a password reset from your administrator (`provportal reset-password`) also "
                "unlocks it",
                status, code);
  }
  if (code == "account_pending_review") {
    return make(
        ErrorKind::auth,
        "registration is pending review by the health plan; you can log in once an "
        "administrator approves it",
        "after approval, verify your email with `provportal verify-email --email E --code CODE`",
        status, code);
  }
  if (code == "account_rejected") {
    return make(ErrorKind::auth, "the health plan rejected this registration",
                "ask your administrator, or register again with `provportal register`", status,
                code);
  }
  if (code == "email_not_verified") {
    return make(ErrorKind::auth, "email address not verified yet",
                "run `provportal verify-email --email E --code CODE` with the code from the "
                "verification email",
                status, code);
  }
  if (code == "account_inactive") {
    return make(ErrorKind::auth,
                "locked as inactive: no login for 45 days; ask your administrator to reactivate it",
                "", status, code);
  }
  if (code == "account_disabled") {
    return make(ErrorKind::auth, "account disabled; register again with `provportal register`", "",
                status, code);
  }
  if (code == "mfa_failed") {
    return make(ErrorKind::auth, "the emailed one-time passcode was wrong, already used or expired",
                "run `provportal login` again for a new one; each works once and expires after 10 "
                "minutes",
                status, code);
  }
  if (code == "mfa_token_invalid") {
    return make(ErrorKind::auth, server_or("the sign-in attempt has expired"), k_login_hint, status,
                code);
  }
  if (code == "session_invalid") {
    return make(ErrorKind::auth, "not logged in, or the session has expired", k_login_hint, status,
                code);
  }
  if (status == 401) {
    return make(ErrorKind::auth, server_or("authentication required (HTTP 401)"), k_login_hint,
                status, code);
  }
  if (status == 429) {
    return make(ErrorKind::unavailable, server_or("the portal is limiting requests (HTTP 429)"),
                retry_hint(response, "in a little while"), status, code);
  }
  if (status >= 500) {
    return make(ErrorKind::unavailable,
                "the portal failed with HTTP " + std::to_string(status) +
                    (server_message.empty() ? "" : ": " + server_message),
                retry_hint(response, "later"), status, code);
  }
  if (code == "invalid_code") {
    // A wrong or expired one-time code proves nothing about the person: an authentication failure.
    return make(ErrorKind::auth, server_or("the code is wrong or has expired"),
                "use the code from the most recent email; codes expire", status, code);
  }
  if (code == "organization_not_found") {
    std::string phone = str(err, "support_phone"), npi = str(err, "npi");
    return make(ErrorKind::refused,
                npi.empty() || err.contains("organizations")
                    ? server_or("no organisation with this NPI is on file with the health plan")
                    : "no organisation with NPI " + npi + " is on file with the health plan",
                "check the NPI (the organisation's); if it is right, call the health plan's "
                "provider services" +
                    (phone.empty() ? std::string() : " at " + phone) +
                    " to have the organisation added",
                status, code);
  }
  if (code == "tax_id_mismatch") {
    Error e =
        make(ErrorKind::refused, server_or("the Tax ID does not match the organisation's on file"),
             "give the organisation's Tax ID (EIN) as the health plan has it on file "
             "(--tax-id)",
             status, code);
    if (auto it = err.find("errors"); it != err.end() && it->value().is_array()) {
      for (const auto& f : it->value().get_array()) {
        if (!f.is_object()) continue;
        e.fields.push_back({str(f.get_object(), "field"), str(f.get_object(), "message")});
      }
    }
    return e;
  }
  if (code == "validation_failed" || code == "password_rejected" || status == 400 ||
      status == 413 || status == 422) {
    Error e =
        make(ErrorKind::input,
             server_or("the portal rejected the request (HTTP " + std::to_string(status) + ")"), "",
             status, code);
    if (auto it = err.find("errors"); it != err.end() && it->value().is_array()) {
      for (const auto& f : it->value().get_array()) {
        if (!f.is_object()) continue;
        e.fields.push_back({str(f.get_object(), "field"), str(f.get_object(), "message")});
      }
    }
    if (code == "password_rejected") e.hint = "choose a longer, less common password";
    return e;
  }
  if (code == "email_taken") {
    return make(ErrorKind::refused, "an account with this email address already exists",
                "each person registers once; log in with `provportal login`, or ask your "
                "administrator for a password reset",
                status, code);
  }
  if (code == "organization_choice_required") {
    std::string ids;
    if (auto it = err.find("organizations"); it != err.end() && it->value().is_array()) {
      for (const auto& o : it->value().get_array()) {
        if (!o.is_object()) continue;
        ids += (ids.empty() ? "" : ", ") + str(o.get_object(), "id") + " (" +
               str(o.get_object(), "name") + ")";
      }
    }
    return make(ErrorKind::refused, "several organisations share this NPI; choose one",
                "pass --organization-id" + (ids.empty() ? std::string() : " with one of: " + ids),
                status, code);
  }
  return make(ErrorKind::refused,
              server_or("the portal refused the request (HTTP " + std::to_string(status) + ")"), "",
              status, code);
}

PortalApi::PortalApi(std::unique_ptr<http::Client> client, RetryPolicy retry)
    : m_client(std::move(client)),
      m_retry(retry),
      m_sleep([](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }) {}

void PortalApi::set_token(std::string token) {
  log::register_secret(token);
  m_token = std::move(token);
}

void PortalApi::set_sleep(std::function<void(std::chrono::milliseconds)> sleep) {
  m_sleep = std::move(sleep);
}

const std::string& PortalApi::base_url() const { return m_client->base_url(); }

namespace {

// Members that carry a secret: left out of the audit hash of a body, so the hash cannot be used
// to test guesses of a password or a code.
bool secret_member(std::string_view key) {
  for (std::string_view k : {"password", "new_password", "current_password", "code", "mfa_token",
                             "password_change_token", "token", "secret"}) {
    if (key == k) return true;
  }
  return false;
}

std::string audit_hash(const json::object* body) {
  if (!body) return {};
  json::object shown;
  for (const auto& kv : *body) {
    if (!secret_member(kv.key())) shown.emplace(kv.key(), kv.value());
  }
  return sha256_hex(json::serialize(shown));
}

}  // namespace

Expected<http::Response> PortalApi::call(std::string method, std::string target,
                                         const json::object* body, bool with_session) {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  if (body) req.body = json::serialize(*body);
  return exchange(std::move(req), body, with_session);
}

Expected<http::Response> PortalApi::send(http::Request request, bool with_session) {
  std::optional<json::object> body;
  if (!request.body.empty()) {
    boost::system::error_code ec;
    auto parsed = json::parse(request.body, ec);
    if (!ec && parsed.is_object()) body = std::move(parsed.get_object());
  }
  return exchange(std::move(request), body ? &*body : nullptr, with_session);
}

Expected<http::Response> PortalApi::exchange(http::Request req, const json::object* body,
                                             bool with_session) {
  if (std::none_of(req.headers.begin(), req.headers.end(),
                   [](const auto& h) { return util::iequals(h.first, "accept"); })) {
    req.headers.emplace_back("Accept", "application/json");
  }
  req.headers.emplace_back("X-Request-Id", random_token(9));
  if (with_session) {
    if (m_token.empty()) return fail(ErrorKind::auth, "not logged in", k_login_hint);
    req.headers.emplace_back("Authorization", "Bearer " + m_token);
  }
  std::optional<http::Response> final_answer;
  auto r = send_until_final(req, final_answer);
  if (with_session && !r && r.error().code == "session_invalid" && m_renewal) {
    auto fresh = m_renewal(m_token);
    if (!fresh) return fail(fresh.error());
    if (*fresh && !(*fresh)->empty() && **fresh != m_token) {
      set_token(std::move(**fresh));
      for (auto& [name, value] : req.headers) {
        if (util::iequals(name, "authorization")) value = "Bearer " + m_token;
      }
      final_answer.reset();
      r = send_until_final(req, final_answer);
    } else {
      Error e = r.error();
      e.hint = k_session_ended_hint;
      return fail(std::move(e));
    }
  }
  if (m_observer) {
    http::RequestEvent event{req, final_answer ? &*final_answer : nullptr, audit_hash(body)};
    if (!final_answer && !r) event.problem = r.error().message;
    m_observer->request_done(event);
  }
  return r;
}

Expected<http::Response> PortalApi::send_until_final(const http::Request& req,
                                                     std::optional<http::Response>& final_answer) {
  const bool may_repeat = repeatable(req);
  for (int attempt = 1;; ++attempt) {
    if (m_wait) m_wait->pass();
    auto started = std::chrono::steady_clock::now();
    auto r = m_client->send(req);
    auto elapsed = std::chrono::steady_clock::now() - started;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    if (m_observer) m_observer->exchange({req, r ? &*r : nullptr, elapsed});
    Classification c = classify(r, m_retry, may_repeat);
    if (!r) {
      spdlog::debug("HTTP {} {} failed after {} ms: {}", req.method, log::safe_target(req.target),
                    ms, r.error().message);
      if (c.verdict == Verdict::retry && attempt < m_retry.max_attempts) {
        auto d = m_retry.backoff(attempt);
        spdlog::info("cannot reach the portal; retrying in {} ms", d.count());
        if (m_observer) m_observer->retried();
        m_sleep(d);
        continue;
      }
      Error e = r.error();
      if (e.kind == ErrorKind::unavailable && e.hint.empty()) {
        e.hint = "check that the portal at " + m_client->base_url() +
                 " is reachable (--base-url, --ca-file); for the local sandbox run "
                 "`provportal-sandbox serve`";
      }
      return fail(std::move(e));
    }
    spdlog::debug("HTTP {} {} -> {} in {} ms (request id {})", req.method,
                  log::safe_target(req.target), r->status, ms, r->header("x-request-id"));
    if (r->status >= 200 && r->status < 300) {
      final_answer = *r;
      return std::move(*r);
    }
    if (c.verdict == Verdict::outage) {
      // --wait: the maintenance window or a long Retry-After is waited out, not reported.
      auto waited = wait_out(m_wait, c);
      if (!waited) {
        final_answer = std::move(*r);
        return fail(waited.error());
      }
      if (m_observer) m_observer->retried();
      --attempt;  // waiting for the portal does not use up an attempt
      continue;
    }
    if (c.verdict == Verdict::retry && attempt < m_retry.max_attempts) {
      auto d = m_retry.backoff(attempt, c.retry_after);
      spdlog::info("the portal answered HTTP {}; retrying in {} ms", r->status, d.count());
      if (m_observer) m_observer->retried();
      m_sleep(d);
      continue;
    }
    Error e = c.verdict == Verdict::final ? map_error(*r) : std::move(c.error);
    if (c.verdict == Verdict::retry && attempt > 1) {
      e.message += " (after " + std::to_string(attempt) + " attempts)";
    }
    final_answer = std::move(*r);
    return fail(std::move(e));
  }
}

Expected<json::object> PortalApi::call_json(std::string method, std::string target,
                                            const json::object* body, bool with_session) {
  auto r = call(std::move(method), std::move(target), body, with_session);
  if (!r) return fail(r.error());
  if (r->body.empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(r->body, ec);
  if (ec || !v.is_object()) {
    return fail(ErrorKind::unavailable, "the portal sent an answer that is not a JSON object",
                "is " + m_client->base_url() + " a provider portal?");
  }
  return std::move(v.get_object());
}

Expected<json::object> PortalApi::health() {
  return call_json("GET", "/v1/health", nullptr, false);
}

Expected<json::array> PortalApi::organizations(std::string_view npi) {
  auto r = call_json("GET", "/v1/organizations?npi=" + url_encode(npi), nullptr, false);
  if (!r) return fail(r.error());
  if (auto it = r->find("organizations"); it != r->end() && it->value().is_array()) {
    return it->value().get_array();
  }
  return json::array{};
}

Expected<json::object> PortalApi::register_account(const json::object& record,
                                                   std::string_view password) {
  json::object body = record;
  body["password"] = password;
  return call_json("POST", "/v1/registrations", &body, false);
}

Expected<json::object> PortalApi::verify_email(std::string_view email, std::string_view code) {
  json::object body{{"email", email}, {"code", code}};
  return call_json("POST", "/v1/email-verifications", &body, false);
}

Expected<json::object> PortalApi::resend_verification(std::string_view email) {
  json::object body{{"email", email}};
  return call_json("POST", "/v1/email-verifications/resend", &body, false);
}

Expected<LoginChallenge> PortalApi::login(std::string_view email, std::string_view password) {
  json::object body{{"email", email}, {"password", password}};
  auto r = call_json("POST", "/v1/auth/login", &body, false);
  if (!r) {
    Error e = r.error();
    if (e.code == "email_not_verified") {
      e.hint = "run `provportal verify-email --email " + std::string(email) +
               " --code CODE` with the code from the verification email";
    }
    return fail(std::move(e));
  }
  LoginChallenge c;
  c.received_at = std::chrono::steady_clock::now();
  c.mfa_token = str(*r, "mfa_token");
  log::register_secret(c.mfa_token);
  if (auto it = r->find("factors"); it != r->end() && it->value().is_array()) {
    for (const auto& f : it->value().get_array()) {
      if (f.is_string()) c.factors.emplace_back(f.get_string());
    }
  }
  if (auto it = r->find("password_expired"); it != r->end() && it->value().is_bool()) {
    c.password_expired = it->value().get_bool();
  }
  c.server_time = parse_iso8601(str(*r, "server_time"));
  if (auto it = r->find("expires_in"); it != r->end() && it->value().is_int64()) {
    c.expires_in = static_cast<int>(it->value().get_int64());
  }
  if (c.mfa_token.empty())
    return fail(ErrorKind::unavailable, "the portal answered without an MFA token");
  return c;
}

Expected<json::object> PortalApi::send_email_code(std::string_view mfa_token) {
  json::object body{{"mfa_token", mfa_token}};
  return call_json("POST", "/v1/auth/mfa/email", &body, false);
}

Expected<MfaResult> PortalApi::verify_mfa(std::string_view mfa_token, std::string_view factor,
                                          std::string_view code) {
  json::object body{{"mfa_token", mfa_token}, {"factor", factor}, {"code", code}};
  auto r = call_json("POST", "/v1/auth/mfa/verify", &body, false);
  if (!r && r.error().code == "mfa_failed" && factor == "totp") {
    Error e = r.error();
    e.message = "the authenticator app's code was wrong, already used or expired";
    e.hint =
        "its codes change every 30 seconds and each works once: check that the clock of the "
        "device (or of this machine, with --totp-secret-file) is right, then run `provportal "
        "login` again; five failures in a row lock the account for 15 minutes";
    return fail(std::move(e));
  }
  if (!r) return fail(r.error());
  MfaResult m;
  if (auto it = r->find("password_change_required");
      it != r->end() && it->value().is_bool() && it->value().get_bool()) {
    m.password_change_token = str(*r, "password_change_token");
    log::register_secret(m.password_change_token);
    return m;
  }
  auto g = to_grant(*r);
  if (!g) return fail(g.error());
  m.session = std::move(*g);
  return m;
}

Expected<SessionGrant> PortalApi::change_expired_password(std::string_view change_token,
                                                          std::string_view new_password) {
  json::object body{{"password_change_token", change_token}, {"new_password", new_password}};
  auto r = call_json("POST", "/v1/auth/password/expired", &body, false);
  if (!r) return fail(r.error());
  return to_grant(*r);
}

Expected<SessionGrant> PortalApi::refresh() {
  auto r = call_json("POST", "/v1/auth/refresh", nullptr, true);
  if (!r) return fail(r.error());
  return to_grant(*r);
}

Expected<void> PortalApi::logout() {
  auto r = call("POST", "/v1/auth/logout", nullptr, true);
  if (!r) return fail(r.error());
  return {};
}

Expected<json::object> PortalApi::reset_password(std::string_view email, std::string_view code,
                                                 std::string_view new_password) {
  json::object body{{"email", email}, {"code", code}, {"new_password", new_password}};
  return call_json("POST", "/v1/password-resets", &body, false);
}

Expected<json::object> PortalApi::profile() {
  return call_json("GET", "/v1/profile", nullptr, true);
}

Expected<void> PortalApi::change_password(std::string_view current_password,
                                          std::string_view new_password) {
  json::object body{{"current_password", current_password}, {"new_password", new_password}};
  auto r = call("POST", "/v1/profile/password", &body, true);
  if (!r) {
    Error e = r.error();
    if (e.code == "invalid_credentials") {
      e.message = "the current password is wrong";
      e.hint.clear();
    }
    return fail(std::move(e));
  }
  return {};
}

Expected<TotpEnrolment> PortalApi::enrol_totp() {
  auto r = call_json("POST", "/v1/profile/mfa/totp", nullptr, true);
  if (!r) return fail(r.error());
  TotpEnrolment t{str(*r, "secret"), str(*r, "otpauth_uri")};
  log::register_secret(t.secret);
  if (t.secret.empty())
    return fail(ErrorKind::unavailable, "the portal answered without a TOTP secret");
  return t;
}

Expected<json::object> PortalApi::confirm_totp(std::string_view code) {
  json::object body{{"code", code}};
  auto r = call_json("POST", "/v1/profile/mfa/totp/confirm", &body, true);
  if (!r && r.error().code == "mfa_failed") {
    Error e = r.error();
    e.message =
        "the authenticator app's code was not accepted: it is wrong or expired, and the "
        "app is not enrolled";
    e.hint =
        "check that the app holds the secret just shown and that the device's clock is right, "
        "then run `provportal update-profile --enroll-totp` again (it issues a new secret)";
    return fail(std::move(e));
  }
  return r;
}

Expected<json::object> PortalApi::disable_totp(std::string_view password) {
  json::object body{{"password", password}};
  auto r = call_json("POST", "/v1/profile/mfa/totp/disable", &body, true);
  if (!r && r.error().code == "invalid_credentials") {
    Error e = r.error();
    e.message = "the password is wrong";
    e.hint.clear();
    return fail(std::move(e));
  }
  return r;
}

Expected<json::object> PortalApi::limits() {
  return call_json("GET", "/v1/limits", nullptr, false);
}

Expected<json::object> PortalApi::solutions(std::string_view health_plan) {
  return call_json("GET", "/v1/solutions?health_plan=" + url_encode(health_plan), nullptr, true);
}

Expected<json::object> PortalApi::get_case(std::string_view order_id) {
  auto r = call_json("GET", "/v1/cases/" + url_encode(order_id), nullptr, true);
  if (!r && r.error().code == "not_found") {
    Error e = r.error();
    e.message = "no order " + std::string(order_id) + " for your organisation";
    e.hint = "check the order ID (provportal search-orders lists your organisation's orders)";
    return fail(std::move(e));
  }
  return r;
}

}  // namespace portal::api
