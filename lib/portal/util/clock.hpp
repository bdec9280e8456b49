// The one notion of "now" used wherever time matters, so tests and the sandbox can move it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portal/util/error.hpp"

namespace portal {

using SysTime = std::chrono::sys_seconds;

// A source of the current time. The sandbox implements it over its stored offset.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime now() const = 0;
};

// The machine's clock.
class SystemClock final : public Clock {
 public:
  SysTime now() const override;
};

// A clock that returns what it was set to (for unit tests).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(SysTime t) : m_now(t) {}
  SysTime now() const override { return m_now; }
  void set(SysTime t) { m_now = t; }
  void advance(std::chrono::seconds d) { m_now += d; }

 private:
  SysTime m_now;
};

// Parses RFC 3339 / ISO 8601 UTC or offset times: "2026-03-08T18:30:00Z",
// "2026-03-08T12:30:00-06:00", "2026-03-08 18:30:00Z", and a bare date "2026-03-08" (midnight UTC).
std::optional<SysTime> parse_iso8601(std::string_view text);

// Formats as "2026-03-08T18:30:00Z".
std::string format_iso8601(SysTime t);

// Parses a duration such as "90s", "16m", "2h", "46d", "1d12h", "-5m"; at most 1000 years
// either way (nullopt beyond).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// Parses "YYYY-MM-DD" into a calendar date, validating the day of the month.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);

}  // namespace portal
