#include "sandbox/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "portal/util/atomic_file.hpp"
#include "portal/util/crypto.hpp"
#include "sandbox/claims.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/order_rows.hpp"
#include "sandbox/rules.hpp"
#include "sandbox/solutions.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr int k_schema_version = 2;  // 2: verification_resends

constexpr const char* k_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organizations (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, npi TEXT NOT NULL, tax_id TEXT, city TEXT, state TEXT,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS organizations_npi ON organizations(npi);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, email TEXT NOT NULL, provider_type TEXT NOT NULL, npi TEXT NOT NULL,
  tax_id TEXT, first_name TEXT NOT NULL, last_name TEXT NOT NULL, phone TEXT NOT NULL,
  fax TEXT NOT NULL, organization_id TEXT NOT NULL REFERENCES organizations(id),
  status TEXT NOT NULL, password_hash TEXT NOT NULL, totp_secret TEXT, totp_pending TEXT,
  totp_last_step INTEGER NOT NULL DEFAULT 0, password_changed_at INTEGER NOT NULL,
  last_login_at INTEGER, activated_at INTEGER, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS users_live_email ON users(email)
  WHERE status NOT IN ('disabled', 'rejected');
CREATE TABLE IF NOT EXISTS login_guards (
  email TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0, locked_until INTEGER);
CREATE TABLE IF NOT EXISTS verification_resends (
  email TEXT PRIMARY KEY, last_at INTEGER NOT NULL, day_start INTEGER NOT NULL,
  day_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
  id INTEGER PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), purpose TEXT NOT NULL,
  code_hash TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mfa_challenges (
  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), stage TEXT NOT NULL,
  password_expired INTEGER NOT NULL, email_code_hash TEXT, email_code_expires INTEGER,
  expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, absolute_expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0);
)sql";

// The machine's clock to the millisecond: the offset is kept that precisely, so the portal's
// time is exactly what `clock set` said at that moment and ticks a second a second later.
std::chrono::milliseconds machine_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
}

}  // namespace

Store::Store(const std::filesystem::path& dir)
    : db((std::filesystem::create_directories(dir), dir / "portal.db")),
      mailer(dir / "outbox"),
      data_dir(dir),
      database_file(dir / "portal.db"),
      admin_token_file(dir / "admin-token"),
      roster(std::make_shared<const Roster>()),
      solutions(std::make_shared<const SolutionCatalog>()),
      claims(std::make_shared<const ClaimCatalog>()) {
  {
    auto st = db.query("PRAGMA user_version");
    st.step();
    if (st.integer(0) < k_schema_version) {
      db.exec(k_schema_sql);
      db.exec("PRAGMA user_version=" + std::to_string(k_schema_version));
    }
  }
  create_prior_auth_schema(db);
  // The administrator's bearer token: created once, readable by the owner only.
  if (!std::filesystem::exists(admin_token_file)) {
    std::string token = "adm_" + random_token();
    auto written =
        write_file_atomically(admin_token_file, token + "\n", {.mode = 0600, .exact_mode = true});
    if (!written) {
      throw std::runtime_error("cannot write " + admin_token_file.string() + ": " +
                               written.error().message);
    }
  }
  std::ifstream in(admin_token_file);
  std::string token;
  std::getline(in, token);
  admin_token_hash = sha256_hex(token);
}

std::string Store::setting(const std::string& key, const std::string& fallback) {
  auto st = db.query("SELECT value FROM settings WHERE key = ?", {key});
  return st.step() ? st.text(0) : fallback;
}

