// The account rules of the sandbox, driven through Portal with a moved clock.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/json.hpp>

#include "portal/auth/totp.hpp"
#include "portal/util/crypto.hpp"
#include "sandbox/portal.hpp"
#include "sandbox_accounts.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

class PortalRules : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("portal-rules-" + random_token(6));
    m_portal = std::make_unique<Portal>(m_dir);
    m_portal->load_seed(PORTAL_TEST_DATA_DIR "/../../examples/sandbox");
    // A Tuesday, far from any maintenance window.
    m_portal->clock_set(*parse_iso8601("2026-11-17T15:00:00Z"));
  }
  void TearDown() override { fs::remove_all(m_dir); }

  json::object registration(const std::string& email) {
    return {{"provider_type", "physician"}, {"npi", "1234567893"},   {"tax_id", "36-1234567"},
            {"first_name", "Jane"},         {"last_name", "Doe"},    {"email", email},
            {"phone", "312-555-0142"},      {"fax", "312-555-0143"}, {"accept_terms", true},
            {"password", m_password}};
  }

  // The newest code of the given purpose in the outbox.
  std::string newest_code(const std::string& purpose) { return test::newest_code(m_dir, purpose); }

  std::string active_account(const std::string& email) {
    EXPECT_TRUE(m_portal->accounts().register_account(registration(email)));
    EXPECT_TRUE(m_portal->accounts().admin_action("approve", email));
    auto v = m_portal->accounts().verify_email(
        {{"email", email}, {"code", newest_code("verify-email")}});
    EXPECT_TRUE(v) << (v ? "" : v.error().message);
    return email;
  }

  ApiResult<json::object> login_with_email_code(const std::string& email,
                                                const std::string& password) {
    auto l = m_portal->signin().login({{"email", email}, {"password", password}});
    if (!l) return l;
    std::string token(l->at("mfa_token").as_string());
    if (!m_portal->signin().mfa_email({{"mfa_token", token}}))
      return tl::unexpected(ApiError{500, "x", "x", {}});
    return m_portal->signin().mfa_verify(
        {{"mfa_token", token}, {"factor", "email"}, {"code", newest_code("login-passcode")}});
  }

  fs::path m_dir;
  std::unique_ptr<Portal> m_portal;
  std::string m_password = "violet kettle sunrise";
};

TEST_F(PortalRules, RegistrationIsPendingUntilApprovedAndVerified) {
  auto r = m_portal->accounts().register_account(registration("jane@clinic.example"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("status"), "pending_review");
  EXPECT_EQ(r->at("organization").at("id"), "org_lakeshore");
  auto l = m_portal->signin().login({{"email", "jane@clinic.example"}, {"password", m_password}});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, "account_pending_review");
  ASSERT_TRUE(m_portal->accounts().admin_action("approve", "jane@clinic.example"));
  l = m_portal->signin().login({{"email", "jane@clinic.example"}, {"password", m_password}});
  EXPECT_EQ(l.error().code, "email_not_verified");
  EXPECT_FALSE(
      m_portal->accounts().verify_email({{"email", "jane@clinic.example"}, {"code", "00000000"}}));
  ASSERT_TRUE(m_portal->accounts().verify_email(
      {{"email", "jane@clinic.example"}, {"code", newest_code("verify-email")}}));
  EXPECT_TRUE(login_with_email_code("jane@clinic.example", m_password));
}

