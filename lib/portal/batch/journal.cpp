#include "portal/batch/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "portal/util/crypto.hpp"
#include "portal/util/sqlite.hpp"

namespace portal::batch {

namespace fs = std::filesystem;

struct Journal::Impl {
  int lock_fd = -1;
  std::unique_ptr<sqlite::Database> db;
  std::optional<sqlite::Statement> find;
  std::optional<sqlite::Statement> insert;
  bool in_transaction = false;
};

Journal::Journal(fs::path path) : m_path(std::move(path)), m_impl(std::make_unique<Impl>()) {}

Journal::~Journal() {
  try {
    flush();
  } catch (...) {
  }
  m_impl->find.reset();
  m_impl->insert.reset();
  m_impl->db.reset();
  if (m_impl->lock_fd >= 0) ::close(m_impl->lock_fd);  // releases the flock
}

Expected<std::unique_ptr<Journal>> Journal::open(const fs::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return fail(ErrorKind::input, "cannot create the journal directory " +
                                        path.parent_path().string() + ": " + ec.message());
    }
  }
  std::unique_ptr<Journal> j(new Journal(path));
  // The lock lives on a side file, so SQLite's own locking of the database is left alone.
  auto lock_path = path.string() + ".lock";
  j->m_impl->lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (j->m_impl->lock_fd < 0) {
    return fail(ErrorKind::input, "cannot open " + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(j->m_impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return fail(ErrorKind::usage,
                "another provportal process is running this batch (its journal " + path.string() +
                    " is locked)",
                "wait for it to finish, or give this run its own --journal FILE");
  }
  try {
    j->m_impl->db = std::make_unique<sqlite::Database>(path);
    ::chmod(path.c_str(), 0600);
    auto& db = *j->m_impl->db;
    db.exec(
        "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS rows(idx INTEGER PRIMARY KEY, key TEXT NOT NULL,"
        " outcome TEXT NOT NULL, result TEXT NOT NULL);");
    j->m_impl->find.emplace(db.handle(), "SELECT key, outcome, result FROM rows WHERE idx = ?");
    j->m_impl->insert.emplace(
        db.handle(), "INSERT OR REPLACE INTO rows(idx, key, outcome, result) VALUES (?, ?, ?, ?)");
  } catch (const std::exception& e) {
    return fail(ErrorKind::input, "cannot use the journal " + path.string() + ": " + e.what(),
                "give another --journal FILE, or delete this one to start the batch over");
  }
  return j;
}

JournalInfo Journal::info() {
  flush();
  JournalInfo info;
  auto& db = *m_impl->db;
  auto fp = db.query("SELECT v FROM meta WHERE k = 'fingerprint'");
  if (fp.step()) info.fingerprint = fp.text(0);
  auto done = db.query("SELECT v FROM meta WHERE k = 'complete'");
  info.complete = done.step() && done.text(0) == "1";
  auto count = db.query("SELECT count(*) FROM rows");
  if (count.step()) info.rows_done = static_cast<std::size_t>(count.integer(0));
  auto pending = db.query("SELECT count(*) FROM rows WHERE outcome = 'pending'");
  if (pending.step()) info.pending = static_cast<std::size_t>(pending.integer(0));
  return info;
}

void Journal::start(const std::string& fingerprint) {
  flush();
  auto& db = *m_impl->db;
  sqlite::Transaction tx(db);
  db.run("DELETE FROM rows");
  db.run("DELETE FROM meta");
  db.run("INSERT INTO meta(k, v) VALUES ('fingerprint', ?)", {fingerprint});
  db.run("INSERT INTO meta(k, v) VALUES ('complete', '0')");
  tx.commit();
}

std::optional<JournalEntry> Journal::find(std::size_t row_index) {
  auto& st = *m_impl->find;
  st.reset();
  st.bind(1, static_cast<std::int64_t>(row_index));
  if (!st.step()) return std::nullopt;
  JournalEntry e{st.text(0), st.text(1), st.text(2)};
  st.reset();
  return e;
}

void Journal::record(std::size_t row_index, const JournalEntry& entry) {
  if (!m_impl->in_transaction) {
    m_impl->db->exec("BEGIN IMMEDIATE");
    m_impl->in_transaction = true;
  }
  auto& st = *m_impl->insert;
  st.reset();
  st.bind(1, static_cast<std::int64_t>(row_index));
  st.bind(2, entry.key);
  st.bind(3, entry.outcome);
  st.bind(4, entry.result);
  st.step();
  st.reset();
}

void Journal::flush() {
  if (!m_impl->in_transaction) return;
  m_impl->db->exec("COMMIT");
  m_impl->in_transaction = false;
}

void Journal::mark_complete() {
  flush();
  m_impl->db->run("UPDATE meta SET v = '1' WHERE k = 'complete'");
}

fs::path default_journal_path(std::string_view operation, const std::string& fingerprint) {
  fs::path base;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    base = state;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = fs::path(home) / ".local" / "state";
  } else {
    base = fs::temp_directory_path();
  }
  return base / "provportal" / "journals" /
         (std::string(operation) + "-" + sha256_hex(fingerprint).substr(0, 16) + ".db");
}

}  // namespace portal::batch
