#include "sandbox/signin.hpp"

#include <boost/json.hpp>

#include "portal/auth/totp.hpp"
#include "portal/records/npi.hpp"
#include "portal/records/password_policy.hpp"
#include "portal/util/crypto.hpp"
#include "sandbox/passwords.hpp"
#include "sandbox/rules.hpp"
#include "sandbox/store.hpp"
#include "sandbox/users.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::seconds;

namespace {
// More cached sessions than this and the cache starts over (each then reloads from the database).
constexpr std::size_t k_session_cache_limit = 100'000;
}  // namespace

// ---- login ---------------------------------------------------------------------------------

ApiResult<json::object> SignIn::login(const json::object& body) {
  std::string email = records::normalize_email(text_of(body, "email"));
  std::string password = text_of(body, "password");
  auto invalid = api_error(401, "invalid_credentials", "the email address or password is wrong");
  std::optional<User> user;
  {
    std::lock_guard lock(m_store.mutex);
    SysTime now = m_store.now_locked();
    if (auto locked = lock_error(m_store.db, email, now)) return tl::unexpected(*locked);
    user = find_user_by_email(m_store.db, email);
  }
  bool ok = false;
  if (user)
    ok = verify_password(password, user->password_hash);
  else
    burn_password_check(password);

  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  if (!ok) {
    Transaction tx(m_store.db);
    auto err = record_failure(m_store.db, email, now, invalid);
    tx.commit();
    return tl::unexpected(err);
  }
  // The password is right: from here the answer may describe the account's state.
  if (user->status == "disabled") {
    return tl::unexpected(
        api_error(403, "account_disabled",
                  "this account is disabled; a disabled account cannot be restored: "
                  "register again to get a new one"));
  }
  if (user->status == "rejected") {
    return tl::unexpected(
        api_error(403, "account_rejected",
                  "this registration was rejected by the health plan; register again "
                  "or contact the health plan"));
  }
  if (user->status == "pending_review") {
    return tl::unexpected(
        api_error(403, "account_pending_review",
                  "this registration is pending review by the health plan's administrator"));
  }
  if (user->status == "email_unverified") {
    return tl::unexpected(api_error(
        403, "email_not_verified",
        "the email address is not verified yet; use the code from the verification email"));
  }
  std::int64_t reference =
      std::max(user->last_login_at.value_or(0), user->activated_at.value_or(0));
  if (now - time_of(reference) > k_inactivity_limit) {
    return tl::unexpected(
        api_error(403, "account_inactive",
                  "the account is locked as inactive: no sign-in for 45 days; "
                  "ask your administrator to reactivate it",
                  json::object{{"last_login_at", format_iso8601(time_of(reference))}}));
  }
  auto s = m_store.settings_locked();
  bool expired =
      s.password_max_age_days > 0 &&
      now >= time_of(user->password_changed_at) + std::chrono::days{s.password_max_age_days};
  std::string token = "mfa_" + random_token();
  m_store.db.run(
      "INSERT INTO mfa_challenges(token_hash, user_id, stage, password_expired, expires_at) "
      "VALUES (?, ?, 'mfa', ?, ?)",
      {sha256_hex(token), user->id, std::int64_t(expired ? 1 : 0),
       unix_of(now + k_email_code_ttl)});
  json::array factors;
  if (!user->totp_secret.empty()) factors.push_back("totp");
  factors.push_back("email");
  return json::object{
      {"mfa_token", token},
      {"factors", std::move(factors)},
      {"password_expired", expired},
      {"server_time", format_iso8601(now)},
      {"expires_in", std::chrono::duration_cast<seconds>(k_email_code_ttl).count()}};
}

