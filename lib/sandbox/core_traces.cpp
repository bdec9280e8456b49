#include "sandbox/core_traces.hpp"

#include <spdlog/spdlog.h>

namespace portal::sandbox {

namespace {

constexpr const char* k_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS core_traces (
  user_id TEXT NOT NULL, sender TEXT NOT NULL, transaction_set TEXT NOT NULL, trace TEXT NOT NULL,
  answers INTEGER NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, sender, transaction_set, trace)) WITHOUT ROWID;
)sql";

// More entries than this waiting and the writer is woken early.
constexpr std::size_t k_batch_max = 512;

}  // namespace

CoreTraceLog::CoreTraceLog(const std::filesystem::path& db_file,
                           std::chrono::milliseconds flush_interval)
    : m_flush_interval(flush_interval), m_db(db_file) {
  m_db.exec(k_schema_sql);
  m_thread = std::thread([this] { writer_loop(); });
}

CoreTraceLog::~CoreTraceLog() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  m_thread.join();
  try {
    flush();
  } catch (const std::exception& e) {
    spdlog::error("cannot store CORE trace numbers: {}", e.what());
  }
}

void CoreTraceLog::record(const std::string& user_id, std::string_view sender,
                          std::string_view set_id, std::string_view trace, SysTime now) {
  bool wake = false;
  {
    std::lock_guard lock(m_mutex);
    m_pending.push_back({user_id, std::string(sender), std::string(set_id), std::string(trace),
                         now.time_since_epoch().count()});
    wake = m_pending.size() == 1 || m_pending.size() >= k_batch_max;
  }
  if (wake) m_wake.notify_one();
}

void CoreTraceLog::flush() {
  std::vector<Entry> batch;
  {
    std::lock_guard lock(m_mutex);
    batch.swap(m_pending);
  }
  if (!batch.empty()) commit(batch);
}

void CoreTraceLog::commit(const std::vector<Entry>& batch) {
  std::lock_guard lock(m_db_mutex);
  Transaction tx(m_db);
  for (const Entry& e : batch) {
    m_db.run(
        "INSERT INTO core_traces(user_id, sender, transaction_set, trace, answers, first_at, "
        "last_at) VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT(user_id, sender, transaction_set, "
        "trace) DO UPDATE SET answers = answers + 1, last_at = excluded.last_at",
        {e.user_id, e.sender, e.set_id, e.trace, e.at, e.at});
  }
  tx.commit();
}

void CoreTraceLog::writer_loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    // Idle until something is recorded, then gather for a flush interval.
    m_wake.wait(lock, [this] { return m_stopping || !m_pending.empty(); });
    m_wake.wait_for(lock, m_flush_interval,
                    [this] { return m_stopping || m_pending.size() >= k_batch_max; });
    if (m_pending.empty()) continue;
    std::vector<Entry> batch;
    batch.swap(m_pending);
    lock.unlock();
    try {
      commit(batch);
    } catch (const std::exception& e) {
      // Counting is for tests and audits: a busy database loses a batch, never an answer.
      spdlog::error("cannot store CORE trace numbers: {}", e.what());
    }
    lock.lock();
  }
}

CoreTraceLog::Totals CoreTraceLog::totals() {
  flush();
  std::lock_guard lock(m_db_mutex);
  auto st = m_db.query(
      "SELECT count(*), coalesce(sum(answers), 0), coalesce(sum(answers > 1), 0) FROM "
      "core_traces");
  Totals t;
  if (st.step()) {
    t.traces = st.integer(0);
    t.answers = st.integer(1);
    t.repeated = st.integer(2);
  }
  return t;
}

}  // namespace portal::sandbox
