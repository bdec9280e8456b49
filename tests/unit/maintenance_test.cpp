#include <gtest/gtest.h>

#include "portal/util/maintenance.hpp"

using namespace portal;

namespace {
SysTime at(const char* iso) { return *parse_iso8601(iso); }
}  // namespace

TEST(Maintenance, WinterWindowIsCstUtcMinus6) {
  // Sunday 2026-11-22: 12:30 CST = 18:30Z, 18:00 CST = 00:00Z Monday.
  EXPECT_FALSE(maintenance_window_end(at("2026-11-22T18:29:59Z")));
  ASSERT_TRUE(maintenance_window_end(at("2026-11-22T18:30:00Z")));
  EXPECT_EQ(*maintenance_window_end(at("2026-11-22T18:30:00Z")), at("2026-11-23T00:00:00Z"));
  EXPECT_TRUE(maintenance_window_end(at("2026-11-22T23:59:59Z")));
  EXPECT_FALSE(maintenance_window_end(at("2026-11-23T00:00:00Z")));
}

TEST(Maintenance, SummerWindowIsCdtUtcMinus5) {
  // Sunday 2026-07-12: 12:30 CDT = 17:30Z until 23:00Z.
  EXPECT_FALSE(maintenance_window_end(at("2026-07-12T17:29:59Z")));
  EXPECT_EQ(*maintenance_window_end(at("2026-07-12T17:30:00Z")), at("2026-07-12T23:00:00Z"));
  EXPECT_FALSE(maintenance_window_end(at("2026-07-12T23:00:00Z")));
}

TEST(Maintenance, DstStartSundayUsesCdt) {
  // 2026-03-08 is the second Sunday of March: DST began at 02:00, so the window is 17:30Z-23:00Z.
  EXPECT_EQ(chicago_utc_offset(at("2026-03-08T07:59:59Z")).count(), -6 * 3600);
  EXPECT_EQ(chicago_utc_offset(at("2026-03-08T08:00:00Z")).count(), -5 * 3600);
  EXPECT_FALSE(maintenance_window_end(at("2026-03-08T17:29:59Z")));
  EXPECT_TRUE(maintenance_window_end(at("2026-03-08T17:30:00Z")));
  EXPECT_FALSE(maintenance_window_end(at("2026-03-08T18:30:00Z")) == std::nullopt);
  EXPECT_FALSE(maintenance_window_end(at("2026-03-08T23:00:00Z")));
}

TEST(Maintenance, DstEndSundayUsesCst) {
  // 2026-11-01 is the first Sunday of November: back to CST at 02:00 CDT (07:00Z).
  EXPECT_EQ(chicago_utc_offset(at("2026-11-01T06:59:59Z")).count(), -5 * 3600);
  EXPECT_EQ(chicago_utc_offset(at("2026-11-01T07:00:00Z")).count(), -6 * 3600);
  EXPECT_FALSE(maintenance_window_end(at("2026-11-01T17:30:00Z")));  // 11:30 CST
  EXPECT_TRUE(maintenance_window_end(at("2026-11-01T18:30:00Z")));
  EXPECT_FALSE(maintenance_window_end(at("2026-11-02T00:00:00Z")));
}

TEST(Maintenance, OtherDaysAreNeverInTheWindow) {
  for (const char* t : {"2026-11-21T19:00:00Z", "2026-11-23T19:00:00Z", "2026-11-28T20:00:00Z"}) {
    EXPECT_FALSE(maintenance_window_end(at(t))) << t;
  }
}

TEST(Maintenance, NextStartAndDescription) {
  EXPECT_EQ(next_maintenance_start(at("2026-11-18T12:00:00Z")), at("2026-11-22T18:30:00Z"));
  EXPECT_EQ(next_maintenance_start(at("2026-11-22T19:00:00Z")), at("2026-11-22T18:30:00Z"));
  // Across the spring change: from CST Saturday to the CDT window of 2026-03-08.
  EXPECT_EQ(next_maintenance_start(at("2026-03-07T12:00:00Z")), at("2026-03-08T17:30:00Z"));
  EXPECT_EQ(describe_chicago_time(at("2026-11-23T00:00:00Z")), "18:00 CST (2026-11-23T00:00:00Z)");
  EXPECT_EQ(describe_chicago_time(at("2026-07-12T23:00:00Z")), "18:00 CDT (2026-07-12T23:00:00Z)");
}

TEST(Maintenance, ChicagoDateIsThePortalsToday) {
  // 23:30 UTC on a November Tuesday is 17:30 CST the same day; 05:30 UTC the next day is still
  // 23:30 CST the day before; in July (CDT) 04:59 UTC is 23:59 the day before, 05:00 the day.
  EXPECT_EQ(chicago_date(at("2026-11-17T23:30:00Z")), "2026-11-17");
  EXPECT_EQ(chicago_date(at("2026-11-18T05:30:00Z")), "2026-11-17");
  EXPECT_EQ(chicago_date(at("2026-11-18T06:00:00Z")), "2026-11-18");
  EXPECT_EQ(chicago_date(at("2026-07-04T04:59:00Z")), "2026-07-03");
  EXPECT_EQ(chicago_date(at("2026-07-04T05:00:00Z")), "2026-07-04");
}
