#include "portal/pull/watermark.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "portal/util/atomic_file.hpp"
#include "portal/util/crypto.hpp"

namespace portal::pull {

namespace fs = std::filesystem;
namespace json = boost::json;

Expected<Since> parse_since(std::string_view text) {
  Since s;
  if (text == "last") return s;
  if (auto date = parse_date(text); date && text.size() == 10) {
    // Midnight where the job runs: "since 2026-11-17" means that day as the operator reads it.
    std::tm tm{};
    tm.tm_year = static_cast<int>(date->year()) - 1900;
    tm.tm_mon = static_cast<int>(static_cast<unsigned>(date->month())) - 1;
    tm.tm_mday = static_cast<int>(static_cast<unsigned>(date->day()));
    tm.tm_isdst = -1;
    std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1))
      return fail(ErrorKind::usage, "--since " + std::string(text) + " is out of range");
    s.kind = Since::Kind::time;
    // The window's lower bound is exclusive: a second before midnight, so that a change made
    // at midnight (a claim status of that date) is in it.
    s.time = SysTime{std::chrono::seconds{t}} - std::chrono::seconds{1};
    return s;
  }
  if (auto t = parse_iso8601(text)) {
    s.kind = Since::Kind::time;
    s.time = *t;
    return s;
  }
  if (auto d = parse_duration(text); d && d->count() > 0) {
    s.kind = Since::Kind::duration;
    s.duration = *d;
    return s;
  }
  return fail(ErrorKind::usage,
              "--since takes last, an RFC 3339 time, a date or a duration, not \"" +
                  std::string(text) + "\"",
              "e.g. --since last, --since 2026-11-17T06:00:00Z, --since 2026-11-17, --since 24h, "
              "--since 7d");
}

fs::path watermarks_dir(const fs::path& state_dir) { return state_dir / "watermarks"; }

fs::path watermark_file(const fs::path& dir, std::string_view subcommand, std::string_view key) {
  return dir / (std::string(subcommand) + "-" + sha256_hex(key).substr(0, 20) + ".json");
}

std::optional<std::string> read_watermark(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  json::error_code ec;
  auto v = json::parse(ss.str(), ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* w = v.get_object().if_contains("watermark");
  if (!w || !w->is_string() || !parse_iso8601(w->get_string())) return std::nullopt;
  return std::string(w->get_string());
}

WatermarkLock::WatermarkLock(fs::path file, int fd) : m_file(std::move(file)), m_fd(fd) {}

WatermarkLock::~WatermarkLock() {
  if (m_fd >= 0) ::close(m_fd);  // releases the flock
}

Expected<std::unique_ptr<WatermarkLock>> WatermarkLock::acquire(const fs::path& file) {
  fs::path dir = file.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::input, "cannot create " + dir.string() + ": " + ec.message());
  // Watermarks say what was pulled when: nobody else's business.
  ::chmod(dir.c_str(), 0700);
  fs::path lock_path = file;
  lock_path += ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail(ErrorKind::input,
                "cannot open " + lock_path.string() + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    ::close(fd);
    return fail(
        ErrorKind::usage,
        "another provportal process is pulling the same query (its watermark " + file.string() +
            " is locked)",
        "wait for it to finish; two pulls of one query would hand out the same changes twice");
  }
  std::unique_ptr<WatermarkLock> lock(new WatermarkLock(file, fd));
  lock->m_value = read_watermark(file);
  return lock;
}

Expected<void> WatermarkLock::advance(const std::string& as_of, const std::string& description) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char written[32];
  std::strftime(written, sizeof written, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json::object o{{"watermark", as_of}, {"query", description}, {"written_at", written}};
  auto file = AtomicFile::create(m_file, {.mode = 0600, .exact_mode = true});
  if (!file) return fail(file.error());
  (*file)->stream() << json::serialize(o) << '\n';
  auto done = (*file)->commit();
  if (!done) return fail(done.error());
  m_value = as_of;
  return {};
}

}  // namespace portal::pull
