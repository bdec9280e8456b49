// Member eligibility in the sandbox: the seeded roster and plans, each reject reason, coverage
// that is active, terminated or not started yet, and the default date of service.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/portal.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

const fs::path k_seed_dir = PORTAL_TEST_DATA_DIR "/../../examples/sandbox";

class Eligibility : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("portal-eligibility-" + random_token(6));
    m_portal = std::make_unique<Portal>(m_dir);
    m_portal->load_seed(k_seed_dir);
    // Tuesday 2026-11-17, 09:00 in Chicago (CST).
    m_portal->clock_set(*parse_iso8601("2026-11-17T15:00:00Z"));
  }
  void TearDown() override { fs::remove_all(m_dir); }

  static json::object request(std::string member_id, std::string first, std::string last,
                              std::string dob, std::string plan = "acme-commercial") {
    return {{"member_id", member_id}, {"first_name", first}, {"last_name", last},
            {"date_of_birth", dob},   {"health_plan", plan}, {"provider_npi", "1234567893"}};
  }
  static json::object james() { return request("ACM100234", "James", "Whitaker", "1958-03-14"); }

  // The reject reason of a 422 answer, or {} when the answer was something else.
  static json::object reject_reason(const ApiResult<json::object>& r) {
    if (r || r.error().status != 422 || r.error().code != "eligibility_rejected") return {};
    return r.error().extra.at("reject_reason").as_object();
  }

  fs::path m_dir;
  std::unique_ptr<Portal> m_portal;
};

TEST(Roster, ExampleSeedHasThePlansAndARealisticRoster) {
  Roster roster = Roster::load(k_seed_dir);
  ASSERT_GE(roster.plans().size(), 4u);
  for (const char* id :
       {"acme-commercial", "acme-medicare-advantage", "acme-medicaid", "lakeshore-hmo"}) {
    const HealthPlan* p = roster.plan(id);
    ASSERT_NE(p, nullptr) << id;
    EXPECT_FALSE(p->name.empty());
    EXPECT_FALSE(p->type.empty());
    for (const char* key : {"copays", "deductible", "out_of_pocket_max", "coinsurance_percent",
                            "prior_authorization"}) {
      EXPECT_TRUE(p->benefits.contains(key)) << id << " " << key;
    }
  }
  EXPECT_GE(roster.member_count(), 40u);
  EXPECT_EQ(roster.plan("no-such-plan"), nullptr);
  ASSERT_NE(roster.member("acme-commercial", "ACM100234"), nullptr);
  EXPECT_EQ(roster.member("acme-medicaid", "ACM100234"), nullptr);
}

TEST(Roster, InconsistentSeedIsRefusedWithTheEntry) {
  const char* plans = R"(plans:
  - {id: p1, name: Plan One, type: hmo, member_id_pattern: "P1[0-9]{6}", benefits: {coinsurance_percent: 10}}
)";
  EXPECT_NO_THROW(Roster::parse(plans, "members: []"));
  auto message_of = [&](const char* members) -> std::string {
    try {
      Roster::parse(plans, members, "test");
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return {};
  };
  EXPECT_NE(message_of(R"(members:
  - {member_id: P1000001, first_name: A, last_name: B, date_of_birth: "1980-01-01", plan: p2, coverage_start: "2024-01-01"})")
                .find("unknown plan p2"),
            std::string::npos);
  EXPECT_NE(message_of(R"(members:
  - {member_id: X1000001, first_name: A, last_name: B, date_of_birth: "1980-01-01", plan: p1, coverage_start: "2024-01-01"})")
                .find("does not fit"),
            std::string::npos);
  EXPECT_NE(message_of(R"(members:
  - {member_id: P1000001, first_name: A, last_name: B, date_of_birth: "1980-02-30", plan: p1, coverage_start: "2024-01-01"})")
                .find("date_of_birth"),
            std::string::npos);
  EXPECT_NE(message_of(R"(members:
  - {member_id: P1000001, first_name: A, last_name: B, date_of_birth: "1980-01-01", plan: p1, coverage_start: "2024-01-01", coverage_end: "2023-01-01"})")
                .find("ends before it starts"),
            std::string::npos);
}

