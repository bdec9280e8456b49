// The portal's limits as the CLI keeps them (lib/portal/ops/limits): the cache file per profile
// and portal, and which limits a run checks against — fresh cache, asked again, stale cache,
// or none known.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include <boost/json.hpp>

#include "portal/ops/limits.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace std::chrono_literals;
using portal::test::TempDir;

constexpr std::string_view k_url = "https://portal.example:8443";

api::PortalLimits sleep_limits(std::size_t sleep_max) {
  return api::parse_limits(json::object{
      {"additional_info_max_chars", 4000},
      {"per_solution",
       json::object{{"sleep", json::object{{"additional_info_max_chars", sleep_max}}}}}});
}

SysTime at(const char* text) { return *parse_iso8601(text); }

// A fetch that counts its calls and answers `answer`.
struct Fetch {
  Expected<std::optional<api::PortalLimits>> answer = std::optional<api::PortalLimits>();
  int calls = 0;
  std::function<Expected<std::optional<api::PortalLimits>>()> fn() {
    return [this] {
      ++calls;
      return answer;
    };
  }
};

TEST(LimitsCache, OneFilePerProfileWithASafeName) {
  EXPECT_EQ(ops::limits_cache_file("/c", "default"), fs::path("/c/limits/default.json"));
  EXPECT_EQ(ops::limits_cache_file("/c", "../x y"), fs::path("/c/limits/_.._x_y.json"));
}

TEST(LimitsCache, WrittenPrivateAndReadBackForTheSamePortalOnly) {
  TempDir dir;
  auto file = ops::limits_cache_file(dir.path(), "default");
  ASSERT_TRUE(
      ops::write_cached_limits(file, k_url, sleep_limits(1000), at("2026-11-16T10:00:00Z")));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto cached = ops::read_cached_limits(file, k_url);
  ASSERT_TRUE(cached);
  EXPECT_TRUE(cached->limits.announced);
  EXPECT_EQ(cached->limits.additional_info_max_for("sleep"), 1000u);
  EXPECT_EQ(cached->fetched_at, at("2026-11-16T10:00:00Z"));
  EXPECT_FALSE(ops::read_cached_limits(file, "https://other.example"));
  ops::forget_cached_limits(file);
  EXPECT_FALSE(ops::read_cached_limits(file, k_url));
  std::ofstream(file) << "{not json";
  EXPECT_FALSE(ops::read_cached_limits(file, k_url));
}

TEST(KnownLimits, AFreshCacheIsUsedWithoutAsking) {
  TempDir dir;
  ops::LimitsLookup lookup{ops::limits_cache_file(dir.path(), "p"), std::string(k_url),
                           at("2026-11-17T09:59:59Z")};
  ASSERT_TRUE(ops::write_cached_limits(lookup.cache_file, k_url, sleep_limits(1000),
                                       at("2026-11-16T10:00:00Z")));
  Fetch fetch;
  auto known = ops::known_limits(lookup, fetch.fn());
  EXPECT_EQ(fetch.calls, 0);
  EXPECT_EQ(known.source, ops::LimitsSource::cached);
  EXPECT_EQ(known.limits.additional_info_max_for("sleep"), 1000u);
}

TEST(KnownLimits, ADayOldCacheIsAskedAgainAndReplaced) {
  TempDir dir;
  ops::LimitsLookup lookup{ops::limits_cache_file(dir.path(), "p"), std::string(k_url),
                           at("2026-11-17T10:00:00Z")};
  ASSERT_TRUE(ops::write_cached_limits(lookup.cache_file, k_url, sleep_limits(1000),
                                       at("2026-11-16T10:00:00Z")));
  Fetch fetch;
  fetch.answer = std::optional(sleep_limits(1500));
  auto known = ops::known_limits(lookup, fetch.fn());
  EXPECT_EQ(fetch.calls, 1);
  EXPECT_EQ(known.source, ops::LimitsSource::fetched);
  EXPECT_EQ(known.limits.additional_info_max_for("sleep"), 1500u);
  auto cached = ops::read_cached_limits(lookup.cache_file, k_url);
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->limits.additional_info_max_for("sleep"), 1500u);
  EXPECT_EQ(cached->fetched_at, lookup.now);
}

TEST(KnownLimits, ADryRunUsesTheCacheAtAnyAgeWithoutAsking) {
  TempDir dir;
  ops::LimitsLookup lookup{ops::limits_cache_file(dir.path(), "p"), std::string(k_url),
                           at("2027-01-01T00:00:00Z"), true};
  ASSERT_TRUE(ops::write_cached_limits(lookup.cache_file, k_url, sleep_limits(1000),
                                       at("2026-11-16T10:00:00Z")));
  Fetch fetch;
  auto known = ops::known_limits(lookup, fetch.fn());
  EXPECT_EQ(fetch.calls, 0);
  EXPECT_EQ(known.source, ops::LimitsSource::cached);
  EXPECT_EQ(known.fetched_at, at("2026-11-16T10:00:00Z"));
}

TEST(KnownLimits, WhenAskingFailsAStaleCacheBeatsNothing) {
  TempDir dir;
  ops::LimitsLookup lookup{ops::limits_cache_file(dir.path(), "p"), std::string(k_url),
                           at("2026-12-01T00:00:00Z")};
  Fetch fetch;
  fetch.answer = fail(ErrorKind::unavailable, "cannot connect");
  auto none = ops::known_limits(lookup, fetch.fn());
  EXPECT_EQ(none.source, ops::LimitsSource::not_known);
  EXPECT_FALSE(none.limits.announced);
  EXPECT_EQ(none.limits.additional_info_max_for("sleep"), api::schema_additional_info_max_chars());
  EXPECT_EQ(none.problem, "cannot connect");
  ASSERT_TRUE(ops::write_cached_limits(lookup.cache_file, k_url, sleep_limits(1000),
                                       at("2026-11-16T10:00:00Z")));
  auto stale = ops::known_limits(lookup, fetch.fn());
  EXPECT_EQ(stale.source, ops::LimitsSource::stale_cache);
  EXPECT_EQ(stale.limits.additional_info_max_for("sleep"), 1000u);
  EXPECT_EQ(fetch.calls, 2);
}

TEST(KnownLimits, AWireThatStatesNoLimitsLeavesTheGenericMaximum) {
  TempDir dir;
  ops::LimitsLookup lookup{ops::limits_cache_file(dir.path(), "p"), std::string(k_url),
                           at("2026-12-01T00:00:00Z")};
  Fetch fetch;  // answers nullopt: no limits known
  auto known = ops::known_limits(lookup, fetch.fn());
  EXPECT_EQ(known.source, ops::LimitsSource::not_known);
  EXPECT_FALSE(known.limits.announced);
  EXPECT_FALSE(fs::exists(lookup.cache_file));
}

}  // namespace
