// Byte-level tests on text that batch rows run for every cell.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace portal {

// True when `s` has no NUL byte and no byte above 0x7F: such text is valid UTF-8 with one
// character per byte. Tested eight bytes at a time.
inline bool is_plain_ascii(std::string_view s) {
  constexpr std::uint64_t k_ones = 0x0101010101010101ull;
  constexpr std::uint64_t k_highs = 0x8080808080808080ull;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    const std::uint64_t zero_bytes = (word - k_ones) & ~word & k_highs;
    if ((word & k_highs) | zero_bytes) return false;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0 || c > 0x7F) return false;
  }
  return true;
}

}  // namespace portal
