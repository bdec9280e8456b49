#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "portal/auth/totp.hpp"
#include "portal/auth/totp_steps.hpp"
#include "temp_dir.hpp"

using namespace portal;
using namespace portal::auth;
namespace fs = std::filesystem;

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

// ---- spent steps ------------------------------------------------------------------------------

TEST(TotpSteps, ChoosesThisStepUnlessSpentThenTheNextWithinReachOrWaits) {
  const SysTime t{std::chrono::seconds{1'000'000'040}};  // 20 s into step 33333334
  const std::uint64_t now = 33'333'334;
  ASSERT_EQ(totp_step(t), now);
  auto fresh = choose_totp_step(t, std::nullopt);
  EXPECT_EQ(fresh.step, now);
  EXPECT_EQ(fresh.wait.count(), 0);
  EXPECT_EQ(choose_totp_step(t, now - 1).step, now);  // an older step spent: no matter
  // This step spent (an enrolment a moment ago): the next one, which the portal accepts now.
  auto next = choose_totp_step(t, now);
  EXPECT_EQ(next.step, now + 1);
  EXPECT_EQ(next.wait.count(), 0);
  // The next one spent too: the one after, once the portal's clock reaches the next step (10 s).
  auto later = choose_totp_step(t, now + 1);
  EXPECT_EQ(later.step, now + 2);
  EXPECT_EQ(later.wait.count(), 10);
  // Spent further ahead than the portal's clock can be (it was set back): no wait of minutes.
  auto behind = choose_totp_step(t, now + 40);
  EXPECT_EQ(behind.step, now);
  EXPECT_EQ(behind.wait.count(), 0);
}

TEST(TotpSteps, MemoryKeepsTheHighestStepPerSecretWithoutTheSecret) {
  test::TempDir dir;
  TotpStepMemory memory(dir.path() / "sessions");
  const std::string a = "JBSWY3DPEHPK3PXP", b = "GEZDGNBVGY3TQOJQ";
  EXPECT_FALSE(memory.last(a));
  ASSERT_TRUE(memory.remember(a, 100));
  ASSERT_TRUE(memory.remember(a, 90));  // lower: kept as it was
  EXPECT_EQ(memory.last(a), 100u);
  EXPECT_EQ(memory.last("jbsw y3dp ehpk 3pxp"), 100u) << "the same secret spelled otherwise";
  EXPECT_FALSE(memory.last(b));
  auto file = memory.file_of(a);
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "100\n");
  EXPECT_EQ(file.filename().string().find(a), std::string::npos);
}

TEST(TotpSteps, TheCodeOfAStepIsTheCodeAtItsFirstSecond) {
  const std::string secret = "JBSWY3DPEHPK3PXP";
  EXPECT_EQ(totp_code_at_step(secret, 33'333'334),
            totp_code(secret, SysTime{std::chrono::seconds{33'333'334LL * 30}}));
  EXPECT_FALSE(totp_code_at_step("not base32!", 1));
}
