#include "x12/control_numbers.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "x12/text.hpp"

namespace x12 {
namespace {

Unexpected io_failure(const std::string& what, int err) {
  Error e;
  e.code = ErrorCode::io_error;
  e.reason = what + ": " + std::strerror(err);
  return fail(std::move(e));
}

// A file name for any sender id: letters, digits, '-' and '_' kept, other bytes as %XX.
std::string file_stem(std::string_view sender) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : sender) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_') {
      out += c;
    } else {
      out += '%';
      out += k_hex[u >> 4];
      out += k_hex[u & 15];
    }
  }
  return out;
}

// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The last number of a block of n (n >= 1) from `start`: start + n - 1, wrapping to 1.
std::uint32_t advance(std::uint32_t start, std::uint32_t n) {
  const std::uint64_t v = (static_cast<std::uint64_t>(start) - 1 + n - 1) % 999999999 + 1;
  return static_cast<std::uint32_t>(v);
}

bool parse_line(std::string_view text, std::string_view key, std::uint32_t& out) {
  const std::size_t at = text.find(std::string(key) + " ");
  if (at == std::string_view::npos) return false;
  std::string_view rest = text.substr(at + key.size() + 1);
  rest = rest.substr(0, rest.find('\n'));
  const auto v = detail::parse_uint(rest);
  if (!v || *v > 999999999) return false;
  out = static_cast<std::uint32_t>(*v);
  return true;
}

}  // namespace

Expected<ControlNumbers> ControlNumbers::open(const std::filesystem::path& directory,
                                              std::string_view sender) {
  if (sender.empty()) {
    Error e;
    e.code = ErrorCode::isa_malformed;
    e.element = 6;
    e.reason = "control numbers need a sender id";
    return fail(std::move(e));
  }
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return io_failure("cannot create " + directory.string(), ec.value());
  const std::string stem = file_stem(sender);
  ControlNumbers store(directory / (stem + ".ctl"), directory / (stem + ".lock"));
  Fd lock{::open(store.m_lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (lock.fd < 0) return io_failure("cannot open " + store.m_lock.string(), errno);
  return store;
}

Expected<ControlBlock> ControlNumbers::reserve(std::uint32_t interchanges, std::uint32_t groups,
                                               std::uint32_t transactions) {
  // The lock lives in its own file: the data file is replaced by rename, and a lock on a file
  // that has been renamed over would no longer exclude anyone.
  Fd lock{::open(m_lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (lock.fd < 0) return io_failure("cannot open " + m_lock.string(), errno);
  while (::flock(lock.fd, LOCK_EX) != 0)
    if (errno != EINTR) return io_failure("cannot lock " + m_lock.string(), errno);

  std::uint32_t isa = 0, gs = 0, st = 0;  // the last numbers used; 0 = none yet
  {
    Fd data{::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (data.fd < 0 && errno != ENOENT) return io_failure("cannot read " + m_path.string(), errno);
    if (data.fd >= 0) {
      char buf[256];
      const ssize_t n = ::read(data.fd, buf, sizeof buf - 1);
      if (n < 0) return io_failure("cannot read " + m_path.string(), errno);
      const std::string_view text(buf, static_cast<std::size_t>(n));
      if (!parse_line(text, "isa", isa) || !parse_line(text, "gs", gs) ||
          !parse_line(text, "st", st)) {
        Error e;
        e.code = ErrorCode::io_error;
        e.reason = m_path.string() + " is damaged; refusing to guess control numbers";
        return fail(std::move(e));
      }
    }
  }
  ControlBlock block{next_control(isa), next_control(gs), next_control(st)};
  if (interchanges > 0) isa = advance(block.interchange, interchanges);
  if (groups > 0) gs = advance(block.group, groups);
  if (transactions > 0) st = advance(block.transaction, transactions);

  char text[96];
  const int len = std::snprintf(text, sizeof text, "isa %u\ngs %u\nst %u\n", isa, gs, st);
  const std::filesystem::path temp = m_path.string() + ".tmp";
  {
    Fd out{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (out.fd < 0) return io_failure("cannot write " + temp.string(), errno);
    if (::write(out.fd, text, static_cast<std::size_t>(len)) != len)
      return io_failure("cannot write " + temp.string(), errno);
    if (::fsync(out.fd) != 0) return io_failure("cannot fsync " + temp.string(), errno);
  }
  if (::rename(temp.c_str(), m_path.c_str()) != 0)
    return io_failure("cannot rename " + temp.string(), errno);
  Fd dir{::open(m_path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0) ::fsync(dir.fd);
  return block;
}

}  // namespace x12
