// The portal's weekly maintenance window: Sunday 12:30–18:00 in America/Chicago (CST or CDT).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "portal/util/clock.hpp"

namespace portal {

// The UTC offset of America/Chicago at instant t: -5 h during US daylight time (from the second
// Sunday of March 02:00 local to the first Sunday of November 02:00 local, the rule since 2007),
// otherwise -6 h.
std::chrono::seconds chicago_utc_offset(SysTime t);

// The date in America/Chicago at instant t, YYYY-MM-DD: the portal's "today".
std::string chicago_date(SysTime t);

// "CST" or "CDT" at instant t.
const char* chicago_zone_abbrev(SysTime t);

// When t falls inside a maintenance window, the instant that window ends; otherwise nullopt.
std::optional<SysTime> maintenance_window_end(SysTime t);

// The start of the next window at or after t (the current one's start if t is inside one).
SysTime next_maintenance_start(SysTime t);

// "18:00 CST (2026-11-29T00:00:00Z)": a window end as people in Chicago read it, plus UTC.
std::string describe_chicago_time(SysTime t);

}  // namespace portal
