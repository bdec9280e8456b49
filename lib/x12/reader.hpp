// A streaming X12 reader: takes its delimiters from each ISA, yields one segment at a time from
// a bounded, reused buffer (flat memory whatever the input's size), and stops at the first
// framing error with its byte offset and segment position.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "x12/error.hpp"
#include "x12/segment.hpp"

namespace x12 {

struct ReaderOptions {
  // Longest segment accepted (terminator excluded); a longer one is an error naming its position.
  std::size_t max_segment_length = 1u << 20;
  // Bytes asked of the source per read.
  std::size_t chunk_size = 64u << 10;
  // Largest BIN01 (the byte count of a BIN segment's binary data, as a 275 carries a file)
  // accepted; a larger one is an error naming its position. A file or stream reader grows its
  // buffer to hold one BIN segment whole, so this bounds its memory (at most 1 GiB).
  std::size_t max_binary_length = 64u << 20;
};

// Reads segments from a file descriptor, an istream or memory. Fatal framing problems (no ISA,
// malformed ISA, bad delimiters, a NUL byte, an over-long or unterminated segment, a read error)
// end the stream: next() returns nullptr and error() says why. CR/LF after a terminator and a
// UTF-8 BOM before the first ISA are skipped.
// A BIN segment ("BIN", the element separator, BIN01 digits, the separator, then BIN01 bytes of
// any value and the terminator) is read by its length, not by looking for the terminator: its
// element 2 is the binary data, delimiters and NUL bytes included. A BIN01 that is not 1 to 15
// digits, over max_binary_length, longer than the input left, or data not followed by the
// terminator is a fatal error naming the segment's position and byte offset.
class Reader {
 public:
  // Reads `fd` (not owned, not closed).
  explicit Reader(int fd, ReaderOptions options = {});
  // Reads `in` (which must outlive the reader).
  explicit Reader(std::istream& in, ReaderOptions options = {});
  // Reads `bytes` (which must outlive the reader) in place: no copy and no buffer.
  static Reader from_memory(std::string_view bytes, ReaderOptions options = {});
  // A temporary string would be gone before the first next().
  template <typename S>
  requires std::same_as<S, std::string>
  static Reader from_memory(S&& bytes, ReaderOptions options = {}) = delete;
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) = delete;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next segment, valid until the next call; nullptr at the end of input or after an error.
  const Segment* next();
  // The fatal error that stopped the reader, if any.
  const std::optional<Error>& error() const { return m_error; }
  // The delimiters of the current interchange (defaults before the first ISA).
  const Delimiters& delimiters() const { return m_delimiters; }
  // Bytes consumed so far (through the last segment's terminator).
  std::uint64_t bytes_read() const { return m_base + m_begin; }

 private:
  enum class Kind : std::uint8_t { fd, stream, memory };
  Reader(Kind kind, ReaderOptions options);
  std::size_t read_source(char* dst, std::size_t n);
  bool fill();  // false at end of input or on error
  bool ensure(std::size_t n);
  const Segment* fail_with(ErrorCode code, std::uint64_t offset, std::string reason,
                           std::string_view id = {});
  const Segment* read_isa();
  const Segment* make_segment(std::size_t begin, std::size_t end);
  // Looks for the segment terminator in bytes [from, to) after m_begin, adding to m_starts the
  // start of each element after an element separator on the way (split_segment's starts, in the
  // same pass) and setting `nul` at a NUL byte; the terminator's offset from m_begin, or npos.
  std::size_t scan(std::size_t from, std::size_t to, bool& nul);
  // The BIN segment at m_begin, read by its length (see the class comment).
  const Segment* read_bin();
  // Makes the fd/stream buffer hold at least `n` bytes from m_begin (false when over the limit).
  bool reserve(std::size_t n);

  Kind m_kind;
  ReaderOptions m_options;
  int m_fd = -1;
  std::istream* m_in = nullptr;
  std::unique_ptr<char[]> m_owned;  // the buffer of an fd or stream source
  const char* m_buf = nullptr;      // m_owned, or the bytes of a memory source
  std::size_t m_cap = 0;
  std::size_t m_begin = 0;   // first unconsumed byte
  std::size_t m_end = 0;     // one past the last byte read
  std::uint64_t m_base = 0;  // input offset of m_buf[0]
  bool m_eof = false;
  bool m_seen_isa = false;
  std::size_t m_position = 0;
  Delimiters m_delimiters;
  std::vector<std::uint32_t> m_starts;
  Segment m_segment;
  std::optional<Error> m_error;
};

// Splits `text` (one segment without its terminator) into `starts` for a Segment; for callers
// holding a whole interchange in memory. `starts` is cleared and reused.
Segment split_segment(std::string_view text, const Delimiters& delimiters,
                      std::vector<std::uint32_t>& starts, std::size_t position = 0,
                      std::uint64_t offset = 0);

}  // namespace x12
