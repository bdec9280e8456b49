#include "portal/util/clock.hpp"

#include <charconv>
#include <cstdio>

namespace portal {

namespace {

// Reads exactly `width` digits at text[pos]; advances pos.
bool read_digits(std::string_view text, std::size_t& pos, int width, int& out) {
  if (pos + width > text.size()) return false;
  int v = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += width;
  out = v;
  return true;
}

bool read_char(std::string_view text, std::size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

SysTime SystemClock::now() const {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view text) {
  std::size_t pos = 0;
  int y = 0, m = 0, d = 0;
  if (!read_digits(text, pos, 4, y) || !read_char(text, pos, '-') ||
      !read_digits(text, pos, 2, m) || !read_char(text, pos, '-') ||
      !read_digits(text, pos, 2, d) || pos != text.size()) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                  std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

std::optional<SysTime> parse_iso8601(std::string_view text) {
  if (text.size() < 10) return std::nullopt;
  auto date = parse_date(text.substr(0, 10));
  if (!date) return std::nullopt;
  SysTime t = std::chrono::sys_days{*date};
  if (text.size() == 10) return t;
  std::size_t pos = 10;
  if (!(read_char(text, pos, 'T') || read_char(text, pos, 't') || read_char(text, pos, ' '))) {
    return std::nullopt;
  }
  int hh = 0, mm = 0, ss = 0;
  if (!read_digits(text, pos, 2, hh) || !read_char(text, pos, ':') ||
      !read_digits(text, pos, 2, mm)) {
    return std::nullopt;
  }
  if (read_char(text, pos, ':') && !read_digits(text, pos, 2, ss)) return std::nullopt;
  if (read_char(text, pos, '.')) {  // fractional seconds are accepted and dropped
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  t += std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
  if (read_char(text, pos, 'Z') || read_char(text, pos, 'z')) {
    return pos == text.size() ? std::optional<SysTime>(t) : std::nullopt;
  }
  int sign = 0;
  if (read_char(text, pos, '+'))
    sign = 1;
  else if (read_char(text, pos, '-'))
    sign = -1;
  else
    return std::nullopt;
  int oh = 0, om = 0;
  if (!read_digits(text, pos, 2, oh)) return std::nullopt;
  read_char(text, pos, ':');
  if (!read_digits(text, pos, 2, om) || pos != text.size() || oh > 23 || om > 59)
    return std::nullopt;
  return t - sign * (std::chrono::hours{oh} + std::chrono::minutes{om});
}

std::string format_iso8601(SysTime t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss hms{t - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()));
  return buf;
}

namespace {
constexpr long long k_max_duration_seconds = 1000LL * 366 * 86400;
}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  std::size_t pos = 0;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    pos = 1;
  }
  if (pos == text.size()) return std::nullopt;
  long long total = 0;
  while (pos < text.size()) {
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
    if (ec != std::errc() || end == text.data() + pos || end == text.data() + text.size()) {
      return std::nullopt;
    }
    pos = static_cast<std::size_t>(end - text.data());
    long long unit = 0;
    switch (text[pos]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return std::nullopt;
    }
    ++pos;
    // Bounded, so that no sum or later conversion (to milliseconds, added to a time) overflows.
    if (n > k_max_duration_seconds / unit) return std::nullopt;
    total += n * unit;
    if (total > k_max_duration_seconds) return std::nullopt;
  }
  return std::chrono::seconds{negative ? -total : total};
}

}  // namespace portal
