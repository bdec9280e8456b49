// The crash-safe journal of one batch run: which rows the portal has answered, with the answer,
// so that the same command with --resume finishes the batch after a crash, kill -9 or Ctrl-C
// without losing a row or sending one twice.
//
// It is a small SQLite database (WAL). A row is journaled once the portal has answered it
// finally (ok or rejected), or once a wire handed it over without an answer (pending: --resume
// gives it to the wire again, which collects the answer without sending the row twice). Rows
// answered but not yet committed when the process died are sent again on resume with the same
// idempotency key, and the portal replays its stored answer, so they are never applied twice. The
// file is locked (flock) while a run uses it, so two runs of the same batch cannot interleave.
#pragma once
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "portal/util/error.hpp"

namespace portal::batch {

struct JournalEntry {
  std::string key;      // the row's idempotency key, to detect a changed input on resume
  std::string outcome;  // "ok", "rejected" or "pending" (handed over, answer not in yet)
  std::string result;   // the row's result as JSON (what --results shows)
};

struct JournalInfo {
  std::string fingerprint;  // the command, input and shard the journal belongs to
  std::size_t rows_done = 0;
  std::size_t pending = 0;  // rows of rows_done whose answer is not in yet
  bool complete = false;    // every row done and none pending
};

class Journal {
 public:
  // Opens (creating when needed) and locks the journal at `path`. ErrorKind::usage when another
  // process holds the lock; ErrorKind::input when the file is not a journal.
  static Expected<std::unique_ptr<Journal>> open(const std::filesystem::path& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  JournalInfo info();
  // Forgets every row and starts a new run for `fingerprint`.
  void start(const std::string& fingerprint);

  std::optional<JournalEntry> find(std::size_t row_index);
  // Buffered: rows are committed in groups (see flush()).
  void record(std::size_t row_index, const JournalEntry& entry);
  // Commits what record() buffered. Called every few hundred rows or milliseconds, and before
  // the process exits for any reason it can catch.
  void flush();
  void mark_complete();

 private:
  struct Impl;
  explicit Journal(std::filesystem::path path);
  std::filesystem::path m_path;
  std::unique_ptr<Impl> m_impl;
};

// The default journal of a batch: $XDG_STATE_HOME/provportal/journals/NAME.db, where NAME joins
// the operation and a hash of the fingerprint, so the same command finds the same journal.
std::filesystem::path default_journal_path(std::string_view operation,
                                           const std::string& fingerprint);

}  // namespace portal::batch