TEST_F(PortalRules, DuplicateEmailBadNpiAndWeakPasswordAreRefused) {
  active_account("jane@clinic.example");
  auto dup = m_portal->accounts().register_account(registration("JANE@clinic.example"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "email_taken");
  auto bad = registration("other@clinic.example");
  bad["npi"] = "1234567890";
  auto r = m_portal->accounts().register_account(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "validation_failed");
  auto weak = registration("weak@clinic.example");
  weak["password"] = "password1";
  EXPECT_EQ(m_portal->accounts().register_account(weak).error().code, "password_rejected");
  auto no_tin = registration("staff@clinic.example");
  no_tin.erase("tax_id");
  EXPECT_EQ(m_portal->accounts().register_account(no_tin).error().code, "validation_failed");
  no_tin["provider_type"] = "office_staff";
  EXPECT_TRUE(m_portal->accounts().register_account(no_tin));
}

TEST_F(PortalRules, SeveralOrganisationsNeedAChoice) {
  auto body = registration("cardio@clinic.example");
  body["npi"] = "1679576722";
  auto r = m_portal->accounts().register_account(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "organization_choice_required");
  EXPECT_EQ(r.error().extra.at("organizations").as_array().size(), 2u);
  body["organization_id"] = "org_riverside_cardio_north";
  // The Tax ID must be the chosen organisation's (this one was Lakeshore's).
  auto mismatch = m_portal->accounts().register_account(body);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, "tax_id_mismatch");
  EXPECT_EQ(mismatch.error().message.find("36"), std::string::npos);
  body["tax_id"] = "39-2468136";
  EXPECT_TRUE(m_portal->accounts().register_account(body));
}

TEST_F(PortalRules, AnNpiWithNoOrganisationOnFileIsRefused) {
  auto body = registration("unknown@clinic.example");
  body["npi"] = "1987654328";
  auto r = m_portal->accounts().register_account(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "organization_not_found");
  EXPECT_EQ(r.error().status, 404);
  EXPECT_NE(r.error().message.find("call the health plan"), std::string::npos);
}

TEST_F(PortalRules, FiveFailuresLockForFifteenMinutesEvenForTheRightPassword) {
  active_account("jane@clinic.example");
  for (int i = 1; i <= 4; ++i) {
    auto l = m_portal->signin().login(
        {{"email", "jane@clinic.example"}, {"password", "wrong password " + std::to_string(i)}});
    EXPECT_EQ(l.error().code, "invalid_credentials");
  }
  auto fifth = m_portal->signin().login(
      {{"email", "jane@clinic.example"}, {"password", "wrong password 5"}});
  EXPECT_EQ(fifth.error().code, "account_locked");
  EXPECT_TRUE(
      test::at_or_just_after(fifth.error().extra.at("locked_until"), "2026-11-17T15:15:00Z"));
  EXPECT_EQ(m_portal->signin()
                .login({{"email", "jane@clinic.example"}, {"password", m_password}})
                .error()
                .code,
            "account_locked");
  m_portal->clock_advance(std::chrono::minutes{14});
  EXPECT_EQ(m_portal->signin()
                .login({{"email", "jane@clinic.example"}, {"password", m_password}})
                .error()
                .code,
            "account_locked");
  m_portal->clock_advance(std::chrono::minutes{2});
  EXPECT_TRUE(login_with_email_code("jane@clinic.example", m_password));
}

TEST_F(PortalRules, FiveEmailVerificationsForAnAddressWithNothingToVerifyLockIt) {
  // The fifth failure locks, as for logins, and says so (it once threw: the lock's write began
  // while the count's SELECT was still open, outside a transaction; found by
  // fuzz_sandbox_request).
  for (const std::string email : {"nobody@clinic.example", "jane@clinic.example"}) {
    if (email == "jane@clinic.example") active_account(email);  // verified already
    for (int i = 1; i <= 4; ++i) {
      auto v = m_portal->accounts().verify_email({{"email", email}, {"code", "12345678"}});
      ASSERT_FALSE(v);
      EXPECT_EQ(v.error().code, "invalid_code") << email;
    }
    auto fifth = m_portal->accounts().verify_email({{"email", email}, {"code", "12345678"}});
    ASSERT_FALSE(fifth);
    EXPECT_EQ(fifth.error().code, "account_locked") << email;
  }
}

