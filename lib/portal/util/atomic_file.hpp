// The one safe file writer: every file the CLI or the sandbox writes whole (sessions, config,
// secrets, metrics, watermarks, results, letters, certificates, -O outputs) is written aside in
// the same directory, fsync-ed, renamed over FILE, and the directory fsync-ed, so the next
// system (a cron job's consumer, a spreadsheet, the next login) never reads half a file. On
// failure or interruption FILE is left as it was and the aside file is removed (a SIGKILL-ed run
// leaves it behind; the next run overwrites or ignores it).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string_view>

#include "portal/util/error.hpp"

namespace portal {

// How a file is written aside and with which permissions.
struct WriteOptions {
  // A new file's permissions, less the umask; an existing FILE keeps its own (unless exact_mode).
  mode_t mode = 0666;
  // Exactly `mode` whatever the umask or an existing FILE's permissions: for secrets (0600).
  bool exact_mode = false;
  // Write aside as FILE.tmp.PID.N (created exclusively) instead of FILE.part: for files that
  // several processes may write at the same time (the session cache, the config file).
  bool unique_temp = false;
  // The stream's buffer: larger for files written line by line in bulk (a batch's results).
  std::size_t buffer_bytes = 1 << 16;
};

class AtomicFile {
 public:
  // Opens the aside file for writing (FILE.part, truncating a stale one, or a unique name;
  // never through a symlink). ErrorKind::usage when the directory is missing or not writable.
  static Expected<std::unique_ptr<AtomicFile>> create(const std::filesystem::path& path,
                                                      WriteOptions options = {});
  ~AtomicFile();  // abandon() unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write; a write error sets the stream's failbit (and commit() then fails).
  std::ostream& stream();
  // Flushes, fsyncs and renames the .part over FILE, then fsyncs the directory.
  Expected<void> commit();
  // Removes the .part; FILE stays as it was.
  void abandon();
  bool committed() const { return m_committed; }
  const std::filesystem::path& path() const { return m_path; }
  const std::filesystem::path& part_path() const { return m_part; }

 private:
  class Buffer;
  AtomicFile(std::filesystem::path path, std::filesystem::path part, int fd,
             std::size_t buffer_bytes);
  std::filesystem::path m_path, m_part;
  int m_fd = -1;
  std::unique_ptr<Buffer> m_buffer;
  std::unique_ptr<std::ostream> m_stream;
  int m_slot = -1;  // in the table remove_part_files_from_signal() reads
  bool m_committed = false;
};

// Writes `bytes` to `path` through an AtomicFile in one call.
Expected<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                     WriteOptions options = {});

// Unlinks the .part of every AtomicFile still open. Async-signal-safe: for a signal handler
// that is about to _exit().
void remove_part_files_from_signal();

}  // namespace portal
