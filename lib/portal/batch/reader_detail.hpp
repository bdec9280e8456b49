// Private helpers shared by the CSV, JSON Lines and YAML readers (not installed, not for callers).
#pragma once
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "portal/batch/reader.hpp"

namespace portal::batch::detail {

inline constexpr std::size_t k_chunk_size = std::size_t{64} * 1024;

// Reads an istream in fixed chunks so no line, however long, is ever held whole. Skips a UTF-8
// byte order mark at the very start. Callers look at [cur(), end()) and advance through it.
class ChunkedInput {
 public:
  explicit ChunkedInput(std::istream& in, std::size_t chunk_size = k_chunk_size);

  // True when at least one byte is at cur(); reads the next chunk when the current one is used.
  bool available() { return m_pos != m_end || refill(); }
  const char* cur() const { return m_pos; }
  const char* end() const { return m_end; }
  void advance_to(const char* p) { m_pos = p; }
  // Offset in the whole input of a pointer into the current chunk.
  std::uint64_t offset_of(const char* p) const {
    return m_base + static_cast<std::uint64_t>(p - m_buf.get());
  }
  std::uint64_t offset() const { return offset_of(m_pos); }
  // The stream reported an I/O error (not end of file).
  bool failed() const { return m_failed; }

 private:
  bool refill();

  std::istream& m_in;
  std::size_t m_chunk_size;
  std::unique_ptr<char[]> m_buf;
  const char* m_pos;
  const char* m_end;
  std::uint64_t m_base = 0;  // offset of m_buf[0] in the input
  bool m_started = false;
  bool m_eof = false;
  bool m_failed = false;
};

// Offset of the first byte of `s` that is not part of well-formed UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF are refused); nullopt when all of `s` is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);

// "1 MiB", "64 KiB" or "1000 bytes", for messages about limits.
std::string describe_size(std::size_t bytes);

// The problem of a record longer than the limit: "line N: the record is longer than 1 MiB; ...".
std::string too_long_problem(std::size_t line, std::size_t limit);

std::unique_ptr<RecordReader> make_csv_reader(std::istream& in, std::string name,
                                              ReaderLimits limits);
std::unique_ptr<RecordReader> make_jsonl_reader(std::istream& in, std::string name,
                                                ReaderLimits limits);
std::unique_ptr<RecordReader> make_yaml_reader(std::istream& in, std::string name,
                                               ReaderLimits limits);

}  // namespace portal::batch::detail