TEST_F(PortalRules, UnknownEmailsLockTheSameWay) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(m_portal->signin()
                  .login({{"email", "nobody@clinic.example"}, {"password", "whatever it is"}})
                  .error()
                  .code,
              "invalid_credentials");
  }
  EXPECT_EQ(m_portal->signin()
                .login({{"email", "nobody@clinic.example"}, {"password", "whatever it is"}})
                .error()
                .code,
            "account_locked");
}

TEST_F(PortalRules, EmailPasscodeIsSingleUseAndExpiresAfterTenMinutes) {
  active_account("jane@clinic.example");
  auto l = m_portal->signin().login({{"email", "jane@clinic.example"}, {"password", m_password}});
  std::string token(l->at("mfa_token").as_string());
  ASSERT_TRUE(m_portal->signin().mfa_email({{"mfa_token", token}}));
  std::string code = newest_code("login-passcode");
  m_portal->clock_advance(std::chrono::minutes{10});
  auto late =
      m_portal->signin().mfa_verify({{"mfa_token", token}, {"factor", "email"}, {"code", code}});
  ASSERT_FALSE(late);

  l = m_portal->signin().login({{"email", "jane@clinic.example"}, {"password", m_password}});
  token = std::string(l->at("mfa_token").as_string());
  ASSERT_TRUE(m_portal->signin().mfa_email({{"mfa_token", token}}));
  code = newest_code("login-passcode");
  EXPECT_TRUE(
      m_portal->signin().mfa_verify({{"mfa_token", token}, {"factor", "email"}, {"code", code}}));
  EXPECT_FALSE(
      m_portal->signin().mfa_verify({{"mfa_token", token}, {"factor", "email"}, {"code", code}}));
}

TEST_F(PortalRules, TotpAllowsOneStepOfSkewAndNeverTheSameCodeTwice) {
  active_account("jane@clinic.example");
  auto session = login_with_email_code("jane@clinic.example", m_password);
  ASSERT_TRUE(session);
  auto user_id = m_portal->signin().authenticate(std::string(session->at("token").as_string()));
  ASSERT_TRUE(user_id);
  auto begin = m_portal->profiles().totp_begin(*user_id);
  std::string secret(begin->at("secret").as_string());
  EXPECT_FALSE(m_portal->profiles().totp_confirm(*user_id, {{"code", "000000"}}));
  ASSERT_TRUE(m_portal->profiles().totp_confirm(
      *user_id, {{"code", *auth::totp_code(secret, m_portal->now())}}));

  m_portal->clock_advance(std::chrono::seconds{90});
  auto login_totp = [&](SysTime code_time) {
    auto l = m_portal->signin().login({{"email", "jane@clinic.example"}, {"password", m_password}});
    EXPECT_EQ(l->at("factors").as_array().front(), "totp");
    return m_portal->signin().mfa_verify({{"mfa_token", l->at("mfa_token")},
                                          {"factor", "totp"},
                                          {"code", *auth::totp_code(secret, code_time)}});
  };
  EXPECT_TRUE(login_totp(m_portal->now() - std::chrono::seconds{30}));  // one step behind: accepted
  EXPECT_FALSE(login_totp(m_portal->now() - std::chrono::seconds{30}));  // replayed: refused
  EXPECT_TRUE(login_totp(m_portal->now()));
  EXPECT_FALSE(login_totp(m_portal->now() + std::chrono::seconds{120}));  // four steps ahead
}

TEST_F(PortalRules, FortySixDaysWithoutLoginLockAsInactiveUntilUnlocked) {
  active_account("jane@clinic.example");
  ASSERT_TRUE(login_with_email_code("jane@clinic.example", m_password));
  m_portal->clock_advance(std::chrono::days{46});
  EXPECT_EQ(m_portal->signin()
                .login({{"email", "jane@clinic.example"}, {"password", m_password}})
                .error()
                .code,
            "account_inactive");
  ASSERT_TRUE(m_portal->accounts().admin_action("unlock", "jane@clinic.example"));
  EXPECT_TRUE(login_with_email_code("jane@clinic.example", m_password));
}

