// The X12 character sets: basic (upper case, digits, space, some punctuation) and extended
// (adds lower case and more punctuation). Sources: the 5010 guides' appendix A, stupidedi's
// reader.rb (see docs in /work/shared/interop/CORE-X12.md).
#pragma once

#include <array>
#include <string_view>

namespace x12 {

enum class Charset : unsigned char { basic, extended };

namespace detail {
constexpr std::array<unsigned char, 256> make_charset_table() {
  std::array<unsigned char, 256> t{};
  for (char c = 'A'; c <= 'Z'; ++c) t[static_cast<unsigned char>(c)] = 1;
  for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = 1;
  for (char c : std::string_view(" !\"&'()*+,-./:;?=")) t[static_cast<unsigned char>(c)] = 1;
  for (char c = 'a'; c <= 'z'; ++c) t[static_cast<unsigned char>(c)] = 2;
  for (char c : std::string_view("%@[]_{}\\|<>~^#$`")) t[static_cast<unsigned char>(c)] = 2;
  return t;
}
inline constexpr std::array<unsigned char, 256> k_charset_table = make_charset_table();
}  // namespace detail

// True when `c` belongs to `set` (delimiters are checked separately by the callers).
constexpr bool in_charset(char c, Charset set) {
  const unsigned char k = detail::k_charset_table[static_cast<unsigned char>(c)];
  return k != 0 && (set == Charset::extended || k == 1);
}

}  // namespace x12