void Store::set_setting(const std::string& key, const std::string& value) {
  db.run(
      "INSERT INTO settings(key, value) VALUES (?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      {key, value});
  m_cached.reset();  // our own commits do not change data_version
}

void Store::refresh_locked() {
  auto checked = std::chrono::steady_clock::now();
  if (m_cached && checked - m_data_version_checked < k_change_check_interval) return;
  m_data_version_checked = checked;
  auto version = [&] {
    auto st = db.query("PRAGMA data_version");
    st.step();
    return st.integer(0);
  }();
  if (m_cached && version == m_data_version) return;
  m_data_version = version;
  Cached fresh;
  std::optional<std::chrono::milliseconds> offset_ms;
  std::optional<seconds> offset_s;  // databases from before clock_offset_ms
  auto st = db.query("SELECT key, value FROM settings");
  while (st.step()) {
    std::string key = st.text(0);
    std::string value = st.text(1);
    if (key == "clock_offset_ms")
      offset_ms = std::chrono::milliseconds{std::stoll(value)};
    else if (key == "clock_offset_seconds")
      offset_s = seconds{std::stoll(value)};
    else if (key == "maintenance_window")
      fresh.settings.maintenance_window = value == "on";
    else if (key == "password_max_age_days")
      fresh.settings.password_max_age_days = std::stoi(value);
    else if (key == "support_phone")
      fresh.settings.support_phone = value;
    else if (key == "claims_epoch")
      fresh.settings.claims_epoch = value;
    else if (key == "core_batch_delay_seconds")
      fresh.settings.core_batch_delay_seconds = std::stoi(value);
    else if (key == "auth_epoch")
      fresh.auth_epoch = std::stoll(value);
  }
  fresh.clock_offset = offset_ms.value_or(offset_s.value_or(seconds{0}));
  // Another process disabled an account or revoked sessions: cached sessions are re-checked.
  if (!m_cached || m_cached->auth_epoch != fresh.auth_epoch) {
    sessions.clear();
    credentials.clear();
  }
  m_cached = std::move(fresh);
}

void Store::invalidate_sessions_locked() {
  // Read afresh: m_cached may be up to k_change_check_interval old.
  auto epoch = std::stoll(setting("auth_epoch", "0")) + 1;
  set_setting("auth_epoch", std::to_string(epoch));
  sessions.clear();
  credentials.clear();
}

SysTime Store::now_locked() {
  // Follows `provportal-sandbox admin clock ...` from another process at once (see refresh_locked).
  refresh_locked();
  return SysTime{std::chrono::floor<seconds>(machine_ms() + m_cached->clock_offset)};
}

std::pair<SysTime, PortalSettings> Store::now_and_settings_locked() {
  auto now = now_locked();
  return {now, m_cached->settings};
}

std::chrono::milliseconds Store::clock_offset_locked() const { return m_cached->clock_offset; }

std::chrono::milliseconds Store::fresh_clock_offset_locked() {
  m_cached.reset();  // read the offset afresh, not up to k_change_check_interval old
  refresh_locked();
  return m_cached->clock_offset;
}

void Store::set_clock_offset_to(SysTime t) {
  set_clock_offset(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()) -
                   machine_ms());
}

void Store::set_clock_offset(std::chrono::milliseconds offset) {
  set_setting("clock_offset_ms", std::to_string(offset.count()));
  db.run("DELETE FROM settings WHERE key = 'clock_offset_seconds'");  // the older, coarser key
}

PortalSettings Store::settings_locked() {
  refresh_locked();
  return m_cached->settings;
}

json::object Store::profile_json(const User& u, SysTime now) {
  json::object org;
  auto st = db.query("SELECT id, name, npi FROM organizations WHERE id = ?", {u.organization_id});
  if (st.step()) org = {{"id", st.text(0)}, {"name", st.text(1)}, {"npi", st.text(2)}};
  auto s = settings_locked();
  json::value expires = nullptr;
  if (s.password_max_age_days > 0) {
    expires =
        format_iso8601(time_of(u.password_changed_at) + std::chrono::days{s.password_max_age_days});
  }
  (void)now;
  return {{"id", u.id},
          {"email", u.email},
          {"first_name", u.first_name},
          {"last_name", u.last_name},
          {"phone", u.phone},
          {"fax", u.fax},
          {"provider_type", u.provider_type},
          {"npi", u.npi},
          {"organization", std::move(org)},
          {"status", u.status},
          {"totp_enrolled", !u.totp_secret.empty()},
          {"password_expires_at", expires},
          {"last_login_at", u.last_login_at ? json::value(format_iso8601(time_of(*u.last_login_at)))
                                            : json::value(nullptr)},
          {"created_at", format_iso8601(time_of(u.created_at))}};
}

void Store::send_mail(const std::string& to, const std::string& subject, const std::string& purpose,
                      const std::string& body, SysTime now) {
  mailer.send(Email{to, subject, purpose, body}, now);
}
std::string Store::organization_of_locked(const std::string& user_id) {
  auto st = db.query("SELECT organization_id FROM users WHERE id = ?", {user_id});
  return st.step() ? st.text(0) : std::string();
}

}  // namespace portal::sandbox
