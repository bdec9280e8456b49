// Idempotency keys: a POST that carries `Idempotency-Key` is applied at most once. The first
// final answer is stored (SQLite, table idempotency_keys) and answered again to every retry of
// the same request; the same key on a different request is a conflict.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "portal/util/clock.hpp"
#include "sandbox/db.hpp"

namespace portal::sandbox {

// How long a key is remembered, on the portal's clock.
inline constexpr std::chrono::hours k_idempotency_ttl{24};
inline constexpr std::size_t k_idempotency_key_max = 128;

// 1 to 128 printable ASCII characters (space to '~').
bool idempotency_key_is_valid(std::string_view key);

// Whether an answer is final and so remembered: 2xx, and 4xx but 401 (log in and retry) and 429
// (retry later). 5xx answers are not stored, so a retry runs the request again.
bool idempotency_answer_is_final(int status);

// The keys of one portal database. Thread-safe. Answers are committed in batches by a writer
// thread (every `flush_interval`) rather than one transaction per request, which would cost WAL
// writes and an occasional checkpoint on the request path; until committed they are answered
// from memory, so a retry is caught at once. A crash loses at most the last flush_interval of
// keys; a normal stop (the destructor) commits them.
class IdempotencyStore {
 public:
  // Opens two connections to `db_file` (the portal's database): one for lookups, one for the
  // writer. Creates the table.
  explicit IdempotencyStore(const std::filesystem::path& db_file,
                            std::chrono::milliseconds flush_interval = std::chrono::milliseconds{
                                20});
  ~IdempotencyStore();
  IdempotencyStore(const IdempotencyStore&) = delete;
  IdempotencyStore& operator=(const IdempotencyStore&) = delete;

  enum class Outcome {
    proceed,      // first time: run the request, then call finish()
    replay,       // answered before: send `status` and `body` again
    conflict,     // the key was used for a different request
    in_progress,  // the same key is being answered right now
  };
  struct Begin {
    Outcome outcome = Outcome::proceed;
    int status = 0;
    std::string body;
  };

  // Looks the key up within `scope` (who + which operation) at `now`. On `proceed` the key is
  // held until finish(), so a concurrent request with it gets `in_progress`.
  Begin begin(const std::string& scope, const std::string& key, const std::string& request_hash,
              SysTime now);
  // Records the final answer (see idempotency_answer_is_final) of a request begin() let proceed,
  // and releases the key in any case.
  void finish(const std::string& scope, const std::string& key, const std::string& request_hash,
              int status, std::string body, SysTime now);
  // Commits the answers recorded so far (the writer thread does it on its own).
  void flush();

 private:
  struct Answer {
    std::string scope, key, request_hash, body;
    int status = 0;
    std::int64_t created_at = 0;
  };
  using AnswerPtr = std::shared_ptr<const Answer>;  // shared with the writer's batch
  void writer_loop();
  void commit(const std::vector<AnswerPtr>& batch);

  // Guards the maps and flags below. Lock order: m_writer_mutex before m_mutex; m_mutex is
  // never held while taking another lock.
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::unordered_set<std::string> m_in_flight;              // scope + '\n' + key
  std::unordered_map<std::string, AnswerPtr> m_pending;     // recorded, not yet being committed
  std::unordered_map<std::string, AnswerPtr> m_committing;  // in the writer's current transaction
  bool m_stopping = false;
  std::chrono::milliseconds m_flush_interval;

  std::mutex m_reader_mutex;  // guards m_reader
  Database m_reader;
  std::mutex m_writer_mutex;  // guards m_writer and the purge state; held for a whole commit
  Database m_writer;
  std::uint64_t m_since_purge = 0;
  std::thread m_thread;  // last: started once everything above exists
};

}  // namespace portal::sandbox
