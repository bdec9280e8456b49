// The delimiters of an interchange and a segment that views into the reader's or caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace x12 {

// The four separators; an interchange's come from its ISA (ISA 4th char, ISA11, ISA16, 106th).
struct Delimiters {
  char element = '*';
  char repetition = '^';
  char component = ':';
  char segment = '~';
};

// True when the four are distinct and none is a letter, a digit or a space (which data uses).
bool delimiters_valid(const Delimiters& d);

// One segment: its text without the terminator, split into elements on demand-free offsets the
// reader computed once. Valid until the reader's next call. Element 0 is the segment id.
class Segment {
 public:
  Segment() = default;
  // `starts[k]` is the offset in `text` of element k (k = 0 the id); elements end where the next
  // one's separator is. Built by Reader and split_segment().
  Segment(std::string_view text, std::span<const std::uint32_t> starts, Delimiters delimiters,
          std::size_t position, std::uint64_t offset)
      : m_text(text),
        m_starts(starts),
        m_delimiters(delimiters),
        m_position(position),
        m_offset(offset) {}

  // "NM1", "HL"...
  std::string_view id() const { return element(0); }
  // The number of elements after the id (the highest index present, trailing empties included).
  std::size_t size() const { return m_starts.empty() ? 0 : m_starts.size() - 1; }
  // Element i (1-based; 0 is the id) or "" when absent.
  std::string_view element(std::size_t i) const {
    if (i >= m_starts.size()) return {};
    const std::size_t end = i + 1 < m_starts.size() ? m_starts[i + 1] - 1 : m_text.size();
    return m_text.substr(m_starts[i], end - m_starts[i]);
  }
  // Component c (1-based) of element i, or "" when absent; an element without component
  // separators is its own component 1.
  std::string_view component(std::size_t i, std::size_t c) const {
    return nth_part(element(i), m_delimiters.component, c);
  }
  // Repetition r (1-based) of element i, or "" when absent.
  std::string_view repetition(std::size_t i, std::size_t r) const {
    return nth_part(element(i), m_delimiters.repetition, r);
  }
  // The whole segment without its terminator.
  std::string_view text() const { return m_text; }
  // 1-based position in the interchange (ISA = 1), as IK302 counts within a set.
  std::size_t position() const { return m_position; }
  // Byte offset of the segment's first character in the input.
  std::uint64_t offset() const { return m_offset; }
  const Delimiters& delimiters() const { return m_delimiters; }

  // Part n (1-based) of `s` split on `sep`, or "".
  static std::string_view nth_part(std::string_view s, char sep, std::size_t n) {
    if (n == 0) return {};
    std::size_t begin = 0;
    for (std::size_t k = 1; k < n; ++k) {
      const std::size_t p = s.find(sep, begin);
      if (p == std::string_view::npos) return {};
      begin = p + 1;
    }
    const std::size_t end = s.find(sep, begin);
    return s.substr(begin, end == std::string_view::npos ? s.size() - begin : end - begin);
  }

 private:
  std::string_view m_text;
  std::span<const std::uint32_t> m_starts;
  Delimiters m_delimiters;
  std::size_t m_position = 0;
  std::uint64_t m_offset = 0;
};

}  // namespace x12
