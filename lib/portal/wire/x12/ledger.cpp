#include "portal/wire/x12/ledger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "portal/util/sqlite.hpp"

namespace portal::wire::x12w {

namespace fs = std::filesystem;

namespace {

std::string os_error(const std::string& what) { return what + ": " + std::strerror(errno); }

Error outbox_error(const std::string& message, const fs::path& outbox) {
  return Error(ErrorKind::unavailable, message,
               "check that the directory " + outbox.string() +
                   " exists, is writable and has room; the rows stay pending and the same "
                   "command with --resume writes them out");
}

// Holds an exclusive flock on a file for its lifetime.
class FileLock {
 public:
  explicit FileLock(int fd) : m_fd(fd) {
    while (::flock(m_fd, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::flock(m_fd, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int m_fd;
};

Expected<void> fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorKind::unavailable, os_error("cannot open " + dir.string()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(ErrorKind::unavailable, os_error("cannot fsync " + dir.string()));
  return {};
}

// Writes `bytes` to `path` (created 0600: an inquiry holds PHI) and fsyncs it.
Expected<void> write_synced(const fs::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(ErrorKind::unavailable, os_error("cannot create " + path.string()));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = os_error("cannot write " + path.string());
      ::close(fd);
      return fail(ErrorKind::unavailable, e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto e = os_error("cannot fsync " + path.string());
    ::close(fd);
    return fail(ErrorKind::unavailable, e);
  }
  ::close(fd);
  return {};
}

}  // namespace

std::string part_name(std::string_view name) { return "." + std::string(name) + ".part"; }

struct Ledger::Impl {
  fs::path file;
  int lock_fd = -1;
  std::unique_ptr<sqlite::Database> db;
};

Ledger::Ledger(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Ledger::~Ledger() {
  m_impl->db.reset();
  if (m_impl->lock_fd >= 0) ::close(m_impl->lock_fd);
}

Expected<std::unique_ptr<Ledger>> Ledger::open(const fs::path& file) {
  auto impl = std::make_unique<Impl>();
  impl->file = file;
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  const std::string lock = file.string() + ".lock";
  impl->lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (impl->lock_fd < 0) return fail(ErrorKind::usage, os_error("cannot open " + lock));
  try {
    impl->db = std::make_unique<sqlite::Database>(file);
    auto& db = *impl->db;
    // The ledger's commit is what makes a set count as sent: it must reach the disk before the
    // rename that publishes the file.
    db.exec("PRAGMA synchronous=FULL");
    db.exec(
        "CREATE TABLE IF NOT EXISTS files(name TEXT PRIMARY KEY, sender TEXT NOT NULL,"
        " outbox TEXT NOT NULL, state TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS sets(sender TEXT NOT NULL, trace TEXT NOT NULL,"
        " file TEXT NOT NULL, isa13 TEXT NOT NULL, gs06 TEXT NOT NULL, st02 TEXT NOT NULL,"
        " sent_at TEXT NOT NULL, PRIMARY KEY(sender, trace));");
  } catch (const std::exception& e) {
    return fail(ErrorKind::usage, "cannot use the X12 ledger " + file.string() + ": " + e.what());
  }
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

std::optional<SentSet> Ledger::find(std::string_view sender, std::string_view trace) {
  auto q = m_impl->db->query(
      "SELECT trace, file, isa13, gs06, st02, sent_at FROM sets WHERE sender = ? AND trace = ?",
      {std::string(sender), std::string(trace)});
  if (!q.step()) return std::nullopt;
  return SentSet{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5)};
}

Expected<void> Ledger::publish(const fs::path& outbox, std::string_view sender,
                               const std::string& name, std::string_view bytes,
                               const std::vector<SentSet>& sets) {
  FileLock lock(m_impl->lock_fd);
  const fs::path part = outbox / part_name(name);
  if (auto written = write_synced(part, bytes); !written) {
    ::unlink(part.c_str());
    return fail(outbox_error(written.error().message, outbox));
  }
  auto& db = *m_impl->db;
  try {
    sqlite::Transaction tx(db);
    db.run("INSERT OR REPLACE INTO files(name, sender, outbox, state) VALUES (?, ?, ?, 'staged')",
           {name, std::string(sender), outbox.string()});
    for (const auto& s : sets) {
      // OR IGNORE: a set another run published meanwhile keeps its first record.
      db.run(
          "INSERT OR IGNORE INTO sets(sender, trace, file, isa13, gs06, st02, sent_at)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)",
          {std::string(sender), s.trace, s.file, s.isa13, s.gs06, s.st02, s.sent_at});
    }
    tx.commit();
  } catch (const std::exception& e) {
    ::unlink(part.c_str());
    return fail(ErrorKind::unavailable, "cannot record the file " + name + " in the ledger " +
                                            m_impl->file.string() + ": " + e.what());
  }
  // From here the sets count as sent: a failure below is finished by recover().
  if (::rename(part.c_str(), (outbox / name).c_str()) != 0) {
    return fail(outbox_error(os_error("cannot rename " + part.string()), outbox));
  }
  if (auto synced = fsync_directory(outbox); !synced)
    return fail(outbox_error(synced.error().message, outbox));
  db.run("UPDATE files SET state = 'published' WHERE name = ?", {name});
  return {};
}

Expected<void> Ledger::recover(std::string_view sender, const fs::path& outbox,
                               std::string_view name_prefix) {
  FileLock lock(m_impl->lock_fd);
  auto& db = *m_impl->db;
  struct Staged {
    std::string name, outbox;
  };
  std::vector<Staged> staged;
  std::vector<std::string> outboxes{outbox.string()};
  {
    auto q = db.query("SELECT name, outbox FROM files WHERE sender = ? AND state = 'staged'",
                      {std::string(sender)});
    while (q.step()) staged.push_back({q.text(0), q.text(1)});
    auto o = db.query("SELECT DISTINCT outbox FROM files WHERE sender = ?", {std::string(sender)});
    while (o.step()) {
      if (o.text(0) != outboxes.front()) outboxes.push_back(o.text(0));
    }
  }
  for (const auto& s : staged) {
    const fs::path dir = s.outbox;
    const fs::path part = dir / part_name(s.name);
    std::error_code ec;
    if (fs::exists(part, ec)) {
      if (::rename(part.c_str(), (dir / s.name).c_str()) != 0)
        return fail(outbox_error(os_error("cannot rename " + part.string()), dir));
      if (auto synced = fsync_directory(dir); !synced)
        return fail(outbox_error(synced.error().message, dir));
    }
    // Without its .part the file was renamed already (and perhaps picked up since).
    db.run("UPDATE files SET state = 'published' WHERE name = ?", {s.name});
  }
  // A .part the ledger does not know: its run died before the commit, its rows go out again.
  for (const auto& dir : outboxes) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string n = entry.path().filename().string();
      if (!n.starts_with("." + std::string(name_prefix)) || !n.ends_with(".x12.part")) continue;
      const std::string published = n.substr(1, n.size() - 6);
      auto known = db.query("SELECT 1 FROM files WHERE name = ?", {published});
      if (!known.step()) fs::remove(entry.path(), ec);
    }
  }
  return {};
}

}  // namespace portal::wire::x12w
