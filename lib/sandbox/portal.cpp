#include "sandbox/portal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include "portal/auth/totp.hpp"
#include "portal/records/npi.hpp"
#include "portal/records/password_policy.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/order_rows.hpp"
#include "sandbox/passwords.hpp"
#include "sandbox/rules.hpp"
#include "sandbox/users.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr int k_schema_version = 1;

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

}  // namespace

Portal::Portal(const std::filesystem::path& data_dir)
    : m_db((std::filesystem::create_directories(data_dir), data_dir / "portal.db")),
      m_database_file(data_dir / "portal.db"),
      m_mailer(data_dir / "outbox"),
      m_admin_token_file(data_dir / "admin-token"),
      m_roster(std::make_shared<const Roster>()),
      m_solutions(std::make_shared<const SolutionCatalog>()),
      m_claims(std::make_shared<const ClaimCatalog>()),
      m_data_dir(data_dir) {
  {
    auto st = m_db.query("PRAGMA user_version");
    st.step();
    if (st.integer(0) < k_schema_version) {
      m_db.exec(k_schema_sql);
      m_db.exec("PRAGMA user_version=" + std::to_string(k_schema_version));
    }
  }
  create_prior_auth_schema(m_db);
  // The administrator's bearer token: created once, readable by the owner only.
  if (!std::filesystem::exists(m_admin_token_file)) {
    std::string token = "adm_" + random_token();
    auto tmp = m_admin_token_file;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + m_admin_token_file.string());
    std::string line = token + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + m_admin_token_file.string());
    std::filesystem::rename(tmp, m_admin_token_file);
  }
  std::ifstream in(m_admin_token_file);
  std::string token;
  std::getline(in, token);
  m_admin_token_hash = sha256_hex(token);
}

void Portal::load_seed(const std::filesystem::path& seed_dir) {
  m_roster = std::make_shared<const Roster>(Roster::load(seed_dir));
  m_solutions = std::make_shared<const SolutionCatalog>(SolutionCatalog::load(seed_dir));
  // A plan that takes cases for a solution the catalogue lacks would reject every such case.
  if (!m_solutions->solutions().empty()) {
    for (const auto& plan : m_roster->plans()) {
      const auto* listed = plan.benefits.if_contains("prior_authorization");
      if (listed == nullptr || !listed->is_array()) continue;
      for (const auto& id : listed->as_array()) {
        if (id.is_string() && m_solutions->find(id.as_string()) == nullptr) {
          throw std::runtime_error((seed_dir / "plans.yaml").string() + ": plan " + plan.id +
                                   " lists prior_authorization solution " +
                                   std::string(id.as_string()) +
                                   ", which solutions.yaml does not define");
        }
      }
    }
  }
  auto file = seed_dir / "organizations.yaml";
  std::lock_guard lock(m_mutex);
  if (std::filesystem::exists(file)) {
    YAML::Node root = YAML::LoadFile(file.string());
    Transaction tx(m_db);
    auto now = unix_of(now_locked());
    for (const auto& org : root["organizations"]) {
      m_db.run(
          "INSERT INTO organizations(id, name, npi, tax_id, city, state, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
          "npi=excluded.npi, tax_id=excluded.tax_id, city=excluded.city, state=excluded.state",
          {org["id"].as<std::string>(), org["name"].as<std::string>(), org["npi"].as<std::string>(),
           org["tax_id"].as<std::string>(""), org["city"].as<std::string>(""),
           org["state"].as<std::string>(""), now});
    }
    tx.commit();
  }
  std::set<std::string> organizations;
  {
    auto st = m_db.query("SELECT id FROM organizations");
    while (st.step()) organizations.insert(st.text(0));
  }
  m_claims =
      std::make_shared<const ClaimCatalog>(ClaimCatalog::load(seed_dir, *m_roster, organizations));
  // The claims' day 0 is fixed once, so a restart tomorrow shows the same claims on the same dates.
  if (setting("claims_epoch", "").empty())
    set_setting("claims_epoch", format_date(chicago_today(now_locked())));
}

// ---- settings and clock ----------------------------------------------------------------------

std::string Portal::setting(const std::string& key, const std::string& fallback) {
  auto st = m_db.query("SELECT value FROM settings WHERE key = ?", {key});
  return st.step() ? st.text(0) : fallback;
}

void Portal::set_setting(const std::string& key, const std::string& value) {
  m_db.run(
      "INSERT INTO settings(key, value) VALUES (?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      {key, value});
  m_cached.reset();  // our own commits do not change data_version
}

void Portal::refresh_locked() {
  auto checked = std::chrono::steady_clock::now();
  if (m_cached && checked - m_data_version_checked < k_change_check_interval) return;
  m_data_version_checked = checked;
  auto version = [&] {
    auto st = m_db.query("PRAGMA data_version");
    st.step();
    return st.integer(0);
  }();
  if (m_cached && version == m_data_version) return;
  m_data_version = version;
  Cached fresh;
  std::optional<std::chrono::milliseconds> offset_ms;
  std::optional<seconds> offset_s;  // databases from before clock_offset_ms
  auto st = m_db.query("SELECT key, value FROM settings");
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
    else if (key == "auth_epoch")
      fresh.auth_epoch = std::stoll(value);
  }
  fresh.clock_offset = offset_ms.value_or(offset_s.value_or(seconds{0}));
  // Another process disabled an account or revoked sessions: cached sessions are re-checked.
  if (!m_cached || m_cached->auth_epoch != fresh.auth_epoch) m_sessions.clear();
  m_cached = std::move(fresh);
}

