#include "sandbox/accounts.hpp"

#include <vector>

#include <boost/json.hpp>

#include "portal/records/npi.hpp"
#include "portal/records/password_policy.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "sandbox/passwords.hpp"
#include "sandbox/rules.hpp"
#include "sandbox/store.hpp"
#include "sandbox/users.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr std::chrono::days k_verification_valid{7};
// Asking for new verification codes: one a minute and a few a day per address.
constexpr std::chrono::seconds k_resend_interval{60};
constexpr std::chrono::seconds k_resend_day{24 * 3600};
constexpr std::int64_t k_resend_per_day = 5;

}  // namespace

namespace {

// A stored (normalised) Tax ID as people write it, 12-3456789; null when none was given.
json::value shown_tax_id(const std::string& tin) {
  if (tin.size() != 9) return tin.empty() ? json::value(nullptr) : json::value(tin);
  return json::value(tin.substr(0, 2) + "-" + tin.substr(2));
}

}  // namespace

// ---- registration ----------------------------------------------------------------------------

ApiResult<json::object> Accounts::organizations(std::string_view npi) {
  if (!records::npi_is_valid(npi)) {
    return tl::unexpected(
        validation_error({{"npi", "must be a 10-digit NPI with a valid check digit"}}));
  }
  std::lock_guard lock(m_store.mutex);
  json::array list;
  auto st = m_store.db.query(
      "SELECT id, name, npi, city, state FROM organizations WHERE npi = ? ORDER BY name",
      {std::string(npi)});
  while (st.step()) {
    list.push_back(json::object{{"id", st.text(0)},
                                {"name", st.text(1)},
                                {"npi", st.text(2)},
                                {"city", st.text(3)},
                                {"state", st.text(4)}});
  }
  return json::object{{"organizations", std::move(list)}};
}

