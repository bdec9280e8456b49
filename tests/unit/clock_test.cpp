#include <gtest/gtest.h>

#include "portal/util/clock.hpp"

using namespace portal;

TEST(Iso8601, ParsesUtcOffsetsAndDates) {
  auto z = parse_iso8601("2026-03-08T18:30:00Z");
  ASSERT_TRUE(z);
  EXPECT_EQ(format_iso8601(*z), "2026-03-08T18:30:00Z");
  EXPECT_EQ(parse_iso8601("2026-03-08T12:30:00-06:00"), z);
  EXPECT_EQ(parse_iso8601("2026-03-08T23:30:00+0500"), z);
  EXPECT_EQ(parse_iso8601("2026-03-08 18:30:00.250Z"), z);
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-03-08")), "2026-03-08T00:00:00Z");
}

TEST(Iso8601, RefusesMalformed) {
  for (const char* bad : {"", "2026-3-8", "2026-02-30T00:00:00Z", "2026-03-08T25:00:00Z",
                          "2026-03-08T18:30:00", "2026-03-08T18:30:00Zjunk", "yesterday"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

TEST(Duration, ParsesUnitsAndSigns) {
  EXPECT_EQ(parse_duration("16m")->count(), 960);
  EXPECT_EQ(parse_duration("46d")->count(), 46 * 86400);
  EXPECT_EQ(parse_duration("1d12h")->count(), 36 * 3600);
  EXPECT_EQ(parse_duration("-5m")->count(), -300);
  EXPECT_EQ(parse_duration("90s")->count(), 90);
  EXPECT_FALSE(parse_duration("16"));
  EXPECT_FALSE(parse_duration("m"));
  EXPECT_FALSE(parse_duration("5x"));
}

TEST(Duration, RefusesMoreThanAThousandYearsInsteadOfOverflowing) {
  EXPECT_EQ(parse_duration("52000w")->count(), 52000LL * 7 * 86400);
  EXPECT_FALSE(parse_duration("9223372036854775807w"));  // n * unit would overflow
  EXPECT_FALSE(parse_duration("9000000000000000000s"));  // fits, but not as milliseconds
  EXPECT_FALSE(parse_duration("366000d1d"));             // the sum goes past the bound
  EXPECT_FALSE(parse_duration("-9223372036854775807w"));
}

TEST(Date, ValidatesCalendar) {
  EXPECT_TRUE(parse_date("2024-02-29"));
  EXPECT_FALSE(parse_date("2025-02-29"));
  EXPECT_FALSE(parse_date("2025-13-01"));
  EXPECT_FALSE(parse_date("2025-1-01"));
}