ApiResult<json::object> SignIn::mfa_email(const json::object& body) {
  std::string token = text_of(body, "mfa_token");
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  std::string user_id;
  {
    auto st = m_store.db.query(
        "SELECT user_id FROM mfa_challenges WHERE token_hash = ? AND stage = 'mfa' AND used = 0 "
        "AND expires_at > ?",
        {sha256_hex(token), unix_of(now)});
    if (!st.step()) {
      return tl::unexpected(
          api_error(401, "mfa_token_invalid", "the sign-in attempt has expired; log in again"));
    }
    user_id = st.text(0);
  }
  auto user = find_user_by_id(m_store.db, user_id);
  std::string code = random_digits(6);
  Transaction tx(m_store.db);
  m_store.db.run(
      "UPDATE mfa_challenges SET email_code_hash = ?, email_code_expires = ? WHERE token_hash = ?",
      {code_hash(token, code), unix_of(now + k_email_code_ttl), sha256_hex(token)});
  m_store.send_mail(user->email, "Your provider portal sign-in passcode", "login-passcode",
                    "Your one-time passcode is: " + code +
                        "\n\nIt works once and expires in 10 minutes (at " +
                        format_iso8601(now + k_email_code_ttl) +
                        ").\nIf you did not try to sign in, change your password.\n",
                    now);
  tx.commit();
  return json::object{{"sent_to", mask_email(user->email)},
                      {"expires_at", format_iso8601(now + k_email_code_ttl)}};
}

ApiResult<json::object> SignIn::mfa_verify(const json::object& body) {
  std::string token = text_of(body, "mfa_token");
  std::string factor = text_of(body, "factor");
  std::string code = text_of(body, "code");
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  std::string user_id, email_hash;
  bool password_expired = false;
  std::int64_t email_expires = 0;
  {
    auto st = m_store.db.query(
        "SELECT user_id, password_expired, email_code_hash, email_code_expires "
        "FROM mfa_challenges WHERE token_hash = ? AND stage = 'mfa' AND used = 0 AND expires_at > "
        "?",
        {sha256_hex(token), unix_of(now)});
    if (!st.step()) {
      return tl::unexpected(
          api_error(401, "mfa_token_invalid", "the sign-in attempt has expired; log in again"));
    }
    user_id = st.text(0);
    password_expired = st.integer(1) != 0;
    email_hash = st.text(2);
    email_expires = st.optional_integer(3).value_or(0);
  }
  auto user = find_user_by_id(m_store.db, user_id);
  if (auto locked = lock_error(m_store.db, user->email, now)) return tl::unexpected(*locked);

  Transaction tx(m_store.db);
  bool ok = false;
  if (factor == "email") {
    ok = !email_hash.empty() && email_expires > unix_of(now) &&
         constant_time_equal(email_hash, code_hash(token, code));
    if (ok)
      m_store.db.run("UPDATE mfa_challenges SET email_code_hash = NULL WHERE token_hash = ?",
                     {sha256_hex(token)});
  } else if (factor == "totp") {
    if (user->totp_secret.empty()) {
      return tl::unexpected(
          api_error(400, "totp_not_enrolled",
                    "no authenticator app is enrolled for this account; use the email passcode"));
    }
    auto step_now = auth::totp_step(now);
    auto key = auth::base32_decode(user->totp_secret);
    for (std::int64_t delta = -1; delta <= 1 && !ok && key; ++delta) {
      auto step = static_cast<std::int64_t>(step_now) + delta;
      // A code is never accepted twice: only steps after the last one used count.
      if (step <= user->totp_last_step) continue;
      if (constant_time_equal(auth::hotp(*key, static_cast<std::uint64_t>(step)), code)) {
        ok = true;
        m_store.db.run("UPDATE users SET totp_last_step = ? WHERE id = ?", {step, user->id});
      }
    }
  } else {
    return tl::unexpected(validation_error({{"factor", "must be \"email\" or \"totp\""}}));
  }
  if (!ok) {
    auto err = record_failure(
        m_store.db, user->email, now,
        api_error(401, "mfa_failed", "the one-time passcode is wrong, expired or already used"));
    tx.commit();
    return tl::unexpected(err);
  }
  m_store.db.run("UPDATE mfa_challenges SET used = 1 WHERE token_hash = ?", {sha256_hex(token)});
  m_store.db.run("DELETE FROM login_guards WHERE email = ?", {user->email});
  m_store.db.run("UPDATE users SET last_login_at = ? WHERE id = ?", {unix_of(now), user->id});
  if (password_expired) {
    std::string change = "pwc_" + random_token();
    m_store.db.run(
        "INSERT INTO mfa_challenges(token_hash, user_id, stage, password_expired, expires_at) "
        "VALUES (?, ?, 'password_change', 1, ?)",
        {sha256_hex(change), user->id, unix_of(now + k_email_code_ttl)});
    tx.commit();
    return json::object{{"password_change_required", true},
                        {"password_change_token", change},
                        {"message", "the password has expired and must be changed now"}};
  }
  user->last_login_at = unix_of(now);
  auto session = start_session(*user, now);
  tx.commit();
  return session;
}

