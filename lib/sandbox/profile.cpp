#include "sandbox/profile.hpp"

#include <boost/json.hpp>

#include "portal/auth/totp.hpp"
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

// ---- profile and authenticator -----------------------------------------------------------

ApiResult<json::object> Profiles::profile(const std::string& user_id) {
  std::lock_guard lock(m_store.mutex);
  auto user = find_user_by_id(m_store.db, user_id);
  if (!user) return tl::unexpected(api_error(401, "session_invalid", "log in again"));
  return m_store.profile_json(*user, m_store.now_locked());
}

ApiResult<json::object> Profiles::update_profile(const std::string& user_id,
                                                 const json::object& body) {
  auto problems = records::validate_record("profile", body);
  if (!problems.empty()) return tl::unexpected(validation_error(problems));
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  auto user = find_user_by_id(m_store.db, user_id);
  Transaction tx(m_store.db);
  std::string old_email = user->email;
  if (body.contains("email")) {
    std::string email = records::normalize_email(text_of(body, "email"));
    if (email != user->email) {
      auto st = m_store.db.query(
          "SELECT 1 FROM users WHERE email = ? AND status NOT IN ('disabled', 'rejected')",
          {email});
      if (st.step()) {
        return tl::unexpected(
            api_error(409, "email_taken", "another account already uses this email address"));
      }
      user->email = email;
    }
  }
  if (body.contains("first_name")) user->first_name = text_of(body, "first_name");
  if (body.contains("last_name")) user->last_name = text_of(body, "last_name");
  if (body.contains("phone")) user->phone = records::normalize_us_phone(text_of(body, "phone"));
  if (body.contains("fax")) user->fax = records::normalize_us_phone(text_of(body, "fax"));
  m_store.db.run(
      "UPDATE users SET email = ?, first_name = ?, last_name = ?, phone = ?, fax = ?, updated_at = "
      "? WHERE id = ?",
      {user->email, user->first_name, user->last_name, user->phone, user->fax, unix_of(now),
       user->id});
  if (old_email != user->email) {
    m_store.credentials.clear();  // CORE's cache is keyed by the old email
    m_store.send_mail(old_email, "Your provider portal email address was changed", "email-changed",
                      "The email address of your provider portal account was changed to " +
                          user->email +
                          ".\nIf you did not do this, call the health plan's provider services.\n",
                      now);
  }
  tx.commit();
  return m_store.profile_json(*user, now);
}

ApiResult<json::object> Profiles::change_password(const std::string& user_id,
                                                  const json::object& body) {
  std::optional<User> user;
  {
    std::lock_guard lock(m_store.mutex);
    user = find_user_by_id(m_store.db, user_id);
  }
  if (!verify_password(text_of(body, "current_password"), user->password_hash)) {
    return tl::unexpected(api_error(401, "invalid_credentials", "the current password is wrong"));
  }
  std::string password = text_of(body, "new_password");
  if (auto why =
          records::password_problem(password, user->email, user->first_name, user->last_name)) {
    return tl::unexpected(password_rejected(*why));
  }
  std::string hash = hash_password(password);
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  m_store.db.run(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
      {hash, unix_of(now), unix_of(now), user->id});
  m_store.credentials.clear();  // CORE's cache must not keep accepting the old password
  return json::object{{"status", "password_changed"}};
}

ApiResult<json::object> Profiles::totp_begin(const std::string& user_id) {
  std::lock_guard lock(m_store.mutex);
  auto user = find_user_by_id(m_store.db, user_id);
  std::string secret = auth::new_totp_secret();
  m_store.db.run("UPDATE users SET totp_pending = ? WHERE id = ?", {secret, user_id});
  return json::object{{"secret", secret}, {"otpauth_uri", auth::otpauth_uri(secret, user->email)}};
}

ApiResult<json::object> Profiles::totp_confirm(const std::string& user_id,
                                               const json::object& body) {
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  auto user = find_user_by_id(m_store.db, user_id);
  if (user->totp_pending.empty()) {
    return tl::unexpected(api_error(409, "no_pending_enrolment", "start the enrolment first"));
  }
  auto key = auth::base32_decode(user->totp_pending);
  std::string code = text_of(body, "code");
  auto step_now = static_cast<std::int64_t>(auth::totp_step(now));
  for (std::int64_t step = step_now - 1; step <= step_now + 1; ++step) {
    if (constant_time_equal(auth::hotp(*key, static_cast<std::uint64_t>(step)), code)) {
      m_store.db.run(
          "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ? "
          "WHERE id = ?",
          {step, user_id});
      return json::object{{"totp_enrolled", true}};
    }
  }
  return tl::unexpected(
      api_error(401, "mfa_failed", "the code from the authenticator app is wrong or expired"));
}

ApiResult<json::object> Profiles::totp_disable(const std::string& user_id,
                                               const json::object& body) {
  std::optional<User> user;
  {
    std::lock_guard lock(m_store.mutex);
    user = find_user_by_id(m_store.db, user_id);
  }
  if (!verify_password(text_of(body, "password"), user->password_hash)) {
    return tl::unexpected(api_error(401, "invalid_credentials", "the password is wrong"));
  }
  std::lock_guard lock(m_store.mutex);
  m_store.db.run("UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE id = ?",
                 {user_id});
  return json::object{{"totp_enrolled", false}};
}

}  // namespace portal::sandbox
