#include "portal/util/sqlite.hpp"

#include <sqlite3.h>

#include <mutex>
#include <stdexcept>

namespace portal::sqlite {

namespace {
[[noreturn]] void throw_sqlite(sqlite3* db, std::string_view what) {
  throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

// More distinct SQL texts than this are prepared per use instead of cached.
constexpr std::size_t k_statement_cache_limit = 256;
}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : m_db(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr) !=
      SQLITE_OK) {
    throw_sqlite(db, "prepare");
  }
}

Statement::~Statement() {
  if (m_in_use != nullptr) {
    // Back to the cache: reset ends the statement's read transaction; bindings are replaced
    // on the next use.
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    *m_in_use = false;
  } else {
    sqlite3_finalize(m_stmt);
  }
}

Statement& Statement::bind(int index, const DbValue& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::nullptr_t>(value)) {
    rc = sqlite3_bind_null(m_stmt, index);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    rc = sqlite3_bind_int64(m_stmt, index, *i);
  } else {
    const auto& s = std::get<std::string>(value);
    rc = sqlite3_bind_text(m_stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK) throw_sqlite(m_db, "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(m_db, "step");
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(m_stmt, column); }

std::optional<std::int64_t> Statement::optional_integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(m_stmt, column);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(m_stmt, column))
           : std::string();
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

Database::Database(const std::filesystem::path& file) {
  // SQLite's memory statistics take one process-wide mutex around every allocation, which the
  // server's threads and connections would all queue on. Only possible before SQLite starts
  // (a no-op, SQLITE_MISUSE, if something else in the process used it first).
  static std::once_flag memstatus_off;
  std::call_once(memstatus_off, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  if (sqlite3_open_v2(file.c_str(), &m_db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
    sqlite3_close(m_db);
    throw std::runtime_error("cannot open database " + file.string() + ": " + msg);
  }
  sqlite3_busy_timeout(m_db, 10'000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
}

Database::~Database() {
  for (auto& [sql, cached] : m_cache) sqlite3_finalize(cached->stmt);
  sqlite3_close(m_db);
}

void Database::exec(std::string_view sql) {
  char* err = nullptr;
  if (sqlite3_exec(m_db, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("sql: " + msg);
  }
}

Statement Database::prepare(std::string_view sql) {
  auto it = m_cache.find(std::string(sql));
  if (it == m_cache.end()) {
    if (m_cache.size() >= k_statement_cache_limit) return Statement(m_db, sql);
    auto cached = std::make_unique<CachedStatement>();
    if (sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &cached->stmt, nullptr) != SQLITE_OK) {
      throw_sqlite(m_db, "prepare");
    }
    it = m_cache.emplace(std::string(sql), std::move(cached)).first;
  }
  // The same SQL running twice at once (a query inside the loop over its own rows) gets a
  // statement of its own.
  if (it->second->in_use) return Statement(m_db, sql);
  it->second->in_use = true;
  return Statement(m_db, it->second->stmt, &it->second->in_use);
}

Statement Database::query(std::string_view sql, const std::vector<DbValue>& params) {
  Statement st = prepare(sql);
  for (std::size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
  return st;
}

void Database::check_no_statement_open(std::string_view what) {
  // A statement still stepping holds a read snapshot; a write (BEGIN IMMEDIATE, or a write in
  // autocommit mode) must then upgrade it, and when another connection wrote meanwhile SQLite
  // answers SQLITE_BUSY at once, without waiting: no busy handler helps a stale snapshot. Read
  // what is needed first and let the statement go; this check makes the mistake fail every
  // time, not only under load.
  for (sqlite3_stmt* st = sqlite3_next_stmt(m_db, nullptr); st != nullptr;
       st = sqlite3_next_stmt(m_db, st)) {
    if (sqlite3_stmt_busy(st) != 0) {
      throw std::logic_error(std::string(what) +
                             " began while a statement was still open: " + sqlite3_sql(st));
    }
  }
}

int Database::run(std::string_view sql, const std::vector<DbValue>& params) {
  auto st = query(sql, params);
  if (sqlite3_get_autocommit(m_db) != 0 && sqlite3_stmt_readonly(st.handle()) == 0) {
    check_no_statement_open("a write outside a transaction");
  }
  while (st.step()) {
  }
  return sqlite3_changes(m_db);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

Transaction::Transaction(Database& db) : m_db(db) {
  m_db.check_no_statement_open("a transaction");
  m_db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!m_done) {
    try {
      m_db.exec("ROLLBACK");
    } catch (...) {
    }
  }
}

void Transaction::commit() {
  m_db.exec("COMMIT");
  m_done = true;
}

}  // namespace portal::sqlite
