#include "portal/auth/session.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/log/log.hpp"
#include "portal/util/atomic_file.hpp"

namespace portal::auth {

namespace json = boost::json;

namespace {

std::string errno_text() { return std::strerror(errno); }

Error not_logged_in(std::string why) {
  return Error(ErrorKind::auth, std::move(why), "run `provportal login`");
}

}  // namespace

SessionStore::SessionStore(fs::path dir, std::string profile)
    : m_dir(std::move(dir)),
      m_path(m_dir / (profile + ".json")),
      m_lock_path(m_dir / (profile + ".lock")) {}

SessionStore::Lock::~Lock() {
  if (m_fd >= 0) ::close(m_fd);  // closing releases the flock
}

Expected<void> SessionStore::ensure_dir() const {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  if (ec) return fail(ErrorKind::internal, "cannot create " + m_dir.string() + ": " + ec.message());
  // The directory holds bearer tokens: nobody else may list or enter it.
  if (::chmod(m_dir.c_str(), 0700) != 0) {
    return fail(ErrorKind::internal, "cannot restrict " + m_dir.string() + ": " + errno_text());
  }
  return {};
}

Expected<SessionStore::Lock> SessionStore::lock() const {
  if (auto ok = ensure_dir(); !ok) return fail(ok.error());
  int fd = ::open(m_lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(ErrorKind::internal, "cannot open " + m_lock_path.string() + ": " + errno_text());
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    auto why = errno_text();
    ::close(fd);
    return fail(ErrorKind::internal, "cannot lock " + m_lock_path.string() + ": " + why);
  }
  return Lock(fd);
}

Expected<std::optional<Session>> SessionStore::load() const {
  std::ifstream in(m_path, std::ios::binary);
  if (!in) return std::optional<Session>{};
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec || !v.is_object()) {
    spdlog::warn("ignoring the unreadable session cache {}", m_path.string());
    return std::optional<Session>{};
  }
  auto get = [&](const char* key) -> std::string {
    auto it = v.get_object().find(key);
    return it != v.get_object().end() && it->value().is_string()
               ? std::string(it->value().get_string())
               : std::string();
  };
  Session s{get("base_url"), get("email"), get("token"), get("expires_at")};
  if (auto it = v.get_object().find("clock_offset");
      it != v.get_object().end() && it->value().is_int64()) {
    s.clock_offset = it->value().get_int64();
  }
  if (s.token.empty()) return std::optional<Session>{};
  log::register_secret(s.token);
  return std::optional<Session>{std::move(s)};
}

Expected<void> SessionStore::save(const Session& session) const {
  if (auto ok = ensure_dir(); !ok) return fail(ok.error());
  std::string text = json::serialize(json::object{{"base_url", session.base_url},
                                                  {"email", session.email},
                                                  {"token", session.token},
                                                  {"expires_at", session.expires_at},
                                                  {"clock_offset", session.clock_offset}}) +
                     "\n";
  // Two jobs of one profile may save at once: each writes its own aside file; last rename wins.
  auto written =
      write_file_atomically(m_path, text, {.mode = 0600, .exact_mode = true, .unique_temp = true});
  if (!written) {
    return fail(ErrorKind::internal, "cannot write the session cache " + m_path.string() + ": " +
                                         written.error().message);
  }
  return {};
}

Expected<bool> SessionStore::remove() const {
  if (::unlink(m_path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return fail(ErrorKind::internal, "cannot delete " + m_path.string() + ": " + errno_text());
}

namespace {

// use_session() with the lock already held.
Expected<Session> use_session_locked(const SessionStore& store, api::PortalApi& api,
                                     const Clock& clock) {
  auto loaded = store.load();
  if (!loaded) return fail(loaded.error());
  if (!*loaded) return fail(not_logged_in("not logged in"));
  Session s = std::move(**loaded);
  if (s.base_url != api.base_url()) {
    return fail(not_logged_in("not logged in to " + api.base_url() +
                              " (this profile's session is for " + s.base_url + ")"));
  }
  api.set_token(s.token);
  auto expires = parse_iso8601(s.expires_at);
  // Expiry is on the portal's clock: compare it with ours moved by the offset seen at login.
  // Refreshing revokes the old token, so a session shared by several machines (the pods of one
  // job) must not be refreshed early because of a clock difference. The portal slides the idle
  // timeout on every call, so an "expired" entry is refreshed rather than trusted.
  auto portal_now = clock.now() + std::chrono::seconds{s.clock_offset};
  if (expires && *expires - portal_now > k_refresh_margin) return s;
  spdlog::info("refreshing the session (expires at {})", s.expires_at);
  auto grant = api.refresh();
  if (!grant) {
    if (grant.error().kind == ErrorKind::auth) {
      (void)store.remove();
      return fail(not_logged_in("not logged in: the session has expired"));
    }
    return fail(grant.error());
  }
  s.token = grant->token;
  s.expires_at = grant->expires_at;
  api.set_token(s.token);
  if (auto ok = store.save(s); !ok) return fail(ok.error());
  return s;
}

}  // namespace

Expected<Session> use_session(const SessionStore& store, api::PortalApi& api, const Clock& clock) {
  auto lock = store.lock();
  if (!lock) return fail(lock.error());
  return use_session_locked(store, api, clock);
}

Expected<std::optional<Session>> reusable_session(const SessionStore& store, api::PortalApi& api,
                                                  const Clock& clock, std::string_view email) {
  auto cached = store.load();
  if (!cached) return fail(cached.error());
  if (!*cached) return std::optional<Session>{};
  if ((*cached)->base_url != api.base_url()) {
    spdlog::info("the cached session is for {}, not {}: logging in", (*cached)->base_url,
                 api.base_url());
    return std::optional<Session>{};
  }
  if (!email.empty() && !(*cached)->email.empty() && (*cached)->email != email) {
    spdlog::info("the cached session is for another account: logging in");
    return std::optional<Session>{};
  }
  auto session = use_session_locked(store, api, clock);
  if (!session) {
    if (session.error().kind == ErrorKind::auth) return std::optional<Session>{};
    return fail(session.error());
  }
  // The cache cannot know that the portal ended the session (idle for 30 minutes, a logout
  // elsewhere): ask it.
  auto profile = api.profile();
  if (!profile) {
    if (profile.error().kind != ErrorKind::auth) return fail(profile.error());
    spdlog::info("the portal no longer takes the cached session: logging in");
    api.set_token({});
    (void)store.remove();
    return std::optional<Session>{};
  }
  return std::optional<Session>{std::move(*session)};
}

}  // namespace portal::auth
