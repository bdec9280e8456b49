// The cached session of a profile: $XDG_CONFIG_HOME/provportal/sessions/<profile>.json, created
// 0600 in a 0700 directory, read-modify-written under an exclusive flock, refreshed near expiry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "portal/api/portal_api.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/error.hpp"

namespace portal::auth {

namespace fs = std::filesystem;

// Refresh a session that expires sooner than this before using it.
inline constexpr std::chrono::minutes k_refresh_margin{5};

struct Session {
  std::string base_url;
  std::string email;
  std::string token;
  std::string expires_at;         // RFC 3339, as the portal sent it (on the portal's clock)
  std::int64_t clock_offset = 0;  // seconds the portal's clock is ahead of ours (at login)
};

// The session file of one profile.
class SessionStore {
 public:
  SessionStore(fs::path dir, std::string profile);

  // An exclusive advisory lock on the profile's session, held until destroyed.
  class Lock {
   public:
    explicit Lock(int fd) : m_fd(fd) {}
    Lock(Lock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    Lock& operator=(Lock&&) = delete;
    ~Lock();

   private:
    int m_fd;
  };

  // Waits for and takes the lock (a separate <profile>.lock file, so renames do not lose it).
  Expected<Lock> lock() const;
  // The cached session; nullopt when there is none. A corrupt file reads as none.
  Expected<std::optional<Session>> load() const;
  // Replaces the cache atomically (temp file opened O_EXCL mode 0600, fsync, rename).
  Expected<void> save(const Session& session) const;
  // Deletes the cache; true when there was one.
  Expected<bool> remove() const;
  const fs::path& path() const { return m_path; }

 private:
  Expected<void> ensure_dir() const;

  fs::path m_dir;
  fs::path m_path;
  fs::path m_lock_path;
};

// For `login --if-needed`, with the store's lock held by the caller (so that a second job waits,
// then finds the session the first one made): the cached session when it is for `api`'s portal
// and for `email` (empty: any account) and the portal still takes it, refreshed first when it
// expires within k_refresh_margin, and checked with GET /v1/profile. Its token is then `api`'s.
// nullopt when a new login is needed; errors that say nothing about the session (the portal
// unreachable, maintenance) are returned as they are.
Expected<std::optional<Session>> reusable_session(const SessionStore& store, api::PortalApi& api,
                                                  const Clock& clock, std::string_view email);

// Loads the profile's session for `api` (same base URL), refreshing it first (and rewriting the
// cache) when it expires within k_refresh_margin, and gives its token to `api`. ErrorKind::auth
// "not logged in" (hint: provportal login) when there is none or the portal no longer knows it.
Expected<Session> use_session(const SessionStore& store, api::PortalApi& api, const Clock& clock);

}  // namespace portal::auth
