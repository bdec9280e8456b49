#include <gtest/gtest.h>

#include "portal/log/log.hpp"

using portal::log::redact;

TEST(Redact, RegisteredSecretsAreReplacedEverywhere) {
  portal::log::register_secret("s3cret-Horse-77");
  EXPECT_EQ(redact("password is s3cret-Horse-77, again s3cret-Horse-77"),
            "password is [REDACTED], again [REDACTED]");
  portal::log::forget_secret("s3cret-Horse-77");
  EXPECT_EQ(redact("s3cret-Horse-77"), "s3cret-Horse-77");
}

TEST(Redact, LongestSecretWins) {
  portal::log::register_secret("abcd");
  portal::log::register_secret("abcdefgh");
  EXPECT_EQ(redact("x abcdefgh y"), "x [REDACTED] y");
  portal::log::forget_secret("abcd");
  portal::log::forget_secret("abcdefgh");
}

TEST(Redact, VeryShortSecretsAreIgnored) {
  portal::log::register_secret("ab");
  EXPECT_EQ(redact("about"), "about");
}

TEST(Redact, BearerTokens) {
  EXPECT_EQ(redact("Authorization: Bearer pps_abc-DEF_123.x"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(redact("bearer xyz"), "Bearer [REDACTED]");
}

TEST(Redact, SecretJsonMembers) {
  EXPECT_EQ(redact(R"({"email":"m@x.example","password":"hunter2 \"x\"","code":123456})"),
            R"({"email":"m@x.example","password":"[REDACTED]","code":"[REDACTED]"})");
  EXPECT_EQ(
      redact(R"({"mfa_token": "mfa_1", "new_password":"p", "password_change_token":"t"})"),
      R"({"mfa_token": "[REDACTED]", "new_password":"[REDACTED]", "password_change_token":"[REDACTED]"})");
  EXPECT_EQ(redact(R"({"token":"a","secret":"b","current_password":"c"})"),
            R"({"token":"[REDACTED]","secret":"[REDACTED]","current_password":"[REDACTED]"})");
}

TEST(Redact, PhiJsonMembers) {
  EXPECT_EQ(redact(R"({"member_id":"M123","date_of_birth":"1970-01-01","status":"active"})"),
            R"({"member_id":"[REDACTED]","date_of_birth":"[REDACTED]","status":"active"})");
}

TEST(Redact, LeavesOrdinaryTextAlone) {
  EXPECT_EQ(redact("HTTP POST /v1/auth/login -> 200 in 5 ms"),
            "HTTP POST /v1/auth/login -> 200 in 5 ms");
  EXPECT_EQ(redact(R"({"codes":"x","status":"ok"})"), R"({"codes":"x","status":"ok"})");
}

TEST(SafeTarget, HidesQueryValues) {
  EXPECT_EQ(portal::log::safe_target("/v1/organizations?npi=1234567893"),
            "/v1/organizations?npi=…");
  EXPECT_EQ(portal::log::safe_target("/v1/orders?member_id=M1&from=2026-01-01&flag"),
            "/v1/orders?member_id=…&from=…&flag");
  EXPECT_EQ(portal::log::safe_target("/v1/profile"), "/v1/profile");
}
