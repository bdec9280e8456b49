#include "portal/util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <streambuf>
#include <vector>

namespace portal {

namespace fs = std::filesystem;

namespace {

// The .part files open now, for remove_part_files_from_signal(): fixed storage, since a signal
// handler may neither allocate nor take a lock. A slot goes free (0) -> being written (1) ->
// published (2); the handler only reads published ones.
constexpr std::size_t k_slots = 8;
constexpr std::size_t k_path_max = 4096;
struct PartSlot {
  std::atomic<int> state{0};
  char path[k_path_max];
};
std::array<PartSlot, k_slots> g_parts;

int claim_slot(const fs::path& part) {
  const std::string& text = part.native();
  if (text.size() >= k_path_max) return -1;
  for (std::size_t i = 0; i < k_slots; ++i) {
    int free = 0;
    if (g_parts[i].state.compare_exchange_strong(free, 1, std::memory_order_acquire)) {
      std::memcpy(g_parts[i].path, text.c_str(), text.size() + 1);
      g_parts[i].state.store(2, std::memory_order_release);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void release_slot(int slot) {
  if (slot >= 0) g_parts[static_cast<std::size_t>(slot)].state.store(0, std::memory_order_release);
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

// An ostream buffer over the file descriptor that remembers the first write error.
class AtomicFile::Buffer : public std::streambuf {
 public:
  Buffer(int fd, std::size_t bytes) : m_fd(fd), m_data(std::max<std::size_t>(bytes, 4096)) {
    setp(m_data.data(), m_data.data() + m_data.size());
  }
  bool failed() const { return m_error != 0; }
  int error() const { return m_error; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    while (p < pptr()) {
      ssize_t n = ::write(m_fd, p, static_cast<std::size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (m_error == 0) m_error = errno;
        setp(m_data.data(), m_data.data() + m_data.size());
        return false;
      }
      p += n;
      m_written += static_cast<std::uint64_t>(n);
    }
    setp(m_data.data(), m_data.data() + m_data.size());
    start_writeback();
    return m_error == 0;
  }

  // Asks the kernel to start writing each full stretch of what was written to disk now, without
  // waiting for it: commit()'s fsync then waits for the tail only, not for a whole large file
  // (an X12 interchange of a million rows is 300 MB) written after the last byte.
  void start_writeback() {
    constexpr std::uint64_t k_stretch = 32u << 20;
    while (m_written - m_synced >= k_stretch) {
#ifdef SYNC_FILE_RANGE_WRITE
      ::sync_file_range(m_fd, static_cast<off_t>(m_synced), static_cast<off_t>(k_stretch),
                        SYNC_FILE_RANGE_WRITE);
#endif
      m_synced += k_stretch;
    }
  }

  int m_fd;
  std::vector<char> m_data;
  int m_error = 0;
  std::uint64_t m_written = 0;  // bytes written to m_fd
  std::uint64_t m_synced = 0;   // of which writeback was started
};

AtomicFile::AtomicFile(fs::path path, fs::path part, int fd, std::size_t buffer_bytes)
    : m_path(std::move(path)),
      m_part(std::move(part)),
      m_fd(fd),
      m_buffer(std::make_unique<Buffer>(fd, buffer_bytes)),
      m_stream(std::make_unique<std::ostream>(m_buffer.get())),
      m_slot(claim_slot(m_part)) {}

AtomicFile::~AtomicFile() {
  if (!m_committed) abandon();
}

Expected<std::unique_ptr<AtomicFile>> AtomicFile::create(const fs::path& path,
                                                         WriteOptions options) {
  if (path.empty() || !path.has_filename()) {
    return fail(ErrorKind::usage, "the output file needs a file name, not a directory");
  }
  fs::path part = path;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
  if (options.unique_temp) {
    // Another process may be writing the same file: each writes its own aside file.
    static std::atomic<unsigned> counter{0};
    part += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    ::unlink(part.c_str());  // a leftover of a killed run that had this process's number
    flags |= O_EXCL;
  } else {
    part += ".part";
    flags |= O_TRUNC;
  }
  struct stat existing;
  bool keep_mode =
      !options.exact_mode && ::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode);
  int fd = ::open(part.c_str(), flags, options.exact_mode ? 0600 & options.mode : options.mode);
  if (fd < 0) {
    return fail(ErrorKind::usage, "cannot write " + part.string() + ": " + errno_text(),
                "check that the directory exists and is writable");
  }
  if (keep_mode) {
    (void)::fchmod(fd, existing.st_mode & 07777);
  } else if (options.exact_mode) {
    (void)::fchmod(fd, options.mode);  // whatever the umask says
  }
  return std::unique_ptr<AtomicFile>(
      new AtomicFile(path, std::move(part), fd, options.buffer_bytes));
}

std::ostream& AtomicFile::stream() { return *m_stream; }

Expected<void> AtomicFile::commit() {
  if (m_committed) return {};
  m_stream->flush();
  if (m_fd < 0 || m_buffer->failed() || !*m_stream) {
    std::string why = m_buffer->failed() ? std::strerror(m_buffer->error()) : "the file was closed";
    abandon();
    return fail(ErrorKind::internal, "cannot write " + m_part.string() + ": " + why,
                m_path.string() + " was left as it was");
  }
  if (::fsync(m_fd) != 0 || ::close(m_fd) != 0) {
    std::string why = errno_text();
    m_fd = -1;
    abandon();
    return fail(ErrorKind::internal, "cannot write " + m_part.string() + ": " + why,
                m_path.string() + " was left as it was");
  }
  m_fd = -1;
  if (::rename(m_part.c_str(), m_path.c_str()) != 0) {
    std::string why = errno_text();
    abandon();
    return fail(ErrorKind::internal,
                "cannot rename " + m_part.string() + " to " + m_path.string() + ": " + why,
                m_path.string() + " was left as it was");
  }
  release_slot(m_slot);
  m_slot = -1;
  m_committed = true;
  // The rename itself reaches the disk with the directory.
  fs::path dir = m_path.has_parent_path() ? m_path.parent_path() : fs::path(".");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

void AtomicFile::abandon() {
  if (m_committed) return;
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  release_slot(m_slot);
  m_slot = -1;
  ::unlink(m_part.c_str());
}

Expected<void> write_file_atomically(const fs::path& path, std::string_view bytes,
                                     WriteOptions options) {
  auto file = AtomicFile::create(path, options);
  if (!file) return fail(file.error());
  (*file)->stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return (*file)->commit();
}

void remove_part_files_from_signal() {
  for (auto& slot : g_parts) {
    if (slot.state.load(std::memory_order_acquire) == 2) ::unlink(slot.path);
  }
}

}  // namespace portal