TEST(NameKey, IgnoresCaseAccentsAndPunctuation) {
  EXPECT_EQ(name_key("O'Neil"), "oneil");
  EXPECT_EQ(name_key("O\u2019NEIL"), "oneil");  // typographic apostrophe
  EXPECT_EQ(name_key("Brontë-Hall"), name_key("BRONTE HALL"));
  EXPECT_EQ(name_key("José Ángel"), "joseangel");
  EXPECT_EQ(name_key("Åkesson"), "akesson");
  EXPECT_EQ(name_key("Straße"), "strasse");
  EXPECT_EQ(name_key("Łukasz"), "lukasz");
  EXPECT_NE(name_key("Whitaker"), name_key("Whitacre"));
}

TEST(ChicagoToday, FollowsCentralTimeNotUtc) {
  // 03:00 UTC on the 18th is still the evening of the 17th in Chicago (CST, UTC-6).
  EXPECT_EQ(format_date(chicago_today(*parse_iso8601("2026-11-18T03:00:00Z"))), "2026-11-17");
  EXPECT_EQ(format_date(chicago_today(*parse_iso8601("2026-11-18T06:00:00Z"))), "2026-11-18");
  // In July (CDT, UTC-5) the day changes at 05:00 UTC.
  EXPECT_EQ(format_date(chicago_today(*parse_iso8601("2026-07-02T04:59:59Z"))), "2026-07-01");
  EXPECT_EQ(format_date(chicago_today(*parse_iso8601("2026-07-02T05:00:00Z"))), "2026-07-02");
}

TEST_F(Eligibility, ActiveMemberGetsPlanCoverageAndBenefits) {
  auto body = james();
  body["ref"] = "row-1";
  body["service_date"] = "2026-06-01";
  auto r = m_portal->check_eligibility(body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("ref"), "row-1");
  EXPECT_EQ(r->at("status"), "active");
  EXPECT_EQ(r->at("active"), true);
  EXPECT_FALSE(r->contains("reason"));
  EXPECT_EQ(r->at("member"), (json::object{{"member_id", "ACM100234"},
                                           {"first_name", "James"},
                                           {"last_name", "Whitaker"},
                                           {"date_of_birth", "1958-03-14"}}));
  EXPECT_EQ(r->at("plan"), (json::object{{"id", "acme-commercial"},
                                         {"name", "Acme Health Commercial PPO"},
                                         {"type", "commercial"}}));
  EXPECT_EQ(r->at("coverage"), (json::object{{"start", "2024-01-01"}, {"end", nullptr}}));
  EXPECT_EQ(r->at("service_date"), "2026-06-01");
  const auto& benefits = r->at("benefits").as_object();
  EXPECT_EQ(benefits.at("copays").at("specialist"), 50);
  EXPECT_EQ(benefits.at("deductible").at("family"), 3000);
  EXPECT_EQ(benefits.at("coinsurance_percent"), 20);
  EXPECT_TRUE(benefits.at("prior_authorization").is_array());
}

TEST_F(Eligibility, ServiceDateDefaultsToTodayInChicago) {
  auto r = m_portal->check_eligibility(james());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("service_date"), "2026-11-17");
  EXPECT_FALSE(r->contains("ref"));
  // 21:30 in Chicago on the 17th is already the 18th in UTC.
  m_portal->clock_set(*parse_iso8601("2026-11-18T03:30:00Z"));
  EXPECT_EQ(m_portal->check_eligibility(james())->at("service_date"), "2026-11-17");
}

TEST_F(Eligibility, TheDayChangesAtMidnightInChicagoOnThePinnedClock) {
  // One second before midnight CST: a pinned clock reads exactly the time set (it keeps the
  // offset to the millisecond), so the date is still the 17th...
  m_portal->clock_set(*parse_iso8601("2026-11-18T05:59:59Z"));
  EXPECT_EQ(m_portal->check_eligibility(james())->at("service_date"), "2026-11-17");
  // ...and one second later it is the 18th.
  m_portal->clock_advance(std::chrono::seconds{1});
  EXPECT_EQ(m_portal->check_eligibility(james())->at("service_date"), "2026-11-18");
}

