// The session cache: what it keeps, and when a cached session is refreshed. The portal's expiry
// times are on its own clock; a refresh revokes the old token, so a session shared by the pods
// of one job must not be refreshed because this machine's clock differs from the portal's.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>

#include "portal/api/portal_api.hpp"
#include "portal/auth/session.hpp"
#include "portal/http/client.hpp"
#include "temp_dir.hpp"

namespace portal::auth {
namespace {

using namespace std::chrono_literals;

// A client for a port nothing listens on: any request it sends fails as "unavailable", so a test
// sees whether use_session tried to refresh.
std::unique_ptr<api::PortalApi> unreachable_api() {
  http::ClientOptions options;
  options.base_url = "https://127.0.0.1:1";
  options.connect_timeout = 2s;
  auto client = http::Client::create(options);
  EXPECT_TRUE(client.has_value());
  return std::make_unique<api::PortalApi>(std::move(*client), api::RetryPolicy{1, 1ms, 1ms});
}

SysTime at(const char* iso) { return *parse_iso8601(iso); }

TEST(SessionStore, KeepsTheClockOffsetPrivately) {
  test::TempDir dir;
  SessionStore store(dir.path() / "sessions", "default");
  Session s{"https://127.0.0.1:1", "jane@clinic.example", "pps_token", "2026-11-17T15:30:00Z",
            -518400};
  {
    auto lock = store.lock();
    ASSERT_TRUE(lock.has_value());
    ASSERT_TRUE(store.save(s).has_value());
  }
  auto loaded = store.load();
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_EQ((*loaded)->clock_offset, -518400);
  EXPECT_EQ((*loaded)->expires_at, s.expires_at);
  struct stat st {};
  ASSERT_EQ(::stat(store.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(UseSession, JudgesExpiryOnThePortalsClock) {
  test::TempDir dir;
  SessionStore store(dir.path() / "sessions", "default");
  auto api = unreachable_api();
  // Logged in when the portal said 15:00 (its session lasts until 15:30) and this machine said
  // six days later: the portal's clock is six days behind ours.
  Session s{api->base_url(), "jane@clinic.example", "pps_token", "2026-11-17T15:30:00Z",
            -6 * 86400};
  ASSERT_TRUE(store.save(s).has_value());

  FixedClock ten_minutes_later(at("2026-11-23T15:10:00Z"));
  auto used = use_session(store, *api, ten_minutes_later);
  ASSERT_TRUE(used.has_value()) << used.error().message;  // no refresh: nothing was sent
  EXPECT_EQ(used->token, "pps_token");

  // Inside the refresh margin on the portal's clock: a refresh is due (and fails here, since
  // nothing listens), whatever this machine's clock says.
  FixedClock near_expiry(at("2026-11-23T15:27:00Z"));
  auto refreshed = use_session(store, *api, near_expiry);
  ASSERT_FALSE(refreshed.has_value());
  EXPECT_EQ(refreshed.error().kind, ErrorKind::unavailable);
}

TEST(UseSession, ASessionWithoutAnOffsetUsesThisMachinesClock) {
  test::TempDir dir;
  SessionStore store(dir.path() / "sessions", "default");
  auto api = unreachable_api();
  ASSERT_TRUE(
      store.save({api->base_url(), "jane@clinic.example", "pps_token", "2026-11-17T15:30:00Z"})
          .has_value());
  FixedClock before(at("2026-11-17T15:00:00Z"));
  EXPECT_TRUE(use_session(store, *api, before).has_value());
  FixedClock after(at("2026-11-23T15:00:00Z"));
  EXPECT_FALSE(use_session(store, *api, after).has_value());
}

}  // namespace
}  // namespace portal::auth
