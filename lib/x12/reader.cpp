#include "x12/reader.hpp"

#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>

namespace x12 {
namespace {

constexpr std::size_t k_isa_length = 106;
// Offsets of the element separators in the fixed-width ISA (ISA01..ISA16 are 2,10,2,10,2,15,2,
// 15,6,4,1,5,9,1,1,1 characters wide).
constexpr std::array<std::size_t, 16> k_isa_separators{3,  6,  17, 20, 31, 34, 50,  53,
                                                       69, 76, 81, 83, 89, 99, 101, 103};

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string printable(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
  static constexpr char k_hex[] = "0123456789ABCDEF";
  const auto u = static_cast<unsigned char>(c);
  return std::string("0x") + k_hex[u >> 4] + k_hex[u & 15];
}

}  // namespace

bool delimiters_valid(const Delimiters& d) {
  const std::array<char, 4> all{d.element, d.repetition, d.component, d.segment};
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (is_alnum(all[i]) || all[i] == ' ' || all[i] == '\0') return false;
    for (std::size_t j = i + 1; j < all.size(); ++j)
      if (all[i] == all[j]) return false;
  }
  return true;
}

Segment split_segment(std::string_view text, const Delimiters& delimiters,
                      std::vector<std::uint32_t>& starts, std::size_t position,
                      std::uint64_t offset) {
  starts.clear();
  starts.push_back(0);
  const char* const base = text.data();
  const char* p = base;
  const char* const end = base + text.size();
  while (p < end) {
    const void* hit = std::memchr(p, delimiters.element, static_cast<std::size_t>(end - p));
    if (hit == nullptr) break;
    p = static_cast<const char*>(hit) + 1;
    starts.push_back(static_cast<std::uint32_t>(p - base));
  }
  return Segment(text, starts, delimiters, position, offset);
}

Reader::Reader(Kind kind, ReaderOptions options) : m_kind(kind), m_options(options) {
  // The ISA alone is 106 bytes; a limit below that could never read one.
  m_options.max_segment_length = std::max<std::size_t>(m_options.max_segment_length, 128);
  m_options.max_segment_length = std::min<std::size_t>(m_options.max_segment_length, 1u << 30);
  m_options.chunk_size = std::clamp<std::size_t>(m_options.chunk_size, 1, 1u << 24);
  m_options.max_binary_length = std::min<std::size_t>(m_options.max_binary_length, 1u << 30);
  m_starts.reserve(64);
  if (kind == Kind::memory) return;  // from_memory() points m_buf at the bytes
  m_cap = m_options.max_segment_length + m_options.chunk_size + 2;
  m_owned = std::make_unique_for_overwrite<char[]>(m_cap);
  m_buf = m_owned.get();
}

Reader::Reader(int fd, ReaderOptions options) : Reader(Kind::fd, options) { m_fd = fd; }

Reader::Reader(std::istream& in, ReaderOptions options) : Reader(Kind::stream, options) {
  m_in = &in;
}

Reader Reader::from_memory(std::string_view bytes, ReaderOptions options) {
  // The bytes are the buffer, all read at once: segments view into them.
  Reader reader(Kind::memory, options);
  reader.m_buf = bytes.data();
  reader.m_cap = reader.m_end = bytes.size();
  reader.m_eof = true;
  return reader;
}

Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;

std::size_t Reader::read_source(char* dst, std::size_t n) {
  switch (m_kind) {
    case Kind::memory:
      return 0;  // all of it is in the buffer from the start
    case Kind::stream: {
      m_in->read(dst, static_cast<std::streamsize>(n));
      const auto k = static_cast<std::size_t>(m_in->gcount());
      if (k == 0 && m_in->bad()) {
        fail_with(ErrorCode::io_error, m_base + m_end, "reading the input stream failed");
      }
      return k;
    }
    case Kind::fd:
      for (;;) {
        const ssize_t k = ::read(m_fd, dst, n);
        if (k >= 0) return static_cast<std::size_t>(k);
        if (errno == EINTR) continue;
        fail_with(ErrorCode::io_error, m_base + m_end,
                  std::string("reading the input failed: ") + std::strerror(errno));
        return 0;
      }
  }
  return 0;
}

