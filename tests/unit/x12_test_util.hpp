// Helpers shared by the x12 unit tests: test data files and envelopes around a body.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace x12::test {

// The bytes of tests/data/x12/NAME.
inline std::string read_data(std::string_view name) {
  std::ifstream in(std::string(PORTAL_TEST_DATA_DIR) + "/x12/" + std::string(name),
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fixed-width ISA with control number 000000001 and the default delimiters.
inline constexpr std::string_view k_isa =
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*"
    "000000001*0*T*:~";

}  // namespace x12::test
