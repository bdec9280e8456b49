// Small text helpers shared by the codec's sources (not part of the public API).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace x12::detail {

inline bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// The value of 1-18 decimal digits, else nullopt.
inline std::optional<std::uint64_t> parse_uint(std::string_view s) {
  if (!all_digits(s) || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

// `s` cut to 80 characters (IK404's width), for error values.
inline std::string clip(std::string_view s) { return std::string(s.substr(0, 80)); }

// A valid CCYYMMDD date.
inline bool valid_date8(std::string_view s) {
  if (s.size() != 8 || !all_digits(s)) return false;
  const int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  const int m = (s[4] - '0') * 10 + (s[5] - '0');
  const int d = (s[6] - '0') * 10 + (s[7] - '0');
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= k_days[m - 1] + (m == 2 && leap ? 1 : 0);
}

// A valid HHMM, HHMMSS or HHMMSSd..d time.
inline bool valid_time(std::string_view s) {
  if (s.size() < 4 || s.size() > 8 || !all_digits(s) || s.size() == 5) return false;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[2] - '0') * 10 + (s[3] - '0');
  if (h > 23 || m > 59) return false;
  return s.size() < 6 || (s[4] - '0') * 10 + (s[5] - '0') <= 59;
}

}  // namespace x12::detail
