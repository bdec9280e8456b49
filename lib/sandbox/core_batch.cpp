#include "sandbox/core_batch.hpp"

namespace portal::sandbox {

namespace {

constexpr const char* k_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS core_batches (
  payload_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, checksum TEXT NOT NULL,
  set_id TEXT NOT NULL, ack_type TEXT NOT NULL, ack TEXT NOT NULL, results TEXT NOT NULL,
  received_at INTEGER NOT NULL, submits INTEGER NOT NULL,
  results_retrieved INTEGER NOT NULL DEFAULT 0, results_acked INTEGER NOT NULL DEFAULT 0)
  WITHOUT ROWID;
)sql";

}  // namespace

CoreBatchStore::CoreBatchStore(const std::filesystem::path& db_file) : m_db(db_file) {
  m_db.exec(k_schema_sql);
}

std::optional<CoreBatch> CoreBatchStore::find(std::string_view payload_id) {
  std::lock_guard lock(m_db_mutex);
  auto q = m_db.query(
      "SELECT payload_id, user_id, checksum, set_id, ack_type, ack, results, received_at,"
      " submits, results_retrieved, results_acked FROM core_batches WHERE payload_id = ?",
      {std::string(payload_id)});
  if (!q.step()) return std::nullopt;
  CoreBatch b;
  b.payload_id = q.text(0);
  b.user_id = q.text(1);
  b.checksum = q.text(2);
  b.set_id = q.text(3);
  b.ack_type = q.text(4);
  b.ack = q.text(5);
  b.results = q.text(6);
  b.received_at = q.integer(7);
  b.submits = q.integer(8);
  b.results_retrieved = q.integer(9);
  b.results_acked = q.integer(10);
  return b;
}

void CoreBatchStore::add(const CoreBatch& b) {
  std::lock_guard lock(m_db_mutex);
  m_db.run(
      "INSERT INTO core_batches(payload_id, user_id, checksum, set_id, ack_type, ack, results,"
      " received_at, submits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
      {b.payload_id, b.user_id, b.checksum, b.set_id, b.ack_type, b.ack, b.results, b.received_at});
}

void CoreBatchStore::resubmitted(std::string_view payload_id) {
  std::lock_guard lock(m_db_mutex);
  m_db.run("UPDATE core_batches SET submits = submits + 1 WHERE payload_id = ?",
           {std::string(payload_id)});
}

void CoreBatchStore::results_retrieved(std::string_view payload_id) {
  std::lock_guard lock(m_db_mutex);
  m_db.run("UPDATE core_batches SET results_retrieved = results_retrieved + 1 WHERE payload_id = ?",
           {std::string(payload_id)});
}

void CoreBatchStore::results_acked(std::string_view payload_id) {
  std::lock_guard lock(m_db_mutex);
  m_db.run("UPDATE core_batches SET results_acked = results_acked + 1 WHERE payload_id = ?",
           {std::string(payload_id)});
}

CoreBatchStore::Totals CoreBatchStore::totals() {
  std::lock_guard lock(m_db_mutex);
  auto q = m_db.query(
      "SELECT count(*), coalesce(sum(submits > 1), 0), coalesce(sum(results_acked > 0), 0)"
      " FROM core_batches");
  Totals t;
  if (q.step()) {
    t.submissions = q.integer(0);
    t.resubmitted = q.integer(1);
    t.acked = q.integer(2);
  }
  return t;
}

}  // namespace portal::sandbox