ApiResult<json::object> Accounts::register_account(const json::object& body) {
  json::object record = body;
  record.erase("password");
  auto problems = records::validate_record("registration", record);
  if (!problems.empty()) return tl::unexpected(validation_error(problems));

  std::string email = records::normalize_email(text_of(body, "email"));
  std::string password = text_of(body, "password");
  if (password.empty()) return tl::unexpected(password_rejected("a password is required"));
  if (auto why = records::password_problem(password, email, text_of(body, "first_name"),
                                           text_of(body, "last_name"))) {
    return tl::unexpected(password_rejected(*why));
  }
  std::string hash = hash_password(password);  // slow: outside the lock

  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  Transaction tx(m_store.db);
  {
    auto st = m_store.db.query(
        "SELECT 1 FROM users WHERE email = ? AND status NOT IN ('disabled', 'rejected')", {email});
    if (st.step()) {
      return tl::unexpected(
          api_error(409, "email_taken",
                    "an account with this email address already exists; each person "
                    "registers once (log in, or reset the password)"));
    }
  }
  std::string npi = text_of(body, "npi");
  std::string org_id = text_of(body, "organization_id");
  json::array matches;
  std::vector<std::string> tax_ids;  // of `matches`, normalised
  {
    auto st = m_store.db.query(
        "SELECT id, name, npi, city, state, tax_id FROM organizations WHERE npi = ? ORDER BY name",
        {npi});
    while (st.step()) {
      matches.push_back(json::object{{"id", st.text(0)},
                                     {"name", st.text(1)},
                                     {"npi", st.text(2)},
                                     {"city", st.text(3)},
                                     {"state", st.text(4)}});
      tax_ids.push_back(records::normalize_tax_id(st.text(5)));
    }
  }
  std::size_t chosen = matches.size();
  if (matches.empty()) {
    // The portal registers people into organisations the health plan has on file; it never
    // makes one up from an NPI (the real portal's "organization cannot be found").
    std::string phone = m_store.settings_locked().support_phone;
    return tl::unexpected(
        api_error(404, "organization_not_found",
                  "no organisation with NPI " + npi +
                      " is on file with the health plan; check the NPI, or call the health plan's "
                      "provider services at " +
                      phone + " to have the organisation added",
                  json::object{{"npi", npi}, {"support_phone", phone}}));
  }
  if (!org_id.empty()) {
    for (std::size_t i = 0; i < matches.size(); ++i) {
      if (matches[i].as_object().at("id").as_string() == org_id) chosen = i;
    }
    if (chosen == matches.size()) {
      return tl::unexpected(api_error(404, "organization_not_found",
                                      "no organisation with that id has this NPI",
                                      json::object{{"npi", npi}, {"organizations", matches}}));
    }
  } else if (matches.size() > 1) {
    return tl::unexpected(
        api_error(409, "organization_choice_required",
                  "several organisations have this NPI; choose one with organization_id",
                  json::object{{"organizations", matches}}));
  } else {
    chosen = 0;
    org_id = std::string(matches[0].as_object().at("id").as_string());
  }
  // The Tax ID, when given (the schema requires it for every provider type but office staff),
  // must be the organisation's. Neither value is ever echoed: the field is named, no more.
  if (std::string tin = records::normalize_tax_id(text_of(body, "tax_id"));
      !tin.empty() && !tax_ids[chosen].empty() && tin != tax_ids[chosen]) {
    std::string why = "does not match the Tax ID the health plan has on file for " +
                      std::string(matches[chosen].as_object().at("name").as_string()) +
                      "; check it against the organisation's IRS letter (EIN)";
    return tl::unexpected(api_error(
        422, "tax_id_mismatch", "the Tax ID does not match the organisation's on file",
        json::object{
            {"errors", json::array{json::object{{"field", "tax_id"}, {"message", why}}}}}));
  }
  std::string id = "usr_" + random_token(9);
  m_store.db.run(
      "INSERT INTO users(id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax, "
      "organization_id, status, password_hash, password_changed_at, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending_review', ?, ?, ?, ?)",
      {id, email, text_of(body, "provider_type"), npi,
       records::normalize_tax_id(text_of(body, "tax_id")), text_of(body, "first_name"),
       text_of(body, "last_name"), records::normalize_us_phone(text_of(body, "phone")),
       records::normalize_us_phone(text_of(body, "fax")), org_id, hash, unix_of(now), unix_of(now),
       unix_of(now)});
  auto user = find_user_by_id(m_store.db, id);
  m_store.send_mail(
      email, "Your provider portal registration was received", "registration-received",
      "Hello " + user->first_name +
          ",\n\nWe received your registration for the provider portal.\n"
          "An administrator of the health plan will review it. Once it is approved you will "
          "get an\n"
          "email with a code to verify this address.\n",
      now);
  tx.commit();
  auto profile = m_store.profile_json(*user, now);
  return json::object{{"id", id},
                      {"email", email},
                      {"status", "pending_review"},
                      {"organization", profile.at("organization")}};
}

ApiResult<json::object> Accounts::verify_email(const json::object& body) {
  std::string email = records::normalize_email(text_of(body, "email"));
  std::string code = text_of(body, "code");
  auto invalid = api_error(400, "invalid_code",
                           "the verification code is wrong or has expired (codes last 7 "
                           "days); ask for a new one with `provportal verify-email --resend "
                           "--email " +
                               email + "`");
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  if (auto locked = lock_error(m_store.db, email, now)) return tl::unexpected(*locked);
  auto user = find_user_by_email(m_store.db, email);
  if (!user || user->status != "email_unverified") {
    Transaction failure(m_store.db);
    auto err = record_failure(m_store.db, email, now, invalid);
    failure.commit();
    return tl::unexpected(err);
  }
  Transaction tx(m_store.db);
  int changed = m_store.db.run(
      "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'verify_email' AND used = 0 "
      "AND expires_at > ? AND code_hash = ?",
      {user->id, unix_of(now), code_hash(user->id, code)});
  if (changed == 0) {
    auto err = record_failure(m_store.db, email, now, invalid);
    tx.commit();
    return tl::unexpected(err);
  }
  m_store.db.run(
      "UPDATE users SET status = 'active', activated_at = ?, updated_at = ? WHERE id = ?",
      {unix_of(now), unix_of(now), user->id});
  m_store.db.run("DELETE FROM login_guards WHERE email = ?", {email});
  tx.commit();
  return json::object{{"email", email}, {"status", "active"}};
}

