#include "portal/output/json_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace portal::output {

namespace {

// What each byte becomes in a JSON string, as Boost.JSON's serializer writes it: 0 for itself,
// the letter of a two-character escape (\" \\ \b \f \n \r \t), or 'u' for \u00XX. Bytes from
// 0x7F up are written as they are.
constexpr std::array<char, 256> k_escapes = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

// True when none of the eight bytes of `w` needs escaping (each is at least 0x20, and neither
// '"' nor '\\'): a word at a time, as most values are plain.
constexpr bool plain_word(std::uint64_t w) {
  constexpr std::uint64_t k_ones = 0x0101010101010101ULL, k_highs = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t v) { return (v - k_ones) & ~v & k_highs; };
  const std::uint64_t below_space = (w - k_ones * 0x20) & ~w & k_highs;
  return (below_space | has_zero(w ^ (k_ones * '"')) | has_zero(w ^ (k_ones * '\\'))) == 0;
}

}  // namespace

void JsonText::grow(std::size_t n) {
  const std::size_t capacity = std::max({m_capacity * 2, m_size + n, std::size_t{64} << 10});
  std::unique_ptr<char[]> data(new char[capacity]);
  if (m_size) std::memcpy(data.get(), m_data.get(), m_size);
  m_data = std::move(data);
  m_capacity = capacity;
}

void JsonText::string(std::string_view text) {
  // The worst case: every byte a \u00XX.
  reserve(text.size() * 6 + 3);
  char* p = tail();
  if (m_comma) *p++ = ',';
  *p++ = '"';
  static constexpr char k_hex[] = "0123456789abcdef";
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    if (!plain_word(w)) break;
    std::memcpy(p, &w, 8);
    p += 8;
  }
  for (; i < text.size(); ++i) {
    const char ch = text[i];
    const auto u = static_cast<unsigned char>(ch);
    const char e = k_escapes[u];
    if (e == 0) {
      *p++ = ch;
    } else if (e != 'u') {
      *p++ = '\\';
      *p++ = e;
    } else {
      std::memcpy(p, "\\u00", 4);
      p[4] = k_hex[u >> 4];
      p[5] = k_hex[u & 15];
      p += 6;
    }
  }
  *p++ = '"';
  m_size = static_cast<std::size_t>(p - m_data.get());
  m_comma = true;
}

void JsonText::integer(long long n) {
  reserve(24);
  char* p = tail();
  if (m_comma) *p++ = ',';
  p = std::to_chars(p, p + 21, n).ptr;
  m_size = static_cast<std::size_t>(p - m_data.get());
  m_comma = true;
}

}  // namespace portal::output
