#include <gtest/gtest.h>

#include <string>

#include "portal/util/strings.hpp"

using portal::util::iequals;
using portal::util::lower;
using portal::util::trim;
using portal::util::upper;

// Only A-Z and a-z change case; digits, signs and UTF-8 bytes pass through as they are.
TEST(Strings, LowerAndUpperTouchAsciiLettersOnly) {
  EXPECT_EQ(lower("Content-Type: ABC xyz 09"), "content-type: abc xyz 09");
  EXPECT_EQ(upper("m123abc-Z"), "M123ABC-Z");
  EXPECT_EQ(lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // ÉTÉ: only the T changes
  EXPECT_EQ(upper("\xC3\xA9t\xC3\xA9"), "\xC3\xA9T\xC3\xA9");
  EXPECT_EQ(lower(""), "");
  EXPECT_EQ(upper(std::string("a\0b", 3)), std::string("A\0B", 3));
}

TEST(Strings, TrimTakesSpacesAndTabsFromBothEnds) {
  EXPECT_EQ(trim("  a b \t"), "a b");
  EXPECT_EQ(trim("\t\tx"), "x");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("\na\r"), "\na\r");  // line ends are content
  std::string_view text = " kept ";
  EXPECT_EQ(trim(text).data(), text.data() + 1);  // a view into the argument
}

TEST(Strings, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("abc", "abcd"));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));  // É and é differ outside ASCII
  EXPECT_FALSE(iequals("[", "{"));                // 0x5B vs 0x7B: not letters
}

TEST(Strings, HexWritesTwoDigitsPerByte) {
  EXPECT_EQ(portal::util::hex(std::string_view("\x00\x0f\xa5\xff", 4)), "000fa5ff");
  EXPECT_EQ(portal::util::hex(std::string_view("\x00\x0f\xa5\xff", 4), true), "000FA5FF");
  EXPECT_EQ(portal::util::hex(""), "");
}

TEST(Strings, PercentEncodeKeepsWhatThePredicateKeeps) {
  auto digits = [](unsigned char c) { return c >= '0' && c <= '9'; };
  EXPECT_EQ(portal::util::percent_encode("a1 %\xC3\xA9", digits), "%611%20%25%C3%A9");
  EXPECT_EQ(portal::util::percent_encode("", digits), "");
}