bool Reader::fill() {
  if (m_eof || m_error) return false;
  if (m_begin > 0 && m_cap - m_end < m_options.chunk_size) {
    std::memmove(m_owned.get(), m_buf + m_begin, m_end - m_begin);
    m_base += m_begin;
    m_end -= m_begin;
    m_begin = 0;
  }
  if (m_end == m_cap) return false;
  const std::size_t k =
      read_source(m_owned.get() + m_end, std::min(m_options.chunk_size, m_cap - m_end));
  if (m_error) return false;
  if (k == 0) {
    m_eof = true;
    return false;
  }
  m_end += k;
  return true;
}

bool Reader::ensure(std::size_t n) {
  while (m_end - m_begin < n)
    if (!fill()) return false;
  return true;
}

const Segment* Reader::fail_with(ErrorCode code, std::uint64_t offset, std::string reason,
                                 std::string_view id) {
  Error e;
  e.code = code;
  e.segment_position = m_position;
  e.byte_offset = offset;
  e.segment_id = std::string(id.substr(0, 3));
  e.reason = std::move(reason);
  m_error = std::move(e);
  return nullptr;
}

const Segment* Reader::make_segment(std::size_t begin, std::size_t end) {
  std::string_view text(m_buf + begin, end - begin);
  if (m_delimiters.segment == '\n' && !text.empty() && text.back() == '\r') text.remove_suffix(1);
  ++m_position;
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    const auto at = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
    return fail_with(ErrorCode::invalid_content, m_base + begin + at,
                     "NUL byte at byte " + std::to_string(m_base + begin + at) + " in segment " +
                         std::to_string(m_position),
                     text.substr(0, std::min<std::size_t>(at, 3)));
  }
  m_segment = split_segment(text, m_delimiters, m_starts, m_position, m_base + begin);
  return &m_segment;
}

std::size_t Reader::scan(std::size_t from, std::size_t to, bool& nul) {
  const char* const p = m_buf + m_begin;
  const char element = m_delimiters.element;
  const char terminator = m_delimiters.segment;
  std::size_t i = from;
#if defined(__SSE2__)
  // 16 bytes at a time: a segment's elements are a few bytes each, and a call to memchr for
  // each cost more than the search.
  const __m128i elements = _mm_set1_epi8(element);
  const __m128i terminators = _mm_set1_epi8(terminator);
  const __m128i nuls = _mm_setzero_si128();
  for (; i + 16 <= to; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto e = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, elements)));
    const auto t = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, terminators)));
    auto z = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nuls)));
    if (t != 0) {
      const unsigned before = (1u << std::countr_zero(t)) - 1;
      e &= before;
      z &= before;
    }
    for (; e != 0; e &= e - 1)
      m_starts.push_back(static_cast<std::uint32_t>(i + std::countr_zero(e) + 1));
    if (z != 0) nul = true;
    if (t != 0) return i + std::countr_zero(t);
  }
#endif
  for (; i < to; ++i) {
    const char c = p[i];
    if (c == terminator) return i;
    if (c == element)
      m_starts.push_back(static_cast<std::uint32_t>(i + 1));
    else if (c == '\0')
      nul = true;
  }
  return std::string_view::npos;
}

bool Reader::reserve(std::size_t n) {
  if (m_kind == Kind::memory || n <= m_cap) return true;
  // One BIN segment larger than the buffer: grow it to hold the segment whole (bounded by
  // max_binary_length, which the caller checked).
  const std::size_t cap = n + m_options.chunk_size + 2;
  auto grown = std::make_unique_for_overwrite<char[]>(cap);
  std::memcpy(grown.get(), m_buf + m_begin, m_end - m_begin);
  m_base += m_begin;
  m_end -= m_begin;
  m_begin = 0;
  m_owned = std::move(grown);
  m_buf = m_owned.get();
  m_cap = cap;
  return true;
}

