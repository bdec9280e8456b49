// What the rooms of the portal share: the SQLite connection and the lock over it, the portal's
// clock and settings (cached, and re-read when another process changes them), the sessions seen
// recently, the outbox, and the immutable catalogues loaded from the seed. Each room (accounts,
// sign-in, profile, orders, claim status) holds a reference to the one Store its Portal owns.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/db.hpp"
#include "sandbox/mailer.hpp"
#include "sandbox/users.hpp"

namespace portal::sandbox {

class Roster;
class SolutionCatalog;
class ClaimCatalog;

// How often, at most, the portal asks SQLite whether another process (`provportal-sandbox
// admin`) changed the settings, the clock or the accounts; a change shows within this time.
inline constexpr std::chrono::milliseconds k_change_check_interval{1};

struct PortalSettings {
  bool maintenance_window = true;
  int password_max_age_days = 90;  // 0: passwords never expire
  std::string support_phone = "1-800-555-0100";
  // Day 0 of the seeded claims (YYYY-MM-DD): set to the portal's date when the seed is first
  // loaded, or by `serve --claims-epoch` / `admin settings --claims-epoch`.
  std::string claims_epoch;
  // CORE batch results are ready this many seconds after their submission (the portal's clock).
  int core_batch_delay_seconds = 0;
};

// A session seen recently: its sliding expiry lives here and reaches the database at most every
// k_session_touch_interval (signin.hpp). Dropped when the auth epoch changes.
struct CachedSession {
  std::string user_id;
  std::int64_t expires_at = 0, stored_expires_at = 0, absolute_expires_at = 0;
};

// A username and password CAQH CORE verified recently (SignIn::verify_credentials), by the
// SHA-256 of username, NUL, password. Dropped with the sessions when the auth epoch changes.
struct CachedCredential {
  std::string user_id;
  std::int64_t expires_at = 0;  // on the portal's clock
};

// The shared state. Members named *_locked, `db`, `sessions` and `credentials` need `mutex`
// held; the
// catalogues are set before serving (Portal::load_seed) and only read afterwards.
class Store {
 public:
  // Opens (creating and migrating) DATA_DIR/portal.db, the outbox and the admin token file
  // (created once, readable by the owner only).
  explicit Store(const std::filesystem::path& data_dir);

  std::mutex mutex;  // guards db, sessions and the cached settings
  Database db;
  Mailer mailer;
  std::filesystem::path data_dir, database_file, admin_token_file;
  std::string admin_token_hash;  // also the key of the signed page tokens
  std::unordered_map<std::string, CachedSession> sessions;        // by token hash
  std::unordered_map<std::string, CachedCredential> credentials;  // see CachedCredential
  std::shared_ptr<const Roster> roster;
  std::shared_ptr<const SolutionCatalog> solutions;
  std::shared_ptr<const ClaimCatalog> claims;

  // The portal's time: the machine's clock plus the stored offset.
  SysTime now_locked();
  PortalSettings settings_locked();
  // Both from one read of the settings.
  std::pair<SysTime, PortalSettings> now_and_settings_locked();
  // The clock offset as the last now_locked() or settings_locked() read it.
  std::chrono::milliseconds clock_offset_locked() const;
  // The stored clock offset, read afresh (not up to k_change_check_interval old).
  std::chrono::milliseconds fresh_clock_offset_locked();
  void set_clock_offset(std::chrono::milliseconds offset);
  // Sets the offset so that the portal's time is `t` now.
  void set_clock_offset_to(SysTime t);
  // A row of the settings table, and its upsert.
  std::string setting(const std::string& key, const std::string& fallback);
  void set_setting(const std::string& key, const std::string& value);
  // Ends every session, in this process and in any other (the auth epoch is stored).
  void invalidate_sessions_locked();

  // The profile as GET /v1/profile answers it (the organisation, the password's expiry).
  boost::json::object profile_json(const User& u, SysTime now);
  // The organisation of a user ("" when there is no such user).
  std::string organization_of_locked(const std::string& user_id);
  void send_mail(const std::string& to, const std::string& subject, const std::string& purpose,
                 const std::string& body, SysTime now);

 private:
  void refresh_locked();

  // The settings table as last read. Another process (`provportal-sandbox admin`) may change it
  // at any time: refresh_locked() re-reads it when SQLite's data_version says another
  // connection committed, asking at most every k_change_check_interval (the pragma takes file
  // locks, a few µs, and a request would otherwise ask several times).
  struct Cached {
    std::chrono::milliseconds clock_offset{0};  // the portal's clock minus the machine's
    PortalSettings settings;
    std::int64_t auth_epoch = 0;  // bumped when sessions or accounts are revoked or disabled
  };
  std::optional<Cached> m_cached;
  std::int64_t m_data_version = -1;
  std::chrono::steady_clock::time_point m_data_version_checked;
};

}  // namespace portal::sandbox