void Portal::invalidate_sessions_locked() {
  // Read afresh: m_cached may be up to k_change_check_interval old.
  auto epoch = std::stoll(setting("auth_epoch", "0")) + 1;
  set_setting("auth_epoch", std::to_string(epoch));
  m_sessions.clear();
}

namespace {
// The machine's clock to the millisecond: the offset is kept that precisely, so the portal's
// time is exactly what `clock set` said at that moment and ticks a second a second later.
std::chrono::milliseconds machine_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
}
}  // namespace

SysTime Portal::now_locked() {
  // Follows `provportal-sandbox admin clock ...` from another process at once (see refresh_locked).
  refresh_locked();
  return SysTime{std::chrono::floor<seconds>(machine_ms() + m_cached->clock_offset)};
}

SysTime Portal::now() {
  std::lock_guard lock(m_mutex);
  return now_locked();
}

std::pair<SysTime, PortalSettings> Portal::now_and_settings() {
  std::lock_guard lock(m_mutex);
  auto now = now_locked();
  return {now, m_cached->settings};
}

boost::json::object Portal::clock_show() {
  std::lock_guard lock(m_mutex);
  auto now = now_locked();
  return {{"now", format_iso8601(now)},
          {"offset_seconds", std::chrono::round<seconds>(m_cached->clock_offset).count()}};
}

void Portal::set_clock_offset(std::chrono::milliseconds offset) {
  set_setting("clock_offset_ms", std::to_string(offset.count()));
  m_db.run("DELETE FROM settings WHERE key = 'clock_offset_seconds'");  // the older, coarser key
}

boost::json::object Portal::clock_set(SysTime t) {
  {
    std::lock_guard lock(m_mutex);
    set_clock_offset(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()) -
                     machine_ms());
  }
  return clock_show();
}

boost::json::object Portal::clock_advance(std::chrono::seconds d) {
  {
    std::lock_guard lock(m_mutex);
    m_cached.reset();  // read the offset afresh, not up to k_change_check_interval old
    refresh_locked();
    set_clock_offset(m_cached->clock_offset + d);
  }
  return clock_show();
}

boost::json::object Portal::clock_reset() {
  {
    std::lock_guard lock(m_mutex);
    set_clock_offset(std::chrono::milliseconds{0});
  }
  return clock_show();
}

PortalSettings Portal::settings_locked() {
  refresh_locked();
  return m_cached->settings;
}

PortalSettings Portal::settings() {
  std::lock_guard lock(m_mutex);
  return settings_locked();
}

ApiResult<json::object> Portal::update_settings(const json::object& body) {
  std::lock_guard lock(m_mutex);
  if (const auto* v = body.if_contains("maintenance_window")) {
    if (!v->is_bool())
      return tl::unexpected(
          api_error(400, "validation_failed", "maintenance_window must be true or false"));
    set_setting("maintenance_window", v->as_bool() ? "on" : "off");
  }
  if (const auto* v = body.if_contains("password_max_age_days")) {
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 3650) {
      return tl::unexpected(
          api_error(400, "validation_failed", "password_max_age_days must be 0 (never) to 3650"));
    }
    set_setting("password_max_age_days", std::to_string(v->as_int64()));
  }
  if (const auto* v = body.if_contains("support_phone")) {
    if (!v->is_string())
      return tl::unexpected(api_error(400, "validation_failed", "support_phone must be text"));
    set_setting("support_phone", std::string(v->as_string()));
  }
  if (const auto* v = body.if_contains("claims_epoch")) {
    if (!v->is_string() || !parse_date(v->as_string())) {
      return tl::unexpected(
          api_error(400, "validation_failed", "claims_epoch must be a date written YYYY-MM-DD"));
    }
    set_setting("claims_epoch", std::string(v->as_string()));
  }
  auto s = settings_locked();
  return json::object{{"maintenance_window", s.maintenance_window},
                      {"password_max_age_days", s.password_max_age_days},
                      {"support_phone", s.support_phone},
                      {"claims_epoch", s.claims_epoch.empty() ? json::value(nullptr)
                                                              : json::value(s.claims_epoch)}};
}

// ---- users ---------------------------------------------------------------------------------

namespace {
template <typename U>
U read_user(Statement& st) {
  U u;
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

std::optional<Portal::User> Portal::find_user_by_email(const std::string& email) {
  // A live account wins over disabled or rejected ones kept for the record.
  auto st =
      m_db.query(std::string("SELECT ") + k_user_columns +
                     " FROM users WHERE email = ? ORDER BY status IN ('disabled', 'rejected'), "
                     "created_at DESC LIMIT 1",
                 {email});
  if (!st.step()) return std::nullopt;
  return read_user<User>(st);
}

std::optional<Portal::User> Portal::find_user_by_id(const std::string& id) {
  auto st = m_db.query(std::string("SELECT ") + k_user_columns + " FROM users WHERE id = ?", {id});
  if (!st.step()) return std::nullopt;
  return read_user<User>(st);
}

json::object Portal::profile_json(const User& u, SysTime now) {
  json::object org;
  auto st = m_db.query("SELECT id, name, npi FROM organizations WHERE id = ?", {u.organization_id});
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

void Portal::send_mail(const std::string& to, const std::string& subject,
                       const std::string& purpose, const std::string& body, SysTime now) {
  m_mailer.send(Email{to, subject, purpose, body}, now);
}

// ---- eligibility -------------------------------------------------------------------------------

ApiResult<json::object> Portal::check_eligibility(const json::object& body) {
  auto problems = records::validate_record("eligibility", body);
  if (!problems.empty()) return tl::unexpected(validation_error(problems));
  return sandbox::check_eligibility(*m_roster, body, chicago_today(now()));
}

json::object Portal::health_plans() const { return health_plans_json(*m_roster); }

}  // namespace portal::sandbox
