// Incremental pulls on the client: --since values, watermark files (locking, atomic replacement,
// permissions) and files that appear whole or not at all.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "portal/pull/watermark.hpp"
#include "portal/util/atomic_file.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace portal;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

}  // namespace

TEST(Since, EveryFormAndTheErrors) {
  auto last = pull::parse_since("last");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->kind, pull::Since::Kind::last);

  auto time = pull::parse_since("2026-11-17T09:00:00-06:00");
  ASSERT_TRUE(time);
  EXPECT_EQ(time->kind, pull::Since::Kind::time);
  EXPECT_EQ(format_iso8601(time->time), "2026-11-17T15:00:00Z");

  // A date is local midnight, the bound one second before so a change at midnight is in.
  const char* tz = std::getenv("TZ");
  std::string saved = tz ? tz : "";
  ::setenv("TZ", "CST6CDT,M3.2.0,M11.1.0", 1);
  ::tzset();
  auto date = pull::parse_since("2026-11-17");
  auto summer = pull::parse_since("2026-07-01");
  if (tz)
    ::setenv("TZ", saved.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
  ASSERT_TRUE(date && summer);
  EXPECT_EQ(format_iso8601(date->time), "2026-11-17T05:59:59Z");
  EXPECT_EQ(format_iso8601(summer->time), "2026-07-01T04:59:59Z");

  auto week = pull::parse_since("7d");
  ASSERT_TRUE(week);
  EXPECT_EQ(week->kind, pull::Since::Kind::duration);
  EXPECT_EQ(week->duration, std::chrono::hours{24 * 7});

  for (const char* bad : {"yesterday", "", "-5m", "0s", "2026-13-01", "lastt"}) {
    auto e = pull::parse_since(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().kind, ErrorKind::usage);
  }
}

TEST(Watermark, AFirstPullHasNoneAndAdvancingStoresItPrivately) {
  test::TempDir dir;
  fs::path wm_dir = pull::watermarks_dir(dir.path() / "state" / "provportal");
  fs::path file =
      pull::watermark_file(wm_dir, "claim-status", "default\nhttps://p\nclaim-status\nfeed");
  EXPECT_EQ(file.filename().string().rfind("claim-status-", 0), 0u);
  EXPECT_EQ(file.filename().string().find("feed"), std::string::npos);  // only a hash of the query
  EXPECT_NE(file, pull::watermark_file(wm_dir, "claim-status",
                                       "default\nhttps://p\nclaim-status\nfeed2"));

  auto lock = pull::WatermarkLock::acquire(file);
  ASSERT_TRUE(lock) << lock.error().message;
  EXPECT_FALSE((*lock)->value());
  EXPECT_EQ(mode_of(wm_dir), 0700u);
  ASSERT_TRUE((*lock)->advance("2026-11-17T15:00:00Z", "the claims feed"));
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(pull::read_watermark(file), "2026-11-17T15:00:00Z");
  EXPECT_FALSE(fs::exists(file.string() + ".part"));
  lock->reset();

  auto again = pull::WatermarkLock::acquire(file);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->value(), "2026-11-17T15:00:00Z");

  // A damaged file reads as none, not as a wrong time.
  std::ofstream(dir.path() / "bad.json") << "{\"watermark\": \"soon\"}";
  EXPECT_FALSE(pull::read_watermark(dir.path() / "bad.json"));
}

TEST(Watermark, ASecondPullOfTheQueryIsRefusedWhileOneHoldsIt) {
  test::TempDir dir;
  fs::path file = pull::watermark_file(dir.path(), "search-orders", "q");
  auto held = pull::WatermarkLock::acquire(file);
  ASSERT_TRUE(held);
  // flock is per open file description: another process (a fork) must be refused.
  pid_t pid = ::fork();
  if (pid == 0) {
    auto other = pull::WatermarkLock::acquire(file);
    ::_exit(!other && other.error().kind == ErrorKind::usage ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the second pull was not refused";
}

TEST(AtomicFile, AppearsWholeOrNotAtAll) {
  test::TempDir dir;
  fs::path target = dir.path() / "claims.jsonl";
  std::ofstream(target) << "yesterday\n";
  ::chmod(target.c_str(), 0640);
  {
    auto f = AtomicFile::create(target);
    ASSERT_TRUE(f);
    (*f)->stream() << "half of today";
    (*f)->stream().flush();
    EXPECT_TRUE(fs::exists(target.string() + ".part"));
    EXPECT_EQ(read(target), "yesterday\n");  // not committed: dropped when it goes away
  }
  EXPECT_EQ(read(target), "yesterday\n");
  EXPECT_FALSE(fs::exists(target.string() + ".part"));

  auto f = AtomicFile::create(target);
  ASSERT_TRUE(f);
  (*f)->stream() << "today\n";
  ASSERT_TRUE((*f)->commit());
  EXPECT_EQ(read(target), "today\n");
  EXPECT_EQ(mode_of(target), 0640u);  // the file keeps its permissions
  EXPECT_FALSE(fs::exists(target.string() + ".part"));

  // A stale .part (a SIGKILL-ed run's) is overwritten, never appended to.
  std::ofstream(target.string() + ".part") << "stale stale stale";
  ASSERT_TRUE(write_file_atomically(target, "fresh"));
  EXPECT_EQ(read(target), "fresh");

  auto nowhere = AtomicFile::create(dir.path() / "no-such-dir" / "f.json");
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().kind, ErrorKind::usage);

  // The signal handler's clean-up removes what is open, and only that.
  auto open = AtomicFile::create(dir.path() / "open.json");
  ASSERT_TRUE(open);
  remove_part_files_from_signal();
  EXPECT_FALSE(fs::exists(dir.path() / "open.json.part"));
  EXPECT_EQ(read(target), "fresh");
}
