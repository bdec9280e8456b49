#include "sandbox/idempotency.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

namespace portal::sandbox {

namespace {

// The key is the primary key; expired rows are purged by the writer now and then (a full scan
// in the background is cheaper than a second index written on every request).
constexpr const char* k_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
  response_body TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (scope, key));
)sql";

constexpr const char* k_cache_sql = "PRAGMA cache_size=-65536";  // KiB: 64 MiB at most

// The writer deletes expired keys after this many stored answers.
constexpr std::uint64_t k_purge_every = 100'000;
// More answers than this waiting and the writer is woken early.
constexpr std::size_t k_batch_max = 512;

std::int64_t unix_of(SysTime t) { return t.time_since_epoch().count(); }

std::string map_key(const std::string& scope, const std::string& key) { return scope + '\n' + key; }

}  // namespace

bool idempotency_key_is_valid(std::string_view key) {
  if (key.empty() || key.size() > k_idempotency_key_max) return false;
  for (char c : key) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool idempotency_answer_is_final(int status) {
  return (status >= 200 && status < 300) ||
         (status >= 400 && status < 500 && status != 401 && status != 429);
}

IdempotencyStore::IdempotencyStore(const std::filesystem::path& db_file,
                                   std::chrono::milliseconds flush_interval)
    : m_flush_interval(flush_interval), m_reader(db_file), m_writer(db_file) {
  // Keys are random (hashes, UUIDs), so each lands on its own page of the key index: a cache that
  // holds the index keeps lookups and inserts off the disk (SQLite's default is 2 MiB).
  m_reader.exec(k_cache_sql);
  m_writer.exec(k_cache_sql);
  m_writer.exec(k_schema_sql);
  m_thread = std::thread([this] { writer_loop(); });
}

IdempotencyStore::~IdempotencyStore() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  m_thread.join();
  try {
    flush();
  } catch (const std::exception& e) {
    spdlog::error("cannot store idempotency keys: {}", e.what());
  }
}

IdempotencyStore::Begin IdempotencyStore::begin(const std::string& scope, const std::string& key,
                                                const std::string& request_hash, SysTime now) {
  std::string id = map_key(scope, key);
  auto oldest = unix_of(now - k_idempotency_ttl);
  auto answer_of = [&](const std::string& hash, int status, std::string body) -> Begin {
    if (hash != request_hash) return {Outcome::conflict, 0, {}};
    return {Outcome::replay, status, std::move(body)};
  };
  {
    std::lock_guard lock(m_mutex);
    if (m_in_flight.count(id) != 0) return {Outcome::in_progress, 0, {}};
    for (auto* recent : {&m_pending, &m_committing}) {
      auto it = recent->find(id);
      if (it != recent->end() && it->second->created_at > oldest) {
        return answer_of(it->second->request_hash, it->second->status, it->second->body);
      }
    }
    // Held from here on: a concurrent request with the key waits (in_progress) while this one
    // looks in the database. An answer leaves m_committing only once committed, so it is in
    // one place or the other whenever we look.
    m_in_flight.insert(id);
  }
  std::optional<Begin> found;
  try {
    std::lock_guard lock(m_reader_mutex);
    auto st = m_reader.query(
        "SELECT request_hash, status, response_body FROM idempotency_keys "
        "WHERE scope = ? AND key = ? AND created_at > ?",
        {scope, key, oldest});
    if (st.step()) found = answer_of(st.text(0), static_cast<int>(st.integer(1)), st.text(2));
  } catch (...) {
    std::lock_guard lock(m_mutex);
    m_in_flight.erase(id);
    throw;
  }
  if (!found) return {Outcome::proceed, 0, {}};
  std::lock_guard lock(m_mutex);
  m_in_flight.erase(id);
  return std::move(*found);
}

void IdempotencyStore::finish(const std::string& scope, const std::string& key,
                              const std::string& request_hash, int status, std::string body,
                              SysTime now) {
  std::string id = map_key(scope, key);
  bool wake = false;
  {
    std::lock_guard lock(m_mutex);
    m_in_flight.erase(id);
    if (!idempotency_answer_is_final(status)) return;
    m_pending.insert_or_assign(
        id, std::make_shared<const Answer>(
                Answer{scope, key, request_hash, std::move(body), status, unix_of(now)}));
    wake = m_pending.size() >= k_batch_max;
  }
  if (wake) m_wake.notify_one();
}

void IdempotencyStore::flush() {
  std::lock_guard writer(m_writer_mutex);
  std::vector<AnswerPtr> batch;
  {
    std::lock_guard lock(m_mutex);
    if (m_pending.empty()) return;
    m_committing.swap(m_pending);
    batch.reserve(m_committing.size());
    for (const auto& [id, answer] : m_committing) batch.push_back(answer);
  }
  try {
    commit(batch);
  } catch (...) {
    // Keep them answerable from memory and try again with the next batch (a newer answer for
    // the same key, recorded meanwhile, wins).
    std::lock_guard lock(m_mutex);
    for (auto& [id, answer] : m_committing) m_pending.try_emplace(id, std::move(answer));
    m_committing.clear();
    throw;
  }
  std::lock_guard lock(m_mutex);
  m_committing.clear();
}

void IdempotencyStore::commit(const std::vector<AnswerPtr>& batch) {
  Transaction tx(m_writer);
  std::int64_t latest = 0;
  for (const auto& a : batch) {
    // REPLACE: an expired row with the same key may still be there.
    m_writer.run(
        "INSERT OR REPLACE INTO idempotency_keys(scope, key, request_hash, status, response_body, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        {a->scope, a->key, a->request_hash, std::int64_t{a->status}, a->body, a->created_at});
    latest = std::max(latest, a->created_at);
  }
  m_since_purge += batch.size();
  if (m_since_purge >= k_purge_every) {
    m_writer.run(
        "DELETE FROM idempotency_keys WHERE created_at <= ?",
        {latest - std::chrono::duration_cast<std::chrono::seconds>(k_idempotency_ttl).count()});
    m_since_purge = 0;
  }
  tx.commit();
}

void IdempotencyStore::writer_loop() {
  for (;;) {
    {
      std::unique_lock lock(m_mutex);
      m_wake.wait_for(lock, m_flush_interval,
                      [this] { return m_stopping || m_pending.size() >= k_batch_max; });
      if (m_stopping) return;  // the destructor flushes what is left
    }
    try {
      flush();
    } catch (const std::exception& e) {
      spdlog::error("cannot store idempotency keys: {}", e.what());
    }
  }
}

}  // namespace portal::sandbox
