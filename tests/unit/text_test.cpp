#include <gtest/gtest.h>

#include <string>

#include "portal/util/text.hpp"

// A NUL or a byte above 0x7F at any position, in the eight-byte words or in the tail.
TEST(PlainAscii, SpotsNulAndHighBytesAnywhere) {
  EXPECT_TRUE(portal::is_plain_ascii(""));
  for (std::size_t size = 1; size <= 19; ++size) {
    const std::string clean(size, 'a');
    EXPECT_TRUE(portal::is_plain_ascii(clean)) << size;
    for (std::size_t at = 0; at < size; ++at) {
      for (char bad : {'\0', '\x80', '\xff', '\xc3'}) {
        std::string s = clean;
        s[at] = bad;
        EXPECT_FALSE(portal::is_plain_ascii(s)) << size << " " << at << " " << int(bad);
      }
      std::string edge = clean;
      edge[at] = '\x7f';
      EXPECT_TRUE(portal::is_plain_ascii(edge)) << size << " " << at;
      edge[at] = '\x01';
      EXPECT_TRUE(portal::is_plain_ascii(edge)) << size << " " << at;
    }
  }
}
