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
#include "sandbox/passwords.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::seconds;

struct Portal::User {
  std::string id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax,
      organization_id, status, password_hash, totp_secret, totp_pending;
  std::int64_t password_changed_at = 0, created_at = 0, totp_last_step = 0;
  std::optional<std::int64_t> last_login_at, activated_at;
};

namespace {

constexpr const char* k_user_columns =
    "id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax, organization_id, "
    "status, password_hash, totp_secret, totp_pending, password_changed_at, created_at, "
    "totp_last_step, last_login_at, activated_at";

constexpr int k_schema_version = 1;
// More cached sessions than this and the cache starts over (each then reloads from the database).
constexpr std::size_t k_session_cache_limit = 100'000;

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

std::int64_t unix_of(SysTime t) { return t.time_since_epoch().count(); }
SysTime time_of(std::int64_t s) { return SysTime{seconds{s}}; }

ApiError api_error(int status, std::string code, std::string message, json::object extra = {}) {
  return ApiError{status, std::move(code), std::move(message), std::move(extra)};
}

std::string str(const json::object& body, std::string_view key) {
  const auto* v = body.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Emails are shown masked in answers so an answer never confirms a full address.
std::string mask_email(const std::string& email) {
  auto at = email.find('@');
  if (at == std::string::npos || at == 0) return "***";
  return email.substr(0, 1) + "***" + email.substr(at);
}

ApiError validation_error(const std::vector<FieldError>& problems) {
  json::array errors;
  for (const auto& p : problems)
    errors.push_back(json::object{{"field", p.field}, {"message", p.message}});
  std::string msg = "the record is not valid";
  if (!problems.empty()) msg += ": " + problems.front().field + " " + problems.front().message;
  return api_error(400, "validation_failed", msg, json::object{{"errors", std::move(errors)}});
}

ApiError password_rejected(const std::string& why) {
  return api_error(
      422, "password_rejected", why,
      json::object{{"errors", json::array{json::object{{"field", "password"}, {"message", why}}}}});
}

std::string code_hash(std::string_view scope, std::string_view code) {
  return sha256_hex(std::string(scope) + ":" + std::string(code));
}

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

// ---- registration ----------------------------------------------------------------------------

ApiResult<json::object> Portal::organizations(std::string_view npi) {
  if (!records::npi_is_valid(npi)) {
    return tl::unexpected(
        validation_error({{"npi", "must be a 10-digit NPI with a valid check digit"}}));
  }
  std::lock_guard lock(m_mutex);
  json::array list;
  auto st =
      m_db.query("SELECT id, name, npi, city, state FROM organizations WHERE npi = ? ORDER BY name",
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

ApiResult<json::object> Portal::register_account(const json::object& body) {
  json::object record = body;
  record.erase("password");
  auto problems = records::validate_record("registration", record);
  if (!problems.empty()) return tl::unexpected(validation_error(problems));

  std::string email = records::normalize_email(str(body, "email"));
  std::string password = str(body, "password");
  if (password.empty()) return tl::unexpected(password_rejected("a password is required"));
  if (auto why = records::password_problem(password, email, str(body, "first_name"),
                                           str(body, "last_name"))) {
    return tl::unexpected(password_rejected(*why));
  }
  std::string hash = hash_password(password);  // slow: outside the lock

  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  Transaction tx(m_db);
  {
    auto st = m_db.query(
        "SELECT 1 FROM users WHERE email = ? AND status NOT IN ('disabled', 'rejected')", {email});
    if (st.step()) {
      return tl::unexpected(
          api_error(409, "email_taken",
                    "an account with this email address already exists; each person "
                    "registers once (log in, or reset the password)"));
    }
  }
  std::string npi = str(body, "npi");
  std::string org_id = str(body, "organization_id");
  json::array matches;
  {
    auto st = m_db.query(
        "SELECT id, name, npi, city, state FROM organizations WHERE npi = ? ORDER BY name", {npi});
    while (st.step()) {
      matches.push_back(json::object{{"id", st.text(0)},
                                     {"name", st.text(1)},
                                     {"npi", st.text(2)},
                                     {"city", st.text(3)},
                                     {"state", st.text(4)}});
    }
  }
  if (!org_id.empty()) {
    bool found = false;
    for (const auto& m : matches) found = found || m.as_object().at("id").as_string() == org_id;
    if (!found) {
      return tl::unexpected(
          api_error(404, "organization_not_found", "no organisation with that id has this NPI"));
    }
  } else if (matches.size() > 1) {
    return tl::unexpected(
        api_error(409, "organization_choice_required",
                  "several organisations have this NPI; choose one with organization_id",
                  json::object{{"organizations", matches}}));
  } else if (matches.size() == 1) {
    org_id = std::string(matches[0].as_object().at("id").as_string());
  } else {
    org_id = "org_" + random_token(9);
    m_db.run(
        "INSERT INTO organizations(id, name, npi, tax_id, city, state, created_at) VALUES (?, ?, "
        "?, ?, '', '', ?)",
        {org_id, "Organization " + npi, npi, records::normalize_tax_id(str(body, "tax_id")),
         unix_of(now)});
  }
  std::string id = "usr_" + random_token(9);
  m_db.run(
      "INSERT INTO users(id, email, provider_type, npi, tax_id, first_name, last_name, phone, fax, "
      "organization_id, status, password_hash, password_changed_at, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending_review', ?, ?, ?, ?)",
      {id, email, str(body, "provider_type"), npi, records::normalize_tax_id(str(body, "tax_id")),
       str(body, "first_name"), str(body, "last_name"),
       records::normalize_us_phone(str(body, "phone")),
       records::normalize_us_phone(str(body, "fax")), org_id, hash, unix_of(now), unix_of(now),
       unix_of(now)});
  auto user = find_user_by_id(id);
  send_mail(email, "Your provider portal registration was received", "registration-received",
            "Hello " + user->first_name +
                ",\n\nWe received your registration for the provider portal.\n"
                "An administrator of the health plan will review it. Once it is approved you will "
                "get an\n"
                "email with a code to verify this address.\n",
            now);
  tx.commit();
  auto profile = profile_json(*user, now);
  return json::object{{"id", id},
                      {"email", email},
                      {"status", "pending_review"},
                      {"organization", profile.at("organization")}};
}

ApiResult<json::object> Portal::verify_email(const json::object& body) {
  std::string email = records::normalize_email(str(body, "email"));
  std::string code = str(body, "code");
  auto invalid = api_error(400, "invalid_code",
                           "the verification code is wrong or has expired; "
                           "ask your administrator to send a new one");
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  if (auto locked = lock_error(email, now)) return tl::unexpected(*locked);
  auto user = find_user_by_email(email);
  if (!user || user->status != "email_unverified") {
    Transaction failure(m_db);
    auto err = record_failure(email, now, invalid);
    failure.commit();
    return tl::unexpected(err);
  }
  Transaction tx(m_db);
  int changed = m_db.run(
      "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'verify_email' AND used = 0 "
      "AND expires_at > ? AND code_hash = ?",
      {user->id, unix_of(now), code_hash(user->id, code)});
  if (changed == 0) {
    auto err = record_failure(email, now, invalid);
    tx.commit();
    return tl::unexpected(err);
  }
  m_db.run("UPDATE users SET status = 'active', activated_at = ?, updated_at = ? WHERE id = ?",
           {unix_of(now), unix_of(now), user->id});
  m_db.run("DELETE FROM login_guards WHERE email = ?", {email});
  tx.commit();
  return json::object{{"email", email}, {"status", "active"}};
}

// ---- login ---------------------------------------------------------------------------------

std::optional<ApiError> Portal::lock_error(const std::string& email, SysTime now) {
  auto st = m_db.query("SELECT locked_until FROM login_guards WHERE email = ?", {email});
  if (st.step() && !st.is_null(0) && st.integer(0) > unix_of(now)) {
    auto until = time_of(st.integer(0));
    return api_error(423, "account_locked",
                     "the account is locked until " + format_iso8601(until) + " after " +
                         std::to_string(k_lockout_threshold) + " failed sign-in attempts",
                     json::object{{"locked_until", format_iso8601(until)}});
  }
  return std::nullopt;
}

ApiError Portal::record_failure(const std::string& email, SysTime now, ApiError base) {
  // Failures are counted per email whether or not an account exists, so the lockout itself
  // never tells an attacker which addresses are registered.
  m_db.run("INSERT INTO login_guards(email, failures) VALUES (?, 0) ON CONFLICT(email) DO NOTHING",
           {email});
  m_db.run("UPDATE login_guards SET failures = failures + 1 WHERE email = ?", {email});
  std::int64_t failures = 0;
  {
    // Read and let go before the write below (outside a transaction, a statement still open
    // makes it fail: see Database::check_no_statement_open).
    auto st = m_db.query("SELECT failures FROM login_guards WHERE email = ?", {email});
    if (st.step()) failures = st.integer(0);
  }
  if (failures >= k_lockout_threshold) {
    m_db.run("UPDATE login_guards SET failures = 0, locked_until = ? WHERE email = ?",
             {unix_of(now + k_lockout_duration), email});
    return *lock_error(email, now);
  }
  base.extra["attempts_remaining"] = k_lockout_threshold - failures;
  return base;
}

ApiResult<json::object> Portal::login(const json::object& body) {
  std::string email = records::normalize_email(str(body, "email"));
  std::string password = str(body, "password");
  auto invalid = api_error(401, "invalid_credentials", "the email address or password is wrong");
  std::optional<User> user;
  {
    std::lock_guard lock(m_mutex);
    SysTime now = now_locked();
    if (auto locked = lock_error(email, now)) return tl::unexpected(*locked);
    user = find_user_by_email(email);
  }
  bool ok = false;
  if (user)
    ok = verify_password(password, user->password_hash);
  else
    burn_password_check(password);

  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  if (!ok) {
    Transaction tx(m_db);
    auto err = record_failure(email, now, invalid);
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
  auto s = settings_locked();
  bool expired =
      s.password_max_age_days > 0 &&
      now >= time_of(user->password_changed_at) + std::chrono::days{s.password_max_age_days};
  std::string token = "mfa_" + random_token();
  m_db.run(
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

ApiResult<json::object> Portal::mfa_email(const json::object& body) {
  std::string token = str(body, "mfa_token");
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  std::string user_id;
  {
    auto st = m_db.query(
        "SELECT user_id FROM mfa_challenges WHERE token_hash = ? AND stage = 'mfa' AND used = 0 "
        "AND expires_at > ?",
        {sha256_hex(token), unix_of(now)});
    if (!st.step()) {
      return tl::unexpected(
          api_error(401, "mfa_token_invalid", "the sign-in attempt has expired; log in again"));
    }
    user_id = st.text(0);
  }
  auto user = find_user_by_id(user_id);
  std::string code = random_digits(6);
  Transaction tx(m_db);
  m_db.run(
      "UPDATE mfa_challenges SET email_code_hash = ?, email_code_expires = ? WHERE token_hash = ?",
      {code_hash(token, code), unix_of(now + k_email_code_ttl), sha256_hex(token)});
  send_mail(user->email, "Your provider portal sign-in passcode", "login-passcode",
            "Your one-time passcode is: " + code +
                "\n\nIt works once and expires in 10 minutes (at " +
                format_iso8601(now + k_email_code_ttl) +
                ").\nIf you did not try to sign in, change your password.\n",
            now);
  tx.commit();
  return json::object{{"sent_to", mask_email(user->email)},
                      {"expires_at", format_iso8601(now + k_email_code_ttl)}};
}

ApiResult<json::object> Portal::mfa_verify(const json::object& body) {
  std::string token = str(body, "mfa_token");
  std::string factor = str(body, "factor");
  std::string code = str(body, "code");
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  std::string user_id, email_hash;
  bool password_expired = false;
  std::int64_t email_expires = 0;
  {
    auto st = m_db.query(
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
  auto user = find_user_by_id(user_id);
  if (auto locked = lock_error(user->email, now)) return tl::unexpected(*locked);

  Transaction tx(m_db);
  bool ok = false;
  if (factor == "email") {
    ok = !email_hash.empty() && email_expires > unix_of(now) &&
         constant_time_equal(email_hash, code_hash(token, code));
    if (ok)
      m_db.run("UPDATE mfa_challenges SET email_code_hash = NULL WHERE token_hash = ?",
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
        m_db.run("UPDATE users SET totp_last_step = ? WHERE id = ?", {step, user->id});
      }
    }
  } else {
    return tl::unexpected(validation_error({{"factor", "must be \"email\" or \"totp\""}}));
  }
  if (!ok) {
    auto err = record_failure(
        user->email, now,
        api_error(401, "mfa_failed", "the one-time passcode is wrong, expired or already used"));
    tx.commit();
    return tl::unexpected(err);
  }
  m_db.run("UPDATE mfa_challenges SET used = 1 WHERE token_hash = ?", {sha256_hex(token)});
  m_db.run("DELETE FROM login_guards WHERE email = ?", {user->email});
  m_db.run("UPDATE users SET last_login_at = ? WHERE id = ?", {unix_of(now), user->id});
  if (password_expired) {
    std::string change = "pwc_" + random_token();
    m_db.run(
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

ApiResult<json::object> Portal::start_session(const User& u, SysTime now) {
  std::string token = "pps_" + random_token();
  auto absolute = now + k_session_absolute;
  auto expires = now + k_session_idle;
  m_db.run(
      "INSERT INTO sessions(token_hash, user_id, created_at, expires_at, absolute_expires_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {sha256_hex(token), u.id, unix_of(now), unix_of(expires), unix_of(absolute)});
  return json::object{
      {"token", token}, {"expires_at", format_iso8601(expires)}, {"user", profile_json(u, now)}};
}

ApiResult<json::object> Portal::expired_password_change(const json::object& body) {
  std::string token = str(body, "password_change_token");
  std::string password = str(body, "new_password");
  std::optional<User> user;
  {
    std::lock_guard lock(m_mutex);
    SysTime now = now_locked();
    auto st = m_db.query(
        "SELECT user_id FROM mfa_challenges WHERE token_hash = ? AND stage = 'password_change' "
        "AND used = 0 AND expires_at > ?",
        {sha256_hex(token), unix_of(now)});
    if (!st.step()) {
      return tl::unexpected(
          api_error(401, "mfa_token_invalid", "the password change has expired; log in again"));
    }
    user = find_user_by_id(st.text(0));
  }
  if (auto why =
          records::password_problem(password, user->email, user->first_name, user->last_name)) {
    return tl::unexpected(password_rejected(*why));
  }
  if (verify_password(password, user->password_hash)) {
    return tl::unexpected(password_rejected("the new password must differ from the expired one"));
  }
  std::string hash = hash_password(password);
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  Transaction tx(m_db);
  if (m_db.run("UPDATE mfa_challenges SET used = 1 WHERE token_hash = ? AND used = 0",
               {sha256_hex(token)}) == 0) {
    return tl::unexpected(
        api_error(401, "mfa_token_invalid", "the password change has expired; log in again"));
  }
  m_db.run(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
      {hash, unix_of(now), unix_of(now), user->id});
  user->password_changed_at = unix_of(now);
  auto session = start_session(*user, now);
  tx.commit();
  return session;
}

ApiResult<json::object> Portal::password_reset(const json::object& body) {
  std::string email = records::normalize_email(str(body, "email"));
  std::string code = str(body, "code");
  std::string password = str(body, "new_password");
  auto invalid = api_error(400, "invalid_code",
                           "the reset code is wrong or has expired; "
                           "ask your administrator to send a new one");
  std::optional<User> user;
  {
    std::lock_guard lock(m_mutex);
    SysTime now = now_locked();
    if (auto locked = lock_error(email, now)) return tl::unexpected(*locked);
    user = find_user_by_email(email);
    bool valid = false;
    if (user) {
      auto st = m_db.query(
          "SELECT 1 FROM codes WHERE user_id = ? AND purpose = 'password_reset' AND used = 0 "
          "AND expires_at > ? AND code_hash = ?",
          {user->id, unix_of(now), code_hash(user->id, code)});
      valid = st.step();
    }
    if (!valid) {
      Transaction tx(m_db);
      auto err = record_failure(email, now, invalid);
      tx.commit();
      return tl::unexpected(err);
    }
  }
  if (auto why =
          records::password_problem(password, user->email, user->first_name, user->last_name)) {
    return tl::unexpected(password_rejected(*why));
  }
  std::string hash = hash_password(password);
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  Transaction tx(m_db);
  if (m_db.run(
          "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'password_reset' AND used = 0 "
          "AND code_hash = ?",
          {user->id, code_hash(user->id, code)}) == 0) {
    return tl::unexpected(invalid);
  }
  m_db.run(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
      {hash, unix_of(now), unix_of(now), user->id});
  m_db.run("UPDATE sessions SET revoked = 1 WHERE user_id = ?", {user->id});
  m_db.run("DELETE FROM login_guards WHERE email = ?", {email});
  invalidate_sessions_locked();
  tx.commit();
  return json::object{{"email", email}, {"status", "password_reset"}};
}

// ---- sessions and profile ------------------------------------------------------------------

ApiResult<std::string> Portal::authenticate(std::string_view token) {
  auto invalid =
      api_error(401, "session_invalid", "not signed in, or the session has expired; log in again");
  if (token.empty()) return tl::unexpected(invalid);
  std::string hash = sha256_hex(token);
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  auto t = unix_of(now);
  // The hot path: a session seen before in this process, valid, and not revoked since (a
  // revocation or a disabled account clears the cache, here or through the auth epoch).
  if (auto it = m_sessions.find(hash); it != m_sessions.end()) {
    auto& s = it->second;
    if (s.expires_at > t) {
      s.expires_at = std::min(unix_of(now + k_session_idle), s.absolute_expires_at);
      if (s.expires_at - s.stored_expires_at >= k_session_touch_interval.count()) {
        m_db.run("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", {s.expires_at, hash});
        s.stored_expires_at = s.expires_at;
      }
      return s.user_id;
    }
    m_sessions.erase(it);
  }
  CachedSession s;
  {
    auto st = m_db.query(
        "SELECT s.user_id, s.absolute_expires_at FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_at > ? AND u.status = 'active'",
        {hash, t});
    if (!st.step()) return tl::unexpected(invalid);
    s.user_id = st.text(0);
    s.absolute_expires_at = st.integer(1);
  }
  s.expires_at = s.stored_expires_at =
      std::min(unix_of(now + k_session_idle), s.absolute_expires_at);
  m_db.run("UPDATE sessions SET expires_at = ? WHERE token_hash = ?", {s.expires_at, hash});
  if (m_sessions.size() >= k_session_cache_limit) m_sessions.clear();
  return m_sessions.insert_or_assign(hash, std::move(s)).first->second.user_id;
}

ApiResult<json::object> Portal::refresh(std::string_view token) {
  auto user_id = authenticate(token);
  if (!user_id) return tl::unexpected(user_id.error());
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  Transaction tx(m_db);
  auto st = m_db.query("SELECT absolute_expires_at FROM sessions WHERE token_hash = ?",
                       {sha256_hex(token)});
  st.step();
  auto absolute = st.integer(0);
  std::string fresh = "pps_" + random_token();
  auto expires = std::min(unix_of(now + k_session_idle), absolute);
  m_db.run("UPDATE sessions SET revoked = 1 WHERE token_hash = ?", {sha256_hex(token)});
  m_db.run(
      "INSERT INTO sessions(token_hash, user_id, created_at, expires_at, absolute_expires_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {sha256_hex(fresh), *user_id, unix_of(now), expires, absolute});
  tx.commit();
  m_sessions.erase(sha256_hex(token));
  return json::object{{"token", fresh}, {"expires_at", format_iso8601(time_of(expires))}};
}

ApiResult<json::object> Portal::logout(std::string_view token) {
  auto user_id = authenticate(token);
  if (!user_id) return tl::unexpected(user_id.error());
  std::lock_guard lock(m_mutex);
  m_db.run("UPDATE sessions SET revoked = 1 WHERE token_hash = ?", {sha256_hex(token)});
  m_sessions.erase(sha256_hex(token));
  return json::object{};
}

ApiResult<json::object> Portal::profile(const std::string& user_id) {
  std::lock_guard lock(m_mutex);
  auto user = find_user_by_id(user_id);
  if (!user) return tl::unexpected(api_error(401, "session_invalid", "log in again"));
  return profile_json(*user, now_locked());
}

ApiResult<json::object> Portal::update_profile(const std::string& user_id,
                                               const json::object& body) {
  auto problems = records::validate_record("profile", body);
  if (!problems.empty()) return tl::unexpected(validation_error(problems));
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  auto user = find_user_by_id(user_id);
  Transaction tx(m_db);
  std::string old_email = user->email;
  if (body.contains("email")) {
    std::string email = records::normalize_email(str(body, "email"));
    if (email != user->email) {
      auto st = m_db.query(
          "SELECT 1 FROM users WHERE email = ? AND status NOT IN ('disabled', 'rejected')",
          {email});
      if (st.step()) {
        return tl::unexpected(
            api_error(409, "email_taken", "another account already uses this email address"));
      }
      user->email = email;
    }
  }
  if (body.contains("first_name")) user->first_name = str(body, "first_name");
  if (body.contains("last_name")) user->last_name = str(body, "last_name");
  if (body.contains("phone")) user->phone = records::normalize_us_phone(str(body, "phone"));
  if (body.contains("fax")) user->fax = records::normalize_us_phone(str(body, "fax"));
  m_db.run(
      "UPDATE users SET email = ?, first_name = ?, last_name = ?, phone = ?, fax = ?, updated_at = "
      "? WHERE id = ?",
      {user->email, user->first_name, user->last_name, user->phone, user->fax, unix_of(now),
       user->id});
  if (old_email != user->email) {
    send_mail(old_email, "Your provider portal email address was changed", "email-changed",
              "The email address of your provider portal account was changed to " + user->email +
                  ".\nIf you did not do this, call the health plan's provider services.\n",
              now);
  }
  tx.commit();
  return profile_json(*user, now);
}

ApiResult<json::object> Portal::change_password(const std::string& user_id,
                                                const json::object& body) {
  std::optional<User> user;
  {
    std::lock_guard lock(m_mutex);
    user = find_user_by_id(user_id);
  }
  if (!verify_password(str(body, "current_password"), user->password_hash)) {
    return tl::unexpected(api_error(401, "invalid_credentials", "the current password is wrong"));
  }
  std::string password = str(body, "new_password");
  if (auto why =
          records::password_problem(password, user->email, user->first_name, user->last_name)) {
    return tl::unexpected(password_rejected(*why));
  }
  std::string hash = hash_password(password);
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  m_db.run(
      "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
      {hash, unix_of(now), unix_of(now), user->id});
  return json::object{{"status", "password_changed"}};
}

ApiResult<json::object> Portal::totp_begin(const std::string& user_id) {
  std::lock_guard lock(m_mutex);
  auto user = find_user_by_id(user_id);
  std::string secret = auth::new_totp_secret();
  m_db.run("UPDATE users SET totp_pending = ? WHERE id = ?", {secret, user_id});
  return json::object{{"secret", secret}, {"otpauth_uri", auth::otpauth_uri(secret, user->email)}};
}

ApiResult<json::object> Portal::totp_confirm(const std::string& user_id, const json::object& body) {
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  auto user = find_user_by_id(user_id);
  if (user->totp_pending.empty()) {
    return tl::unexpected(api_error(409, "no_pending_enrolment", "start the enrolment first"));
  }
  auto key = auth::base32_decode(user->totp_pending);
  std::string code = str(body, "code");
  auto step_now = static_cast<std::int64_t>(auth::totp_step(now));
  for (std::int64_t step = step_now - 1; step <= step_now + 1; ++step) {
    if (constant_time_equal(auth::hotp(*key, static_cast<std::uint64_t>(step)), code)) {
      m_db.run(
          "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ? "
          "WHERE id = ?",
          {step, user_id});
      return json::object{{"totp_enrolled", true}};
    }
  }
  return tl::unexpected(
      api_error(401, "mfa_failed", "the code from the authenticator app is wrong or expired"));
}

ApiResult<json::object> Portal::totp_disable(const std::string& user_id, const json::object& body) {
  std::optional<User> user;
  {
    std::lock_guard lock(m_mutex);
    user = find_user_by_id(user_id);
  }
  if (!verify_password(str(body, "password"), user->password_hash)) {
    return tl::unexpected(api_error(401, "invalid_credentials", "the password is wrong"));
  }
  std::lock_guard lock(m_mutex);
  m_db.run("UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE id = ?", {user_id});
  return json::object{{"totp_enrolled", false}};
}

// ---- eligibility -------------------------------------------------------------------------------

ApiResult<json::object> Portal::check_eligibility(const json::object& body) {
  auto problems = records::validate_record("eligibility", body);
  if (!problems.empty()) return tl::unexpected(validation_error(problems));
  return sandbox::check_eligibility(*m_roster, body, chicago_today(now()));
}

json::object Portal::health_plans() const { return health_plans_json(*m_roster); }

// ---- administration ----------------------------------------------------------------------------

bool Portal::admin_token_matches(std::string_view token) {
  return !token.empty() && constant_time_equal(sha256_hex(token), m_admin_token_hash);
}

ApiResult<json::object> Portal::admin_registrations(std::string_view status) {
  std::lock_guard lock(m_mutex);
  json::array list;
  auto st = m_db.query(
      "SELECT u.id, u.email, u.first_name, u.last_name, u.provider_type, u.npi, u.status, "
      "u.created_at, o.name FROM users u JOIN organizations o ON o.id = u.organization_id "
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
                                {"organization", st.text(8)}});
  }
  return json::object{{"registrations", std::move(list)}};
}

ApiResult<json::object> Portal::admin_action(std::string_view action, std::string_view raw_email) {
  std::string email = records::normalize_email(raw_email);
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  auto user = find_user_by_email(email);
  if (!user)
    return tl::unexpected(api_error(404, "account_not_found", "no account has this email address"));
  auto invalid_state = [&](const std::string& need) {
    return tl::unexpected(api_error(409, "invalid_state",
                                    "the account is " + user->status + "; " + std::string(action) +
                                        " needs an account that is " + need,
                                    json::object{{"status", user->status}}));
  };
  Transaction tx(m_db);
  std::string status = user->status;
  if (action == "approve") {
    if (user->status != "pending_review") return invalid_state("pending review");
    status = "email_unverified";
    std::string code = random_digits(8);
    m_db.run(
        "INSERT INTO codes(user_id, purpose, code_hash, expires_at, created_at) VALUES (?, "
        "'verify_email', ?, ?, ?)",
        {user->id, code_hash(user->id, code), unix_of(now + std::chrono::days{7}), unix_of(now)});
    m_db.run("UPDATE users SET status = ?, updated_at = ? WHERE id = ?",
             {status, unix_of(now), user->id});
    send_mail(email, "Verify your email address for the provider portal", "verify-email",
              "Hello " + user->first_name +
                  ",\n\nYour provider portal registration was approved.\n"
                  "Verify your email address with this code: " +
                  code +
                  "\n\n"
                  "  provportal verify-email --email " +
                  email + " --code " + code +
                  "\n\n"
                  "The code expires in 7 days (at " +
                  format_iso8601(now + std::chrono::days{7}) + ").\n",
              now);
  } else if (action == "reject") {
    if (user->status != "pending_review") return invalid_state("pending review");
    status = "rejected";
    m_db.run("UPDATE users SET status = ?, updated_at = ? WHERE id = ?",
             {status, unix_of(now), user->id});
    send_mail(email, "Your provider portal registration was not approved", "registration-rejected",
              "Hello " + user->first_name +
                  ",\n\nYour registration for the provider portal was not approved.\n"
                  "Contact the health plan's provider services if you think this is a mistake.\n",
              now);
  } else if (action == "disable") {
    if (user->status == "disabled") return invalid_state("not disabled already");
    status = "disabled";
    m_db.run("UPDATE users SET status = ?, updated_at = ? WHERE id = ?",
             {status, unix_of(now), user->id});
    m_db.run("UPDATE sessions SET revoked = 1 WHERE user_id = ?", {user->id});
    invalidate_sessions_locked();
  } else if (action == "unlock") {
    if (user->status != "active") return invalid_state("active");
    m_db.run("DELETE FROM login_guards WHERE email = ?", {email});
    m_db.run("UPDATE users SET activated_at = ?, updated_at = ? WHERE id = ?",
             {unix_of(now), unix_of(now), user->id});
  } else if (action == "reset-password") {
    if (user->status != "active") return invalid_state("active");
    std::string code = random_digits(8);
    m_db.run(
        "UPDATE codes SET used = 1 WHERE user_id = ? AND purpose = 'password_reset' AND used = 0",
        {user->id});
    m_db.run(
        "INSERT INTO codes(user_id, purpose, code_hash, expires_at, created_at) VALUES (?, "
        "'password_reset', ?, ?, ?)",
        {user->id, code_hash(user->id, code), unix_of(now + std::chrono::hours{1}), unix_of(now)});
    send_mail(email, "Reset your provider portal password", "password-reset",
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