TEST_F(Eligibility, TerminatedCoverageIsInactiveAfterItsLastDay) {
  auto body = request("ACM100733", "Michael", "O'Connor", "1966-09-30");  // covered to 2026-06-30
  auto today = m_portal->check_eligibility(body);
  ASSERT_TRUE(today) << today.error().message;
  EXPECT_EQ(today->at("status"), "inactive");
  EXPECT_EQ(today->at("active"), false);
  EXPECT_EQ(today->at("reason"), "coverage_terminated");
  EXPECT_EQ(today->at("coverage"), (json::object{{"start", "2021-01-01"}, {"end", "2026-06-30"}}));
  body["service_date"] = "2026-06-30";  // the last covered day
  EXPECT_EQ(m_portal->check_eligibility(body)->at("status"), "active");
  body["service_date"] = "2026-07-01";
  EXPECT_EQ(m_portal->check_eligibility(body)->at("reason"), "coverage_terminated");
}

TEST_F(Eligibility, FutureCoverageIsInactiveUntilItStarts) {
  auto body = request("ACM100845", "Emily", "Nakamura", "1995-12-03");  // starts 2027-01-01
  auto r = m_portal->check_eligibility(body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("status"), "inactive");
  EXPECT_EQ(r->at("reason"), "coverage_not_started");
  body["service_date"] = "2027-01-01";
  EXPECT_EQ(m_portal->check_eligibility(body)->at("status"), "active");
  // The same member on the day coverage starts, by the portal's clock.
  m_portal->clock_set(*parse_iso8601("2027-01-01T12:00:00Z"));
  body.erase("service_date");
  EXPECT_EQ(m_portal->check_eligibility(body)->at("status"), "active");
}

TEST_F(Eligibility, MemberIdThatDoesNotFitThePlanIsInvalid) {
  auto body = james();
  body["member_id"] = "ACM12345";  // valid for the schema, 5 digits for the plan
  auto reason = reject_reason(m_portal->check_eligibility(body));
  EXPECT_EQ(reason.at("code"), "invalid_member_id");
  EXPECT_EQ(reason.at("x12_aaa"), "72");
  EXPECT_NE(std::string(reason.at("message").as_string()).find("ACM followed by 6 digits"),
            std::string::npos);
  // A Lakeshore ID under an Acme plan does not fit either.
  body["member_id"] = "LSH4001127";
  EXPECT_EQ(reject_reason(m_portal->check_eligibility(body)).at("code"), "invalid_member_id");
}

TEST_F(Eligibility, WellFormedUnknownMemberIsNotFound) {
  auto body = james();
  body["member_id"] = "ACM999999";
  body["ref"] = "row-7";
  auto r = m_portal->check_eligibility(body);
  auto reason = reject_reason(r);
  EXPECT_EQ(reason.at("code"), "subscriber_not_found");
  EXPECT_EQ(reason.at("x12_aaa"), "75");
  EXPECT_EQ(r.error().extra.at("ref"), "row-7");
  EXPECT_NE(r.error().message.find("eligibility check rejected"), std::string::npos);
}

TEST_F(Eligibility, NamesMustMatchButNotTheirCaseOrAccents) {
  auto body = james();
  body["last_name"] = "Whitacre";
  auto reason = reject_reason(m_portal->check_eligibility(body));
  EXPECT_EQ(reason.at("code"), "name_mismatch");
  EXPECT_EQ(reason.at("x12_aaa"), "73");
  body = james();
  body["first_name"] = "Jim";
  EXPECT_EQ(reject_reason(m_portal->check_eligibility(body)).at("code"), "name_mismatch");

  EXPECT_TRUE(m_portal->check_eligibility(request("acm100234", "JAMES", "whitaker", "1958-03-14")));
  auto zoe = m_portal->check_eligibility(request("ACM100962", "zoe", "BRONTE HALL", "1988-04-09"));
  ASSERT_TRUE(zoe) << zoe.error().message;
  EXPECT_EQ(zoe->at("member").at("first_name"), "Zoë");  // the roster's spelling
  EXPECT_TRUE(
      m_portal->check_eligibility(request("ACM101296", "Jose Angel", "NUNEZ", "1976-08-19")));
  EXPECT_TRUE(m_portal->check_eligibility(
      request("LSH4003349", "Mary Kate", "ONeil", "1994-03-31", "lakeshore-hmo")));
}

