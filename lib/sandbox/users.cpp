#include "sandbox/users.hpp"

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;

namespace {

constexpr const char* k_user_columns =
    "id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax, organization_id, "
    "status, password_hash, totp_secret, totp_pending, password_changed_at, created_at, "
    "totp_last_step, last_login_at, activated_at";

User read_user(Statement& st) {
  User u;
  u.id = st.text(0);
  u.email = st.text(1);
  u.provider_type = st.text(2);
  u.npi = st.text(3);
  u.tax_id = st.text(4);
  u.first_name = st.text(5);
  u.last_name = st.text(6);
  u.phone = st.text(7);
  u.fax = st.text(8);
  u.organization_id = st.text(9);
  u.status = st.text(10);
  u.password_hash = st.text(11);
  u.totp_secret = st.text(12);
  u.totp_pending = st.text(13);
  u.password_changed_at = st.integer(14);
  u.created_at = st.integer(15);
  u.totp_last_step = st.integer(16);
  u.last_login_at = st.optional_integer(17);
  u.activated_at = st.optional_integer(18);
  return u;
}

}  // namespace

std::optional<User> find_user_by_email(Database& db, const std::string& email) {
  // A live account wins over disabled or rejected ones kept for the record.
  auto st = db.query(std::string("SELECT ") + k_user_columns +
                         " FROM users WHERE email = ? ORDER BY status IN ('disabled', 'rejected'), "
                         "created_at DESC LIMIT 1",
                     {email});
  if (!st.step()) return std::nullopt;
  return read_user(st);
}

std::optional<User> find_user_by_id(Database& db, const std::string& id) {
  auto st = db.query(std::string("SELECT ") + k_user_columns + " FROM users WHERE id = ?", {id});
  if (!st.step()) return std::nullopt;
  return read_user(st);
}

std::optional<ApiError> lock_error(Database& db, const std::string& email, SysTime now) {
  auto st = db.query("SELECT locked_until FROM login_guards WHERE email = ?", {email});
  if (st.step() && !st.is_null(0) && st.integer(0) > unix_of(now)) {
    auto until = time_of(st.integer(0));
    return api_error(423, "account_locked",
                     "the account is locked until " + format_iso8601(until) + " after " +
                         std::to_string(k_lockout_threshold) + " failed sign-in attempts",
                     json::object{{"locked_until", format_iso8601(until)}});
  }
  return std::nullopt;
}

ApiError record_failure(Database& db, const std::string& email, SysTime now, ApiError base) {
  // Failures are counted per email whether or not an account exists, so the lockout itself
  // never tells an attacker which addresses are registered.
  db.run("INSERT INTO login_guards(email, failures) VALUES (?, 0) ON CONFLICT(email) DO NOTHING",
         {email});
  db.run("UPDATE login_guards SET failures = failures + 1 WHERE email = ?", {email});
  std::int64_t failures = 0;
  {
    // Read and let go before the write below (outside a transaction, a statement still open
    // makes it fail: see Database::check_no_statement_open).
    auto st = db.query("SELECT failures FROM login_guards WHERE email = ?", {email});
    if (st.step()) failures = st.integer(0);
  }
  if (failures >= k_lockout_threshold) {
    db.run("UPDATE login_guards SET failures = 0, locked_until = ? WHERE email = ?",
           {unix_of(now + k_lockout_duration), email});
    return *lock_error(db, email, now);
  }
  base.extra["attempts_remaining"] = k_lockout_threshold - failures;
  return base;
}

std::string mask_email(const std::string& email) {
  auto at = email.find('@');
  if (at == std::string::npos || at == 0) return "***";
  return email.substr(0, 1) + "***" + email.substr(at);
}

ApiError password_rejected(const std::string& why) {
  return api_error(
      422, "password_rejected", why,
      json::object{{"errors", json::array{json::object{{"field", "password"}, {"message", why}}}}});
}

std::string code_hash(std::string_view scope, std::string_view code) {
  return sha256_hex(std::string(scope) + ":" + std::string(code));
}

}  // namespace portal::sandbox
