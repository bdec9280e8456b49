// The trace numbers (TRN02) of the CAQH CORE inquiries the sandbox answered, per account and X12
// sender, in the table core_traces of the portal's database: so a test can tell that no row of a
// batch was answered twice. Writes are batched by a writer thread, like the idempotency keys.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "portal/util/clock.hpp"
#include "sandbox/db.hpp"

namespace portal::sandbox {

class CoreTraceLog {
 public:
  // Opens a connection of its own to `db_file` and creates the table.
  explicit CoreTraceLog(const std::filesystem::path& db_file,
                        std::chrono::milliseconds flush_interval = std::chrono::milliseconds{20});
  ~CoreTraceLog();
  CoreTraceLog(const CoreTraceLog&) = delete;
  CoreTraceLog& operator=(const CoreTraceLog&) = delete;

  // Counts one final answer to the inquiry `trace` (TRN02) of transaction set `set_id` ("270")
  // that `user_id` sent as X12 sender `sender` (ISA06, trimmed).
  void record(const std::string& user_id, std::string_view sender, std::string_view set_id,
              std::string_view trace, SysTime now);

  struct Totals {
    std::int64_t traces = 0;    // distinct (user, sender, set, TRN02)
    std::int64_t answers = 0;   // answers counted
    std::int64_t repeated = 0;  // traces answered more than once
  };
  // The totals, everything recorded so far included.
  Totals totals();
  // Commits what was recorded (the writer thread does it on its own).
  void flush();

 private:
  struct Entry {
    std::string user_id, sender, set_id, trace;
    std::int64_t at = 0;
  };
  void writer_loop();
  void commit(const std::vector<Entry>& batch);

  std::mutex m_mutex;  // guards m_pending and m_stopping
  std::condition_variable m_wake;
  std::vector<Entry> m_pending;
  bool m_stopping = false;
  std::chrono::milliseconds m_flush_interval;
  std::mutex m_db_mutex;  // guards m_db; held for a whole commit
  Database m_db;
  std::thread m_thread;  // last: started once everything above exists
};

}  // namespace portal::sandbox