TEST_F(Eligibility, DateOfBirthMustMatchAndNotBeInTheFuture) {
  auto body = james();
  body["date_of_birth"] = "1958-03-15";
  auto reason = reject_reason(m_portal->check_eligibility(body));
  EXPECT_EQ(reason.at("code"), "invalid_date_of_birth");
  EXPECT_EQ(reason.at("x12_aaa"), "71");
  body["date_of_birth"] = "2030-01-01";
  reason = reject_reason(m_portal->check_eligibility(body));
  EXPECT_EQ(reason.at("code"), "invalid_date_of_birth");
  EXPECT_NE(std::string(reason.at("message").as_string()).find("future"), std::string::npos);
}

TEST_F(Eligibility, RejectReasonsComeInTheirOrder) {
  // Wrong name and wrong date of birth: the name is reported first.
  auto r = m_portal->check_eligibility(request("ACM100234", "Jim", "Whitaker", "1958-01-01"));
  EXPECT_EQ(reject_reason(r).at("code"), "name_mismatch");
}

TEST_F(Eligibility, UnknownPlanIsNotFoundAndListsThePlans) {
  auto r = m_portal->check_eligibility(
      request("ACM100234", "James", "Whitaker", "1958-03-14", "acme-gold"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 404);
  EXPECT_EQ(r.error().code, "plan_not_found");
  for (const char* id :
       {"acme-commercial", "acme-medicare-advantage", "acme-medicaid", "lakeshore-hmo"}) {
    EXPECT_NE(r.error().message.find(id), std::string::npos) << r.error().message;
  }
  // Plan ids are matched whatever their case.
  EXPECT_TRUE(m_portal->check_eligibility(
      request("ACM100234", "James", "Whitaker", "1958-03-14", "ACME-Commercial")));
}

TEST_F(Eligibility, InvalidBodiesGetFieldErrors) {
  auto body = james();
  body["provider_npi"] = "1234567890";  // check digit
  auto r = m_portal->check_eligibility(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().code, "validation_failed");
  const auto& errors = r.error().extra.at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("field"), "provider_npi");

  body = james();
  body.erase("last_name");
  body["service_date"] = "2026-02-30";
  body["color"] = "blue";
  r = m_portal->check_eligibility(body);
  ASSERT_FALSE(r);
  std::set<std::string> fields;
  for (const auto& e : r.error().extra.at("errors").as_array())
    fields.insert(std::string(e.at("field").as_string()));
  EXPECT_EQ(fields, (std::set<std::string>{"last_name", "service_date", "color"}));
}

TEST_F(Eligibility, HealthPlansAreListed) {
  auto plans = m_portal->health_plans().at("health_plans").as_array();
  ASSERT_GE(plans.size(), 4u);
  EXPECT_EQ(plans[0].at("id"), "acme-commercial");
  EXPECT_TRUE(plans[0].as_object().contains("name"));
  EXPECT_TRUE(plans[0].as_object().contains("type"));
}

// validate_record keeps a validator per thread (compiled patterns cached): a second judgement of
// every sample record of tests/data/records must equal the first, and match the manifest.
TEST(ValidateRecord, ReusedValidatorJudgesTheSampleRecordsAlike) {
  const fs::path dir = PORTAL_TEST_DATA_DIR "/records";
  std::ifstream in(dir / "manifest.json");
  std::stringstream text;
  text << in.rdbuf();
  auto manifest = json::parse(text.str());
  int checked = 0;
  for (const auto& entry : manifest.at("records").as_array()) {
    std::string schema(entry.at("schema").as_string());
    std::ifstream file(dir / std::string(entry.at("file").as_string()));
    std::stringstream content;
    content << file.rdbuf();
    auto record = json::parse(content.str());
    auto quick = records::validate_record(schema, record);
    auto full = records::validate_record(schema, record);
    ASSERT_EQ(quick.size(), full.size()) << entry.at("file");
    for (std::size_t i = 0; i < quick.size(); ++i) {
      EXPECT_EQ(quick[i].field, full[i].field);
      EXPECT_EQ(quick[i].message, full[i].message);
    }
    EXPECT_EQ(quick.empty(), entry.at("valid").as_bool()) << entry.at("file");
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

}  // namespace