ApiResult<json::object> Accounts::resend_verification(const json::object& body) {
  std::string email = records::normalize_email(text_of(body, "email"));
  if (email.empty() || email.find('@') == std::string::npos || email.size() > 254) {
    return tl::unexpected(
        validation_error({{"email", "must be the email address you registered"}}));
  }
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  // The limit is kept per address whether or not it has an account, so neither the answer nor
  // the limit tells which addresses are registered.
  std::int64_t t = unix_of(now), last_at = 0, day_start = t, day_count = 0;
  {
    auto st = m_store.db.query(
        "SELECT last_at, day_start, day_count FROM verification_resends WHERE email = ?", {email});
    if (st.step()) {
      last_at = st.integer(0);
      day_start = st.integer(1);
      day_count = st.integer(2);
    }
  }
  if (t - day_start >= k_resend_day.count()) {
    day_start = t;
    day_count = 0;
  }
  std::int64_t wait = 0;
  if (day_count > 0 && t - last_at < k_resend_interval.count())
    wait = k_resend_interval.count() - (t - last_at);
  if (day_count >= k_resend_per_day) wait = std::max(wait, day_start + k_resend_day.count() - t);
  if (wait > 0) {
    return tl::unexpected(api_error(
        429, "rate_limited",
        "a new verification code was requested for this address a short while ago; try again in " +
            std::to_string(wait) + " seconds (at most one a minute, " +
            std::to_string(k_resend_per_day) + " a day)",
        json::object{{"retry_after", wait}}));
  }
  Transaction tx(m_store.db);
  m_store.db.run(
      "INSERT INTO verification_resends(email, last_at, day_start, day_count) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(email) DO UPDATE SET last_at = excluded.last_at, day_start = "
      "excluded.day_start, day_count = excluded.day_count",
      {email, t, day_start, day_count + 1});
  auto user = find_user_by_email(m_store.db, email);
  if (user && user->status == "email_unverified") send_verification_locked(*user, now, true);
  tx.commit();
  return json::object{
      {"email", email},
      {"status", "requested"},
      {"message",
       "if this address has an approved registration waiting for verification, a new code was "
       "sent to it; earlier codes no longer work"}};
}

void Accounts::send_verification_locked(const User& user, SysTime now, bool resent) {
  std::string code = random_digits(8);
  auto expires = now + k_verification_valid;
  m_store.db.run(
      "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'verify_email' AND used = 0",
      {user.id});
  m_store.db.run(
      "INSERT INTO codes(user_id, purpose, code_hash, expires_at, created_at) VALUES (?, "
      "'verify_email', ?, ?, ?)",
      {user.id, code_hash(user.id, code), unix_of(expires), unix_of(now)});
  m_store.send_mail(
      user.email, "Verify your email address for the provider portal", "verify-email",
      "Hello " + user.first_name + ",\n\n" +
          (resent ? std::string("Here is a new code to verify your email address "
                                "(earlier codes no longer work).\n")
                  : std::string("Your provider portal registration was approved.\n")) +
          "Verify your email address with this code: " + code +
          "\n\n"
          "  provportal verify-email --email " +
          user.email + " --code " + code +
          "\n\n"
          "The code expires in 7 days (at " +
          format_iso8601(expires) +
          ").\n"
          "If it expires, ask for a new one with\n\n"
          "  provportal verify-email --resend --email " +
          user.email + "\n",
      now);
}

// ---- administration ----------------------------------------------------------------------------

bool Accounts::admin_token_matches(std::string_view token) {
  return !token.empty() && constant_time_equal(sha256_hex(token), m_store.admin_token_hash);
}

ApiResult<json::object> Accounts::admin_registrations(std::string_view status) {
  std::lock_guard lock(m_store.mutex);
  json::array list;
  auto st = m_store.db.query(
      "SELECT u.id, u.email, u.first_name, u.last_name, u.provider_type, u.npi, u.status, "
      "u.created_at, o.name, u.tax_id, o.id FROM users u "
      "JOIN organizations o ON o.id = u.organization_id "
      "WHERE (? = '' OR u.status = ?) ORDER BY u.created_at",
      {std::string(status), std::string(status)});
  while (st.step()) {
    list.push_back(json::object{{"id", st.text(0)},
                                {"email", st.text(1)},
                                {"first_name", st.text(2)},
                                {"last_name", st.text(3)},
                                {"provider_type", st.text(4)},
                                {"npi", st.text(5)},
                                {"status", st.text(6)},
                                {"created_at", format_iso8601(time_of(st.integer(7)))},
                                {"organization", st.text(8)},
                                {"organization_id", st.text(10)},
                                {"tax_id", shown_tax_id(st.text(9))}});
  }
  return json::object{{"registrations", std::move(list)}};
}

