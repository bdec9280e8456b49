// Accounts on a sandbox Portal for the unit tests that need a signed-in user: the newest code
// mailed to the outbox, a user registered, approved and verified, and a sign-in with an emailed
// passcode. Shared by every sandbox test (one copy, not one per file).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/portal.hpp"

namespace portal::test {

inline const std::string k_sandbox_password = "violet kettle sunrise";

// Whether the instant `text` (RFC 3339) is `expected` or at most `slack` later. The sandbox's
// clock, once set, ticks with the machine's: a step that hashes passwords on a loaded machine
// may end a second or two after the instant the test set.
inline ::testing::AssertionResult at_or_just_after(
    const boost::json::value& text, const std::string& expected,
    std::chrono::seconds slack = std::chrono::seconds{10}) {
  auto want = parse_iso8601(expected);
  auto got = text.is_string() ? parse_iso8601(text.get_string()) : std::nullopt;
  if (got && want && *got >= *want && *got - *want <= slack) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << boost::json::serialize(text) << " is not " << expected << " or just after";
}

// The code in the newest outbox message of `purpose` ("verify-email", "login-passcode",
// "password-reset") under the Portal's data directory; "" when there is none.
inline std::string newest_code(const std::filesystem::path& data_dir, const std::string& purpose) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(data_dir / "outbox")) {
    if (e.path().filename().string().find(purpose) != std::string::npos) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return {};
  std::ifstream in(files.back());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::smatch m;
  std::regex_search(text, m, std::regex(R"(code(?: is)?: ([0-9]{6,8}))"));
  return m.size() > 1 ? m[1].str() : std::string();
}

// Who registers: a physician of the organisation with `npi` and its Tax ID on file.
struct Signup {
  std::string email;
  std::string first_name = "Pat";
  std::string npi = "1234567893";
  std::string tax_id = "36-1234567";
  std::string organization;  // when several organisations share the NPI
};

// Registers `who`, approves and verifies the account (each step EXPECTed to succeed).
inline void register_active(sandbox::Portal& portal, const std::filesystem::path& data_dir,
                            const Signup& who) {
  boost::json::object reg{{"provider_type", "physician"}, {"npi", who.npi},
                          {"tax_id", who.tax_id},         {"first_name", who.first_name},
                          {"last_name", "Doe"},           {"email", who.email},
                          {"phone", "312-555-0142"},      {"fax", "312-555-0143"},
                          {"accept_terms", true},         {"password", k_sandbox_password}};
  if (!who.organization.empty()) reg["organization_id"] = who.organization;
  auto registered = portal.accounts().register_account(reg);
  EXPECT_TRUE(registered) << (registered ? "" : registered.error().message);
  EXPECT_TRUE(portal.accounts().admin_action("approve", who.email));
  EXPECT_TRUE(portal.accounts().verify_email(
      {{"email", who.email}, {"code", newest_code(data_dir, "verify-email")}}));
}

// Signs `email` in with an emailed passcode: the session token ("" when a step failed, which
// the EXPECTs report).
inline std::string sign_in(sandbox::Portal& portal, const std::filesystem::path& data_dir,
                           const std::string& email) {
  auto l = portal.signin().login({{"email", email}, {"password", k_sandbox_password}});
  EXPECT_TRUE(l);
  if (!l) return {};
  std::string mfa(l->at("mfa_token").as_string());
  EXPECT_TRUE(portal.signin().mfa_email({{"mfa_token", mfa}}));
  auto s = portal.signin().mfa_verify(
      {{"mfa_token", mfa}, {"factor", "email"}, {"code", newest_code(data_dir, "login-passcode")}});
  EXPECT_TRUE(s);
  return s ? std::string(s->at("token").as_string()) : std::string();
}

}  // namespace portal::test
