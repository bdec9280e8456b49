// The audit log: an append-only JSON Lines file of every submission (see api/telemetry.hpp for
// what an entry holds). Several processes may append at once: entries go in one write(2) under
// an exclusive flock, so lines interleave whole. An entry reaches the file (the kernel) at once,
// or, while writes are deferred (a batch), at the next flush(), which the batch runs before it
// journals the rows concerned; fdatasync runs at most once a second and on close, so a crash of
// the machine loses at most the last second.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>

#include <boost/json/fwd.hpp>

#include "portal/util/error.hpp"

namespace portal::log {

class AuditLog {
 public:
  explicit AuditLog(std::filesystem::path path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens (creating it 0600, its directory 0700) for appending. ErrorKind::input naming the file
  // when it cannot be; nothing should be sent then, since it would go unrecorded.
  Expected<void> open();
  // Appends one entry as one line. Thread-safe; opens the file when needed.
  Expected<void> append(const boost::json::object& entry);
  // While on, append() keeps entries in memory (up to a bound) until flush(). Off flushes.
  Expected<void> set_deferred(bool on);
  // Writes the entries append() kept back.
  Expected<void> flush();
  // fdatasync now (also done on destruction, after a flush).
  void sync();
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
  std::mutex m_mutex;
  int m_fd = -1;
  bool m_dirty = false;
  bool m_deferred = false;
  std::string m_pending;  // whole lines kept back while deferred
  Expected<void> write_locked(const std::string& lines);
  std::chrono::steady_clock::time_point m_last_sync{};
};

}  // namespace portal::log