ApiResult<json::object> Accounts::admin_action(std::string_view action,
                                               std::string_view raw_email) {
  std::string email = records::normalize_email(raw_email);
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  auto user = find_user_by_email(m_store.db, email);
  if (!user)
    return tl::unexpected(api_error(404, "account_not_found", "no account has this email address"));
  auto invalid_state = [&](const std::string& need) {
    return tl::unexpected(api_error(409, "invalid_state",
                                    "the account is " + user->status + "; " + std::string(action) +
                                        " needs an account that is " + need,
                                    json::object{{"status", user->status}}));
  };
  Transaction tx(m_store.db);
  std::string status = user->status;
  if (action == "approve") {
    if (user->status != "pending_review") return invalid_state("pending review");
    status = "email_unverified";
    m_store.db.run("UPDATE users SET status = ?, updated_at = ? WHERE id = ?",
                   {status, unix_of(now), user->id});
    send_verification_locked(*user, now, false);
  } else if (action == "resend-verification") {
    if (user->status != "email_unverified") return invalid_state("approved and not yet verified");
    send_verification_locked(*user, now, true);
  } else if (action == "reject") {
    if (user->status != "pending_review") return invalid_state("pending review");
    status = "rejected";
    m_store.db.run("UPDATE users SET status = ?, updated_at = ? WHERE id = ?",
                   {status, unix_of(now), user->id});
    m_store.send_mail(
        email, "Your provider portal registration was not approved", "registration-rejected",
        "Hello " + user->first_name +
            ",\n\nYour registration for the provider portal was not approved.\n"
            "Contact the health plan's provider services if you think this is a mistake.\n",
        now);
  } else if (action == "disable") {
    if (user->status == "disabled") return invalid_state("not disabled already");
    status = "disabled";
    m_store.db.run("UPDATE users SET status = ?, updated_at = ? WHERE id = ?",
                   {status, unix_of(now), user->id});
    m_store.db.run("UPDATE sessions SET revoked = 1 WHERE user_id = ?", {user->id});
    m_store.invalidate_sessions_locked();
  } else if (action == "unlock") {
    if (user->status != "active") return invalid_state("active");
    m_store.db.run("DELETE FROM login_guards WHERE email = ?", {email});
    m_store.db.run("UPDATE users SET activated_at = ?, updated_at = ? WHERE id = ?",
                   {unix_of(now), unix_of(now), user->id});
  } else if (action == "reset-password") {
    if (user->status != "active") return invalid_state("active");
    std::string code = random_digits(8);
    m_store.db.run(
        "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'password_reset' AND used = 0",
        {user->id});
    m_store.db.run(
        "INSERT INTO codes(user_id, purpose, code_hash, expires_at, created_at) VALUES (?, "
        "'password_reset', ?, ?, ?)",
        {user->id, code_hash(user->id, code), unix_of(now + std::chrono::hours{1}), unix_of(now)});
    m_store.send_mail(email, "Reset your provider portal password", "password-reset",
                      "Hello " + user->first_name +
                          ",\n\nAn administrator started a password reset for your account.\n"
                          "Your reset code is: " +
                          code +
                          "\n\n"
                          "  provportal reset-password --email " +
                          email + " --code " + code +
                          "\n\n"
                          "The code expires in 1 hour (at " +
                          format_iso8601(now + std::chrono::hours{1}) + ").\n",
                      now);
  } else {
    return tl::unexpected(
        api_error(404, "not_found", "unknown administrative action: " + quotable(action)));
  }
  tx.commit();
  return json::object{{"email", email}, {"status", status}, {"action", action}};
}

}  // namespace portal::sandbox
