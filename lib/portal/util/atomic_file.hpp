// Files that appear whole or not at all: written aside as FILE.part in the same directory,
// fsync-ed, then renamed over FILE, so the next system (a cron job's consumer, a spreadsheet)
// never reads half a file. On failure or interruption FILE is left as it was and the .part is
// removed (a SIGKILL-ed run leaves its .part behind; the next run overwrites it).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string_view>

#include "portal/util/error.hpp"

namespace portal {

class AtomicFile {
 public:
  // Opens PATH.part for writing (truncating a stale one; never through a symlink). The file
  // gets FILE's permissions when FILE exists, else `mode` less the umask. ErrorKind::usage when
  // the directory is missing or not writable.
  static Expected<std::unique_ptr<AtomicFile>> create(const std::filesystem::path& path,
                                                      mode_t mode = 0666);
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
  AtomicFile(std::filesystem::path path, std::filesystem::path part, int fd);
  std::filesystem::path m_path, m_part;
  int m_fd = -1;
  std::unique_ptr<Buffer> m_buffer;
  std::unique_ptr<std::ostream> m_stream;
  int m_slot = -1;  // in the table remove_part_files_from_signal() reads
  bool m_committed = false;
};

// Writes `bytes` to `path` through an AtomicFile in one call.
Expected<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                     mode_t mode = 0666);

// Unlinks the .part of every AtomicFile still open. Async-signal-safe: for a signal handler
// that is about to _exit().
void remove_part_files_from_signal();

}  // namespace portal