const Segment* Reader::read_bin() {
  constexpr std::size_t k_max_digits = 15;  // BIN01 is N0 1/15
  constexpr std::size_t k_id = 4;           // "BIN" and the element separator
  const std::uint64_t at = m_base + m_begin;
  ++m_position;
  const std::string where =
      "segment " + std::to_string(m_position) + " (BIN) at byte " + std::to_string(at);
  ensure(k_id + k_max_digits + 1);  // may fall short at the end of the input
  if (m_error) return nullptr;
  const std::size_t avail = m_end - m_begin;
  std::size_t digits = 0;
  std::uint64_t length = 0;
  while (k_id + digits < avail && digits <= k_max_digits) {
    const char c = m_buf[m_begin + k_id + digits];
    if (c < '0' || c > '9') break;
    length = length * 10 + static_cast<std::uint64_t>(c - '0');
    ++digits;
  }
  const bool separated =
      k_id + digits < avail && m_buf[m_begin + k_id + digits] == m_delimiters.element;
  if (digits == 0 || digits > k_max_digits || !separated) {
    return fail_with(ErrorCode::invalid_content, at + k_id,
                     where +
                         ": BIN01 must be the length of the binary data in bytes, 1 to 15 "
                         "digits followed by the element separator " +
                         printable(m_delimiters.element),
                     "BIN");
  }
  if (length > m_options.max_binary_length) {
    return fail_with(ErrorCode::segment_too_long, at + k_id,
                     where + ": BIN01 says " + std::to_string(length) +
                         " bytes of binary data; the limit is " +
                         std::to_string(m_options.max_binary_length) + " bytes",
                     "BIN");
  }
  const std::size_t header = k_id + digits + 1;
  const std::size_t total = header + static_cast<std::size_t>(length) + 1;
  reserve(total);
  if (!ensure(total)) {
    if (m_error) return nullptr;
    const std::size_t left = m_end - m_begin - std::min(m_end - m_begin, header);
    return fail_with(ErrorCode::invalid_content, at + k_id,
                     where + ": BIN01 says " + std::to_string(length) +
                         " bytes of binary data but the input holds " + std::to_string(left) +
                         " more bytes (with the segment terminator)",
                     "BIN");
  }
  if (m_buf[m_begin + total - 1] != m_delimiters.segment) {
    return fail_with(ErrorCode::invalid_content, at + total - 1,
                     where + ": the " + std::to_string(length) +
                         " bytes BIN01 announces are not followed by the segment terminator " +
                         printable(m_delimiters.segment) + " (BIN01 does not match the data)",
                     "BIN");
  }
  const std::string_view text(m_buf + m_begin, total - 1);
  m_starts.clear();
  m_starts.push_back(0);
  m_starts.push_back(static_cast<std::uint32_t>(k_id));
  m_starts.push_back(static_cast<std::uint32_t>(header));
  m_segment = Segment(text, m_starts, m_delimiters, m_position, at);
  m_begin += total;
  return &m_segment;
}

const Segment* Reader::read_isa() {
  const std::uint64_t at = m_base + m_begin;
  if (!ensure(k_isa_length)) {
    if (m_error) return nullptr;
    m_position = m_position + 1;
    return fail_with(ErrorCode::isa_malformed, at,
                     "the input ends " + std::to_string(m_end - m_begin) +
                         " bytes into the ISA, which is 106 characters long",
                     "ISA");
  }
  const char* isa = m_buf + m_begin;
  const char sep = isa[3];
  // A new interchange restarts the segment count.
  m_position = 0;
  for (std::size_t k : k_isa_separators) {
    if (isa[k] != sep) {
      m_position = 1;
      return fail_with(ErrorCode::isa_malformed, at,
                       "the ISA is not fixed-width: character " + std::to_string(k + 1) +
                           " should be the element separator " + printable(sep) + " but is " +
                           printable(isa[k]),
                       "ISA");
    }
  }
  const Delimiters d{sep, isa[82], isa[104], isa[105]};
  if (!delimiters_valid(d)) {
    m_position = 1;
    return fail_with(ErrorCode::bad_delimiters, at,
                     "the ISA's delimiters (element " + printable(d.element) + ", repetition " +
                         printable(d.repetition) + ", component " + printable(d.component) +
                         ", terminator " + printable(d.segment) +
                         ") must be distinct and neither letters, digits nor spaces",
                     "ISA");
  }
  m_delimiters = d;
  m_seen_isa = true;
  const std::size_t begin = m_begin;
  m_begin += k_isa_length;
  return make_segment(begin, begin + k_isa_length - 1);
}

