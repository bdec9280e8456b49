// Incremental pulls: what `--since` may say, and the watermark of each query — the portal's
// `as_of` of the last pull whose output was written completely — kept in
// $XDG_STATE_HOME/provportal/watermarks/ (0700) as one small 0600 JSON file per query, replaced
// atomically and changed only under an exclusive flock, so that two jobs cannot corrupt it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "portal/util/clock.hpp"
#include "portal/util/error.hpp"

namespace portal::pull {

// A --since value.
struct Since {
  enum class Kind { last, time, duration };
  Kind kind = Kind::last;
  SysTime time{};                    // Kind::time
  std::chrono::seconds duration{0};  // Kind::duration: counted back from the portal's clock
};

// "last"; an RFC 3339 time ("2026-11-17T06:00:00Z", "...-06:00": changes after it); a date
// ("2026-11-17": changes from that day's local midnight on, in the machine's time zone); or a
// duration ("24h", "7d", "1d12h"). ErrorKind::usage naming the forms otherwise.
Expected<Since> parse_since(std::string_view text);

// $XDG_STATE_HOME/provportal/watermarks (by the environment lookup the caller resolved).
std::filesystem::path watermarks_dir(const std::filesystem::path& state_dir);

// The watermark file of a query: `key` says everything that makes two pulls the same query
// (profile, base URL, subcommand, filters); only its hash names the file, so no filter value
// (a member ID, say) reaches a file name.
std::filesystem::path watermark_file(const std::filesystem::path& dir, std::string_view subcommand,
                                     std::string_view key);

// The stored watermark of `file` without locking (files are replaced whole, so a reader never
// sees half of one); nullopt when there is none or it cannot be read.
std::optional<std::string> read_watermark(const std::filesystem::path& file);

// A query's watermark held for the length of one pull.
class WatermarkLock {
 public:
  // Creates the directory (0700) and takes the exclusive lock of `file` (a FILE.lock beside it).
  // ErrorKind::usage when another process holds it.
  static Expected<std::unique_ptr<WatermarkLock>> acquire(const std::filesystem::path& file);
  ~WatermarkLock();
  WatermarkLock(const WatermarkLock&) = delete;
  WatermarkLock& operator=(const WatermarkLock&) = delete;

  // The watermark as stored when the lock was taken.
  const std::optional<std::string>& value() const { return m_value; }
  // Stores `as_of` (RFC 3339) with `description` (what the query is, without PHI) atomically.
  Expected<void> advance(const std::string& as_of, const std::string& description);
  const std::filesystem::path& file() const { return m_file; }

 private:
  WatermarkLock(std::filesystem::path file, int fd);
  std::filesystem::path m_file;
  int m_fd = -1;
  std::optional<std::string> m_value;
};

}  // namespace portal::pull
