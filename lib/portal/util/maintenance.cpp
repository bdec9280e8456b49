#include "portal/util/maintenance.hpp"

#include <cstdio>

namespace portal {

namespace {

using namespace std::chrono;

// The n-th Sunday (1-based) of a month, as a day.
sys_days nth_sunday(year y, month m, unsigned n) {
  return sys_days{year_month_weekday{y, m, weekday_indexed{Sunday, n}}};
}

constexpr auto k_window_start = hours{12} + minutes{30};
constexpr auto k_window_end = hours{18};

}  // namespace

seconds chicago_utc_offset(SysTime t) {
  // DST begins 02:00 CST (08:00 UTC) on the second Sunday of March and ends 02:00 CDT
  // (07:00 UTC) on the first Sunday of November.
  year y = year_month_day{floor<days>(t)}.year();
  SysTime dst_start = nth_sunday(y, March, 2) + hours{8};
  SysTime dst_end = nth_sunday(y, November, 1) + hours{7};
  return (t >= dst_start && t < dst_end) ? hours{-5} : hours{-6};
}

const char* chicago_zone_abbrev(SysTime t) {
  return chicago_utc_offset(t) == hours{-5} ? "CDT" : "CST";
}

std::optional<SysTime> maintenance_window_end(SysTime t) {
  // Local wall time; the window never spans a DST change (those happen at 02:00).
  local_seconds local{t.time_since_epoch() + chicago_utc_offset(t)};
  auto local_day = floor<days>(local);
  if (weekday{local_day} != Sunday) return std::nullopt;
  auto since_midnight = local - local_day;
  if (since_midnight < k_window_start || since_midnight >= k_window_end) return std::nullopt;
  auto end_local = local_day + k_window_end;
  return SysTime{end_local.time_since_epoch() - chicago_utc_offset(t)};
}

SysTime next_maintenance_start(SysTime t) {
  if (auto end = maintenance_window_end(t)) {
    return *end - (k_window_end - k_window_start);
  }
  local_seconds local{t.time_since_epoch() + chicago_utc_offset(t)};
  auto local_day = floor<days>(local);
  for (int i = 0; i < 8; ++i) {
    auto day = local_day + days{i};
    if (weekday{day} != Sunday) continue;
    auto start_local = day + k_window_start;
    // The offset at the start of that window (DST may differ from today's).
    SysTime guess{start_local.time_since_epoch() - chicago_utc_offset(t)};
    SysTime start{start_local.time_since_epoch() - chicago_utc_offset(guess)};
    if (start >= t) return start;
  }
  return t;  // unreachable: a Sunday is always within eight days
}

std::string chicago_date(SysTime t) {
  std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(t + chicago_utc_offset(t))};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

std::string describe_chicago_time(SysTime t) {
  local_seconds local{t.time_since_epoch() + chicago_utc_offset(t)};
  auto day = floor<days>(local);
  hh_mm_ss hms{local - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld %s", long(hms.hours().count()),
                long(hms.minutes().count()), chicago_zone_abbrev(t));
  return std::string(buf) + " (" + format_iso8601(t) + ")";
}

}  // namespace portal
