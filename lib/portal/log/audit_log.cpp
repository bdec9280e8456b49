#include "portal/log/audit_log.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

namespace portal::log {

namespace {

std::string errno_text() { return std::strerror(errno); }

// What deferred entries may hold in memory before they are written anyway.
constexpr std::size_t k_max_pending_bytes = 256 * 1024;

}  // namespace

AuditLog::AuditLog(std::filesystem::path path) : m_path(std::move(path)) {}

AuditLog::~AuditLog() {
  if (m_fd >= 0 && !m_pending.empty()) (void)write_locked(m_pending);
  if (m_fd >= 0) {
    if (m_dirty) ::fdatasync(m_fd);
    ::close(m_fd);
  }
}

Expected<void> AuditLog::open() {
  std::lock_guard lock(m_mutex);
  if (m_fd >= 0) return {};
  auto dir = m_path.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        return fail(
            ErrorKind::input,
            "cannot create the directory of the audit log " + dir.string() + ": " + ec.message(),
            "nothing was sent; create it, or move the log with --audit-log FILE "
            "(PROVPORTAL_AUDIT_LOG)");
      }
      ::chmod(dir.c_str(), 0700);
    }
  }
  int fd = ::open(m_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return fail(ErrorKind::input,
                "cannot open the audit log " + m_path.string() + ": " + errno_text(),
                "nothing was sent; make it writable, or move it with --audit-log FILE "
                "(PROVPORTAL_AUDIT_LOG)");
  }
  struct stat st;
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0 && st.st_uid == ::geteuid()) {
    ::fchmod(fd, 0600);  // it names who sent what: for the owner only
  }
  m_fd = fd;
  return {};
}

Expected<void> AuditLog::append(const boost::json::object& entry) {
  if (auto opened = open(); !opened) return opened;
  std::string line = boost::json::serialize(entry);
  line += '\n';
  std::lock_guard lock(m_mutex);
  if (m_deferred) {
    m_pending += line;
    if (m_pending.size() < k_max_pending_bytes) return {};
    auto written = write_locked(m_pending);
    m_pending.clear();
    return written;
  }
  return write_locked(line);
}

Expected<void> AuditLog::set_deferred(bool on) {
  if (on) {
    std::lock_guard lock(m_mutex);
    m_deferred = true;
    return {};
  }
  auto flushed = flush();
  std::lock_guard lock(m_mutex);
  m_deferred = false;
  return flushed;
}

Expected<void> AuditLog::flush() {
  std::lock_guard lock(m_mutex);
  if (m_pending.empty() || m_fd < 0) return {};
  auto written = write_locked(m_pending);
  m_pending.clear();
  return written;
}

Expected<void> AuditLog::write_locked(const std::string& line) {
  while (::flock(m_fd, LOCK_EX) != 0) {
    if (errno != EINTR)
      return fail(ErrorKind::internal,
                  "cannot lock the audit log " + m_path.string() + ": " + errno_text());
  }
  const char* p = line.data();
  std::size_t left = line.size();
  std::string problem;
  while (left > 0) {
    ssize_t n = ::write(m_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      problem = errno_text();
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::flock(m_fd, LOCK_UN);
  if (!problem.empty()) {
    return fail(ErrorKind::internal,
                "cannot append to the audit log " + m_path.string() + ": " + problem);
  }
  m_dirty = true;
  auto now = std::chrono::steady_clock::now();
  if (now - m_last_sync >= std::chrono::seconds{1}) {
    ::fdatasync(m_fd);
    m_dirty = false;
    m_last_sync = now;
  }
  return {};
}

void AuditLog::sync() {
  std::lock_guard lock(m_mutex);
  if (m_fd >= 0 && m_dirty) {
    ::fdatasync(m_fd);
    m_dirty = false;
    m_last_sync = std::chrono::steady_clock::now();
  }
}

}  // namespace portal::log
