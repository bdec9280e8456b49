// A thin RAII layer over SQLite's C API: one connection, prepared statements, transactions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace portal::sqlite {

// A value bound to a statement parameter: NULL, integer or text.
using DbValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

// One prepared statement. step() returns true while rows remain. A statement borrowed from the
// connection's cache (see Database::query) is reset when this object goes away, ending its read.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept
      : m_db(other.m_db), m_stmt(other.m_stmt), m_in_use(other.m_in_use) {
    other.m_stmt = nullptr;
    other.m_in_use = nullptr;
  }

  Statement& bind(int index, const DbValue& value);  // 1-based
  bool step();                                       // throws std::runtime_error on failure
  void reset();  // ready to bind and step again (for statements kept by the caller)
  std::int64_t integer(int column) const;  // 0-based
  std::optional<std::int64_t> optional_integer(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;
  sqlite3_stmt* handle() const { return m_stmt; }

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use)
      : m_db(db), m_stmt(cached), m_in_use(in_use) {}

  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  bool* m_in_use = nullptr;  // set for a cached statement: the cache's "borrowed" flag
};

// The database connection (WAL mode, foreign keys, a busy timeout so the admin command and a
// running server can share the file). Not thread-safe: callers serialise access.
class Database {
 public:
  explicit Database(const std::filesystem::path& file);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  // Binds `params` in order and returns the statement ready to step(). Statements are prepared
  // once per connection and reused (the SQL text is the cache key), so keep SQL text constant
  // and pass values as parameters.
  Statement query(std::string_view sql, const std::vector<DbValue>& params = {});
  // Runs a statement with no result rows; returns the number of rows changed.
  int run(std::string_view sql, const std::vector<DbValue>& params = {});
  std::int64_t last_insert_rowid() const;
  sqlite3* handle() { return m_db; }
  // Throws std::logic_error when a statement of this connection is still stepping (see .cpp);
  // `what` names what was about to begin.
  void check_no_statement_open(std::string_view what);

 private:
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  Statement prepare(std::string_view sql);

  sqlite3* m_db = nullptr;
  // Prepared statements by SQL text; finalized by ~Database before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<CachedStatement>> m_cache;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& m_db;
  bool m_done = false;
};

}  // namespace portal::sqlite