TEST_F(PortalRules, ExpiredPasswordMustBeChangedAfterTheSecondFactor) {
  m_portal->update_settings({{"password_max_age_days", 30}});
  active_account("jane@clinic.example");
  m_portal->clock_advance(std::chrono::days{31});
  ASSERT_TRUE(m_portal->accounts().admin_action("unlock",
                                                "jane@clinic.example"));  // not the inactivity rule
  auto l = m_portal->signin().login({{"email", "jane@clinic.example"}, {"password", m_password}});
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->at("password_expired").as_bool());
  std::string token(l->at("mfa_token").as_string());
  m_portal->signin().mfa_email({{"mfa_token", token}});
  auto v = m_portal->signin().mfa_verify(
      {{"mfa_token", token}, {"factor", "email"}, {"code", newest_code("login-passcode")}});
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->contains("token"));
  std::string change(v->at("password_change_token").as_string());
  EXPECT_EQ(m_portal->signin()
                .expired_password_change(
                    {{"password_change_token", change}, {"new_password", m_password}})
                .error()
                .code,
            "password_rejected");
  auto s = m_portal->signin().expired_password_change(
      {{"password_change_token", change}, {"new_password", "amber lantern harbor"}});
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->contains("token"));
  m_portal->update_settings({{"password_max_age_days", 0}});
  m_portal->clock_advance(std::chrono::days{40});
  EXPECT_FALSE(m_portal->signin()
                   .login({{"email", "jane@clinic.example"}, {"password", "amber lantern harbor"}})
                   ->at("password_expired")
                   .as_bool());
}

TEST_F(PortalRules, DisabledAccountsAreReplacedByRegisteringAgain) {
  active_account("jane@clinic.example");
  auto session = login_with_email_code("jane@clinic.example", m_password);
  std::string token(session->at("token").as_string());
  ASSERT_TRUE(m_portal->accounts().admin_action("disable", "jane@clinic.example"));
  EXPECT_FALSE(m_portal->signin().authenticate(token));
  EXPECT_EQ(m_portal->signin()
                .login({{"email", "jane@clinic.example"}, {"password", m_password}})
                .error()
                .code,
            "account_disabled");
  EXPECT_TRUE(m_portal->accounts().register_account(registration("jane@clinic.example")));
}

TEST_F(PortalRules, AdministratorResetEmailSetsANewPassword) {
  active_account("jane@clinic.example");
  ASSERT_TRUE(m_portal->accounts().admin_action("reset-password", "jane@clinic.example"));
  std::string code = newest_code("password-reset");
  ASSERT_EQ(code.size(), 8u);
  EXPECT_TRUE(m_portal->signin().password_reset({{"email", "jane@clinic.example"},
                                                 {"code", code},
                                                 {"new_password", "amber lantern harbor"}}));
  EXPECT_FALSE(m_portal->signin().password_reset(
      {{"email", "jane@clinic.example"}, {"code", code}, {"new_password", "other fine phrase"}}));
  EXPECT_TRUE(login_with_email_code("jane@clinic.example", "amber lantern harbor"));
}

TEST_F(PortalRules, SessionsSlideAndExpireAfterIdle) {
  active_account("jane@clinic.example");
  auto session = login_with_email_code("jane@clinic.example", m_password);
  std::string token(session->at("token").as_string());
  m_portal->clock_advance(std::chrono::minutes{20});
  EXPECT_TRUE(m_portal->signin().authenticate(token));
  m_portal->clock_advance(std::chrono::minutes{20});
  EXPECT_TRUE(m_portal->signin().authenticate(token));
  auto fresh = m_portal->signin().refresh(token);
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(m_portal->signin().authenticate(token));
  std::string fresh_token(fresh->at("token").as_string());
  m_portal->clock_advance(std::chrono::minutes{31});
  EXPECT_FALSE(m_portal->signin().authenticate(fresh_token));
}

}  // namespace
