#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "portal/auth/totp.hpp"

using namespace portal;
using namespace portal::auth;

namespace {
std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
}  // namespace

TEST(Hotp, Rfc4226AppendixDVectors) {
  const auto key = bytes("12345678901234567890");
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(hotp(key, i), expected[i]) << i;
}

TEST(Totp, Rfc6238AppendixBSha1Vectors) {
  const auto key = bytes("12345678901234567890");
  struct Case {
    long long t;
    const char* code;
  } cases[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
               {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000LL, "65353130"}};
  for (const auto& c : cases) {
    SysTime t{std::chrono::seconds{c.t}};
    EXPECT_EQ(hotp(key, totp_step(t), 8), c.code) << c.t;
  }
}

TEST(Totp, CodeFromBase32Secret) {
  // "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" is Base32 of "12345678901234567890".
  SysTime t{std::chrono::seconds{59}};
  EXPECT_EQ(totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", t), "287082");
  EXPECT_EQ(totp_code("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", t), "287082");
  EXPECT_FALSE(totp_code("not base32!", t).has_value());
}

TEST(Base32, RoundTripsAndMatchesRfc4648) {
  EXPECT_EQ(base32_encode(bytes("foobar")), "MZXW6YTBOI");
  EXPECT_EQ(base32_encode(bytes("f")), "MY");
  auto decoded = base32_decode("MZXW6YTBOI======");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::string(decoded->begin(), decoded->end()), "foobar");
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(base32_decode(base32_encode(all)), all);
}

TEST(Totp, NewSecretIs160BitsAndUriNamesIssuer) {
  auto secret = new_totp_secret();
  EXPECT_EQ(secret.size(), 32u);
  EXPECT_EQ(base32_decode(secret)->size(), 20u);
  EXPECT_NE(secret, new_totp_secret());
  auto uri = otpauth_uri(secret, "jane@clinic.example");
  EXPECT_EQ(uri.rfind("otpauth://totp/provportal:jane%40clinic.example?secret=" + secret, 0), 0u);
  EXPECT_NE(uri.find("issuer=provportal"), std::string::npos);
}