const Segment* Reader::next() {
  if (m_error) return nullptr;
  for (;;) {
    if (m_begin == m_end && !fill()) {
      if (m_error) return nullptr;
      if (!m_seen_isa)
        return fail_with(ErrorCode::isa_malformed, m_base + m_begin, "the input holds no ISA");
      return nullptr;
    }
    const char c = m_buf[m_begin];
    if (c == '\r' || c == '\n') {
      ++m_begin;
      continue;
    }
    if (!m_seen_isa && static_cast<unsigned char>(c) == 0xEF && ensure(3) &&
        std::memcmp(m_buf + m_begin, "\xEF\xBB\xBF", 3) == 0) {
      m_begin += 3;
      continue;
    }
    break;
  }
  if (m_error) return nullptr;
  if (ensure(4) && std::memcmp(m_buf + m_begin, "ISA", 3) == 0 && !is_alnum(m_buf[m_begin + 3]))
    return read_isa();
  if (m_error) return nullptr;
  if (!m_seen_isa) {
    return fail_with(ErrorCode::isa_malformed, m_base + m_begin,
                     "the input does not start with an ISA segment");
  }
  // Only "BIN" and the element separator leave the terminator scan below: its data may hold
  // the terminator.
  if (m_buf[m_begin] == 'B' && m_end - m_begin >= 4 && m_buf[m_begin + 1] == 'I' &&
      m_buf[m_begin + 2] == 'N' && m_buf[m_begin + 3] == m_delimiters.element)
    return read_bin();
  // The terminator is looked for and the elements split in one pass, but for an LF terminator
  // (a CR before it is cut off before splitting: make_segment()) and a segment holding a NUL
  // byte (make_segment() names it).
  const bool split = m_delimiters.segment != '\n';
  if (split) {
    m_starts.clear();
    m_starts.push_back(0);
  }
  bool nul = false;
  std::size_t scanned = 0;  // relative to m_begin, which fill() may move
  for (;;) {
    if (split) {
      // No further than one byte past the longest segment: a longer one is an error anyway.
      const std::size_t to = std::min(m_end - m_begin, m_options.max_segment_length + 1);
      if (const std::size_t at = scan(scanned, to, nul); at != std::string_view::npos) {
        const std::size_t begin = m_begin;
        m_begin = begin + at + 1;
        if (nul) return make_segment(begin, begin + at);
        ++m_position;
        m_segment = Segment(std::string_view(m_buf + begin, at), m_starts, m_delimiters, m_position,
                            m_base + begin);
        return &m_segment;
      }
    } else {
      const char* from = m_buf + m_begin + scanned;
      const std::size_t avail = m_end - m_begin - scanned;
      if (const void* hit = std::memchr(from, m_delimiters.segment, avail)) {
        const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(hit) - m_buf);
        if (end - m_begin > m_options.max_segment_length) break;
        const std::size_t begin = m_begin;
        m_begin = end + 1;
        return make_segment(begin, end);
      }
    }
    scanned = m_end - m_begin;
    if (scanned > m_options.max_segment_length) break;
    if (!fill()) {
      if (m_error) return nullptr;
      const std::string_view rest(m_buf + m_begin, m_end - m_begin);
      if (rest.find_first_not_of(" \t\r\n") == std::string_view::npos) return nullptr;
      ++m_position;
      return fail_with(ErrorCode::invalid_content, m_base + m_begin,
                       "the input ends inside segment " + std::to_string(m_position) +
                           ": no segment terminator " + printable(m_delimiters.segment) +
                           " after byte " + std::to_string(m_base + m_begin),
                       rest.substr(0, std::min<std::size_t>(rest.find(m_delimiters.element), 3)));
    }
  }
  ++m_position;
  const std::string_view head(m_buf + m_begin, std::min<std::size_t>(m_end - m_begin, 3));
  return fail_with(ErrorCode::segment_too_long, m_base + m_begin,
                   "segment " + std::to_string(m_position) + " at byte " +
                       std::to_string(m_base + m_begin) + " is longer than " +
                       std::to_string(m_options.max_segment_length) +
                       " bytes without a terminator " + printable(m_delimiters.segment),
                   head.substr(0, head.find(m_delimiters.element)));
}

}  // namespace x12