ApiResult<json::object> SignIn::start_session(const User& u, SysTime now) {
  std::string token = "pps_" + random_token();
  auto absolute = now + k_session_absolute;
  auto expires = now + k_session_idle;
  m_store.db.run(
      "INSERT INTO sessions(token_hash, user_id, created_at, expires_at, absolute_expires_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {sha256_hex(token), u.id, unix_of(now), unix_of(expires), unix_of(absolute)});
  return json::object{{"token", token},
                      {"expires_at", format_iso8601(expires)},
                      {"user", m_store.profile_json(u, now)}};
}

ApiResult<json::object> SignIn::expired_password_change(const json::object& body) {
  std::string token = text_of(body, "password_change_token");
  std::string password = text_of(body, "new_password");
  std::optional<User> user;
  {
    std::lock_guard lock(m_store.mutex);
    SysTime now = m_store.now_locked();
    auto st = m_store.db.query(
        "SELECT user_id FROM mfa_challenges WHERE token_hash = ? AND stage = 'password_change' "
        "AND used = 0 AND expires_at > ?",
        {sha256_hex(token), unix_of(now)});
    if (!st.step()) {
      return tl::unexpected(
          api_error(401, "mfa_token_invalid", "the password change has expired; log in again"));
    }
    user = find_user_by_id(m_store.db, st.text(0));
  }
  if (auto why =
          records::password_problem(password, user->email, user->first_name, user->last_name)) {
    return tl::unexpected(password_rejected(*why));
  }
  if (verify_password(password, user->password_hash)) {
    return tl::unexpected(password_rejected("the new password must differ from the expired one"));
  }
  std::string hash = hash_password(password);
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  Transaction tx(m_store.db);
  if (m_store.db.run("UPDATE mfa_challenges SET used = 1 WHERE token_hash = ? AND used = 0",
                     {sha256_hex(token)}) == 0) {
    return tl::unexpected(
        api_error(401, "mfa_token_invalid", "the password change has expired; log in again"));
  }
  m_store.db.run(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
      {hash, unix_of(now), unix_of(now), user->id});
  user->password_changed_at = unix_of(now);
  m_store.credentials.clear();
  auto session = start_session(*user, now);
  tx.commit();
  return session;
}

ApiResult<json::object> SignIn::password_reset(const json::object& body) {
  std::string email = records::normalize_email(text_of(body, "email"));
  std::string code = text_of(body, "code");
  std::string password = text_of(body, "new_password");
  auto invalid = api_error(400, "invalid_code",
                           "the reset code is wrong or has expired; "
                           "ask your administrator to send a new one");
  std::optional<User> user;
  {
    std::lock_guard lock(m_store.mutex);
    SysTime now = m_store.now_locked();
    // A reset is how a locked-out person gets back in (the identity provider's rule), so the
    // lockout does not refuse a right code. It still bounds the guessing: while locked, a wrong
    // code voids the account's reset codes, so a code meets at most a lockout's worth of
    // failures and one more.
    auto locked = lock_error(m_store.db, email, now);
    user = find_user_by_email(m_store.db, email);
    bool valid = false;
    if (user) {
      auto st = m_store.db.query(
          "SELECT 1 FROM codes WHERE user_id = ? AND purpose = 'password_reset' AND used = 0 "
          "AND expires_at > ? AND code_hash = ?",
          {user->id, unix_of(now), code_hash(user->id, code)});
      valid = st.step();
    }
    if (!valid && locked) {
      if (user) {
        m_store.db.run(
            "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'password_reset' "
            "AND used = 0",
            {user->id});
      }
      locked->message +=
          "; the reset code was wrong, and a wrong code while locked cancels the reset: ask "
          "your administrator to send a new one";
      locked->extra["reset_cancelled"] = true;
      return tl::unexpected(*locked);
    }
    if (!valid) {
      Transaction tx(m_store.db);
      auto err = record_failure(m_store.db, email, now, invalid);
      tx.commit();
      return tl::unexpected(err);
    }
  }
  if (auto why =
          records::password_problem(password, user->email, user->first_name, user->last_name)) {
    return tl::unexpected(password_rejected(*why));
  }
  std::string hash = hash_password(password);
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  Transaction tx(m_store.db);
  if (m_store.db.run(
          "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'password_reset' AND used = 0 "
          "AND code_hash = ?",
          {user->id, code_hash(user->id, code)}) == 0) {
    return tl::unexpected(invalid);
  }
  m_store.db.run(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
      {hash, unix_of(now), unix_of(now), user->id});
  m_store.db.run("UPDATE sessions SET revoked = 1 WHERE user_id = ?", {user->id});
  m_store.db.run("DELETE FROM login_guards WHERE email = ?", {email});
  m_store.invalidate_sessions_locked();
  tx.commit();
  return json::object{{"email", email}, {"status", "password_reset"}};
}

// ---- CAQH CORE --------------------------------------------------------------------------------

// Why an account whose identity is proven (a right password, a client certificate) may still
// not use CORE: its state, or no sign-in for 45 days.
std::optional<ApiError> SignIn::account_state_error(const User& user, SysTime now) {
  static const std::pair<const char*, const char*> k_states[] = {
      {"disabled", "account_disabled"},
      {"rejected", "account_rejected"},
      {"pending_review", "account_pending_review"},
      {"email_unverified", "email_not_verified"}};
  for (const auto& [status, code] : k_states) {
    if (user.status == status)
      return api_error(401, code, std::string("the account is not active (") + status + ")");
  }
  std::int64_t reference = std::max(user.last_login_at.value_or(0), user.activated_at.value_or(0));
  if (now - time_of(reference) > k_inactivity_limit) {
    return api_error(401, "account_inactive",
                     "the account is locked as inactive: no sign-in for 45 days; ask your "
                     "administrator to reactivate it");
  }
  return std::nullopt;
}

ApiResult<std::string> SignIn::verify_certificate_holder(std::string_view subject) {
  std::string email = records::normalize_email(std::string(subject));
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  std::optional<User> user = find_user_by_email(m_store.db, email);
  if (!user) {
    return tl::unexpected(
        api_error(401, "invalid_credentials",
                  "the client certificate's subject (CN) names no portal account: issue it for the "
                  "account's email (provportal-sandbox admin issue-client-cert --cn EMAIL)"));
  }
  if (auto bad = account_state_error(*user, now)) return tl::unexpected(*bad);
  Transaction tx(m_store.db);
  m_store.db.run("UPDATE users SET last_login_at = ? WHERE id = ?", {unix_of(now), user->id});
  tx.commit();
  return user->id;
}

ApiResult<std::string> SignIn::verify_credentials(std::string_view username,
                                                  std::string_view password) {
  std::string key = std::string(username);
  key += '\0';
  key += password;
  key = sha256_hex(key);
  std::string email = records::normalize_email(std::string(username));
  std::optional<User> user;
  std::unique_lock lock(m_store.mutex);
  for (;;) {
    SysTime now = m_store.now_locked();
    if (auto it = m_store.credentials.find(key); it != m_store.credentials.end()) {
      // Like a session: a lock that others' failures set later does not end it.
      if (it->second.expires_at > unix_of(now)) {
        ++m_credential_hits;
        return it->second.user_id;
      }
      m_store.credentials.erase(it);
    }
    // A client's first requests come all at once on all its connections: one Argon2 check
    // for the pair, the others answered from the cache it fills (or checking again after a
    // failure, which counts toward the lockout for each of them as before).
    if (!m_verifying.contains(key)) break;
    m_verified.wait(lock);
  }
  m_verifying.insert(key);
  struct Done {
    SignIn& self;
    const std::string& key;
    std::unique_lock<std::mutex>& lock;
    ~Done() {
      if (!lock.owns_lock()) lock.lock();  // only an exception leaves it unlocked
      self.m_verifying.erase(key);
      self.m_verified.notify_all();
    }
  } done{*this, key, lock};
  SysTime locked_at = m_store.now_locked();
  if (auto locked = lock_error(m_store.db, email, locked_at)) return tl::unexpected(*locked);
  user = find_user_by_email(m_store.db, email);
  lock.unlock();
  bool ok = false;
  if (user)
    ok = verify_password(password, user->password_hash);
  else
    burn_password_check(password);

  lock.lock();
  SysTime now = m_store.now_locked();
  if (!ok) {
    Transaction tx(m_store.db);
    auto err =
        record_failure(m_store.db, email, now,
                       api_error(401, "invalid_credentials", "the username or password is wrong"));
    tx.commit();
    return tl::unexpected(err);
  }
  // The password is right: from here the answer may describe the account's state.
  if (auto bad = account_state_error(*user, now)) return tl::unexpected(*bad);
  auto s = m_store.settings_locked();
  if (s.password_max_age_days > 0 &&
      now >= time_of(user->password_changed_at) + std::chrono::days{s.password_max_age_days}) {
    return tl::unexpected(
        api_error(401, "password_expired",
                  "the password has expired; change it at a portal sign-in, then use the new one"));
  }
  Transaction tx(m_store.db);
  m_store.db.run("DELETE FROM login_guards WHERE email = ?", {email});
  m_store.db.run("UPDATE users SET last_login_at = ? WHERE id = ?", {unix_of(now), user->id});
  tx.commit();
  if (m_store.credentials.size() >= k_session_cache_limit) m_store.credentials.clear();
  m_store.credentials[key] = CachedCredential{user->id, unix_of(now + k_core_credential_ttl)};
  return user->id;
}

// ---- sessions and profile ------------------------------------------------------------------

ApiResult<std::string> SignIn::authenticate(std::string_view token) {
  auto invalid =
      api_error(401, "session_invalid", "not signed in, or the session has expired; log in again");
  if (token.empty()) return tl::unexpected(invalid);
  std::string hash = sha256_hex(token);
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  auto t = unix_of(now);
  // The hot path: a session seen before in this process, valid, and not revoked since (a
  // revocation or a disabled account clears the cache, here or through the auth epoch).
  if (auto it = m_store.sessions.find(hash); it != m_store.sessions.end()) {
    auto& s = it->second;
    if (s.expires_at > t) {
      s.expires_at = std::min(unix_of(now + k_session_idle), s.absolute_expires_at);
      if (s.expires_at - s.stored_expires_at >= k_session_touch_interval.count()) {
        m_store.db.run("UPDATE sessions SET expires_at = ? WHERE token_hash = ?",
                       {s.expires_at, hash});
        s.stored_expires_at = s.expires_at;
      }
      return s.user_id;
    }
    m_store.sessions.erase(it);
  }
  CachedSession s;
  {
    auto st = m_store.db.query(
        "SELECT s.user_id, s.absolute_expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_at > ? AND u.status = 'active'",
        {hash, t});
    if (!st.step()) return tl::unexpected(invalid);
    s.user_id = st.text(0);
    s.absolute_expires_at = st.integer(1);
  }
  s.expires_at = s.stored_expires_at =
      std::min(unix_of(now + k_session_idle), s.absolute_expires_at);
  m_store.db.run("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", {s.expires_at, hash});
  if (m_store.sessions.size() >= k_session_cache_limit) m_store.sessions.clear();
  return m_store.sessions.insert_or_assign(hash, std::move(s)).first->second.user_id;
}

ApiResult<json::object> SignIn::refresh(std::string_view token) {
  auto user_id = authenticate(token);
  if (!user_id) return tl::unexpected(user_id.error());
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  Transaction tx(m_store.db);
  auto st = m_store.db.query("SELECT absolute_expires_at FROM sessions WHERE token_hash = ?",
                             {sha256_hex(token)});
  st.step();
  auto absolute = st.integer(0);
  std::string fresh = "pps_" + random_token();
  auto expires = std::min(unix_of(now + k_session_idle), absolute);
  m_store.db.run("UPDATE sessions SET revoked = 1 WHERE token_hash = ?", {sha256_hex(token)});
  m_store.db.run(
      "INSERT INTO sessions(token_hash, user_id, created_at, expires_at, absolute_expires_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {sha256_hex(fresh), *user_id, unix_of(now), expires, absolute});
  tx.commit();
  m_store.sessions.erase(sha256_hex(token));
  return json::object{{"token", fresh}, {"expires_at", format_iso8601(time_of(expires))}};
}

ApiResult<json::object> SignIn::logout(std::string_view token) {
  auto user_id = authenticate(token);
  if (!user_id) return tl::unexpected(user_id.error());
  std::lock_guard lock(m_store.mutex);
  m_store.db.run("UPDATE sessions SET revoked = 1 WHERE token_hash = ?", {sha256_hex(token)});
  m_store.sessions.erase(sha256_hex(token));
  return json::object{};
}

}  // namespace portal::sandbox
