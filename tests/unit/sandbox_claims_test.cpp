// Claim status in the sandbox, through the API handler with real sessions over SQLite: the seed
// and its checks, statuses derived from the timelines as the clock moves day by day, the change
// windows of the feed, pages pinned to their as_of, organisation isolation, validation and the
// member reject reasons.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "sandbox/api.hpp"
#include "sandbox/claims.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/portal.hpp"
#include "sandbox_accounts.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

const fs::path k_seed_dir = PORTAL_TEST_DATA_DIR "/../../examples/sandbox";
// Day 0 of the claims, and 09:00 in Chicago on it (a Tuesday, outside the maintenance window).
constexpr const char* k_epoch = "2026-11-17";
const SysTime k_day0 = *parse_iso8601("2026-11-17T15:00:00Z");

using Numbers = std::set<std::string>;

// What examples/sandbox/claims.yaml says changes for Lakeshore on each day of the week after the
// epoch (written out by hand from the seed, not computed by the code under test).
const std::vector<Numbers> k_lakeshore_changes = {
    {"C71000000106", "C71000000108", "C71000000112", "C71000000113", "C71000000119"},  // day 1
    {"C71000000107", "C71000000109", "C71000000114"},                                  // day 2
    {"C71000000108", "C71000000112", "C71000000113", "C71000000114", "C71000000116"},  // day 3
    {},                                                                                // day 4
    {"C71000000110", "C71000000111", "C71000000114", "C71000000115", "C71000000116",
     "C71000000119"},                                  // day 5
    {"C71000000109", "C71000000115"},                  // day 6
    {"C71000000115", "C71000000116", "C71000000117"},  // day 7
};
// Lakeshore's claims received by day 0.
const Numbers k_lakeshore_day0 = {"C71000000101", "C71000000102", "C71000000103", "C71000000104",
                                  "C71000000105", "C71000000106", "C71000000107", "C71000000108",
                                  "C71000000109", "C71000000110", "C71000000111", "C71000000112",
                                  "C71000000118", "C71000000119"};

class Claims : public ::testing::Test {
 protected:
  void SetUp() override {
    m_portal = std::make_unique<Portal>(m_dir.path());
    m_portal->load_seed(k_seed_dir);
    ASSERT_TRUE(m_portal->update_settings({{"claims_epoch", k_epoch}}));
    m_portal->clock_set(k_day0);
    m_handler = make_api_handler(*m_portal);
    m_lakeshore = session_of("alice@lakeshore.example", "1234567893", "36-1234567");
    m_prairie = session_of("carol@prairie.example", "1245319599", "37-7654321");
    m_north = session_of("nora@riverside.example", "1679576722", "39-2468136",
                         "org_riverside_cardio_north");
  }

  std::string newest_code(const std::string& purpose) {
    return test::newest_code(m_dir.path(), purpose);
  }

  std::string session_of(const std::string& email, const std::string& npi,
                         const std::string& tax_id, const std::string& organization = {}) {
    test::register_active(
        *m_portal, m_dir.path(),
        {.email = email, .npi = npi, .tax_id = tax_id, .organization = organization});
    m_emails.push_back(email);
    return sign_in(email);
  }

  std::string sign_in(const std::string& email) {
    return test::sign_in(*m_portal, m_dir.path(), email);
  }

  // Moves the portal's clock to `t` and signs everyone in again (sessions end after 30 idle
  // minutes of portal time).
  void move_to(SysTime t) {
    m_portal->clock_set(t);
    m_lakeshore = sign_in(m_emails[0]);
    m_prairie = sign_in(m_emails[1]);
    m_north = sign_in(m_emails[2]);
    m_portal->clock_set(t);  // signing in took real time
  }

  HttpResponse call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = {}) {
    HttpRequest req;
    req.method = method;
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::stringstream ss(target.substr(q + 1));
      for (std::string item; std::getline(ss, item, '&');) {
        auto eq = item.find('=');
        req.query.emplace(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
      }
    }
    req.headers.emplace_back("authorization", "Bearer " + token);
    req.body = body;
    return m_handler(req);
  }
  HttpResponse inquire(const std::string& token, const json::object& body) {
    return call("POST", "/v1/claims/status", token, json::serialize(body));
  }
  // Every page of the feed, following the tokens.
  std::vector<json::object> feed(const std::string& token, const std::string& query,
                                 std::string* as_of = nullptr) {
    std::vector<json::object> claims;
    std::string page_token;
    for (int pages = 0; pages < 100; ++pages) {
      std::string sep = query.empty() ? "?" : "&";
      auto r =
          call("GET",
               "/v1/claims" + query + (page_token.empty() ? "" : sep + "page_token=" + page_token),
               token);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      auto body = body_of(r);
      if (as_of) *as_of = str(body.at("as_of"));
      for (const auto& c : body.at("claims").as_array()) claims.push_back(c.as_object());
      if (body.at("next_page_token").is_null()) break;
      page_token = str(body.at("next_page_token"));
    }
    return claims;
  }
  static Numbers numbers_of(const std::vector<json::object>& claims) {
    Numbers out;
    for (const auto& c : claims) out.insert(str(c.at("claim_number")));
    return out;
  }
  static Numbers numbers_of(const HttpResponse& r) {
    std::vector<json::object> claims;
    auto body = body_of(r);
    for (const auto& c : body.at("claims").as_array()) claims.push_back(c.as_object());
    return numbers_of(claims);
  }
  static json::object body_of(const HttpResponse& r) { return json::parse(r.body).as_object(); }
  static std::string str(const json::value& v) { return std::string(v.as_string()); }
  static std::set<std::string> fields_of(const HttpResponse& r) {
    std::set<std::string> out;
    auto body = body_of(r);
    for (const auto& e : body.at("error").at("errors").as_array()) out.insert(str(e.at("field")));
    return out;
  }
  json::object claim_now(const std::string& token, const std::string& number) {
    auto r = call("GET", "/v1/claims/" + number, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? body_of(r) : json::object{};
  }

  test::TempDir m_dir;
  std::unique_ptr<Portal> m_portal;
  Handler m_handler;
  std::string m_lakeshore, m_prairie, m_north;
  std::vector<std::string> m_emails;
};

Roster seed_roster() { return Roster::load(k_seed_dir); }
const std::set<std::string> k_orgs = {"org_lakeshore", "org_prairie_imaging",
                                      "org_riverside_cardio", "org_riverside_cardio_north"};

std::string seed_error(const std::string& yaml) {
  try {
    ClaimCatalog::parse(yaml, seed_roster(), k_orgs, "test.yaml");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(ClaimSeed, TheExamplesLoadAndBadSeedsAreNamed) {
  auto catalog = ClaimCatalog::load(k_seed_dir, seed_roster(), k_orgs);
  EXPECT_EQ(catalog.claims().size(), 33u);
  EXPECT_EQ(catalog.categories().size(), 10u);
  ASSERT_NE(catalog.find("C71000000109"), nullptr);
  EXPECT_EQ(catalog.find("C71000000109")->billed_cents(), 29200);
  EXPECT_EQ(catalog.reason_text("45").substr(0, 21), "Charge exceeds fee sc");

  const std::string head = R"(status_categories:
  - {code: A1, status: acknowledged, description: received}
  - {code: F1, status: finalized-paid, description: paid}
  - {code: F2, status: finalized-denied, description: denied}
reason_codes: {"45": Charge exceeds fee schedule}
claims:
  - claim_number: C99000000001
    organization: org_lakeshore
    member_id: ACM100234
    billing_npi: "1234567893"
    rendering_npi: "1003000126"
    received_day: 0
    service_from_day: -1
    service_to_day: -1
    lines: [{code: "99213", units: 1, billed: "125.00"}]
)";
  EXPECT_EQ(seed_error(head +
                       "    timeline: [{day: 0, status: A1}, {day: 3, status: F1, paid: \"90.00\", "
                       "check_number: EFT1}]\n"),
            "");
  auto named = [&](const std::string& timeline, const std::string& needle) {
    std::string e = seed_error(head + timeline);
    EXPECT_NE(e.find(needle), std::string::npos) << "got: " << e;
    EXPECT_NE(e.find("claim C99000000001"), std::string::npos) << e;
  };
  named("    timeline: [{day: 1, status: A1}]\n", "day 0");
  named("    timeline: [{day: 0, status: A1}, {day: 3, status: F1}]\n",
        "carry paid and check_number");
  named(
      "    timeline: [{day: 0, status: A1}, {day: 3, status: F1, paid: \"900.00\", check_number: "
      "E}]\n",
      "more than the claim's billed");
  named("    timeline: [{day: 0, status: A1}, {day: 3, status: X9}]\n",
        "unknown status category X9");
  named("    timeline: [{day: 0, status: A1}, {day: 3, status: F2, reasons: [\"999\"]}]\n",
        "unknown reason code");
  named("    timeline: [{day: 0, status: A1}, {day: 3, status: F2}]\n", "names its reasons");
  named("    timeline: [{day: 0, status: A1}, {day: 5, status: A1}, {day: 4, status: A1}]\n",
        "forward in time");

  std::string other_member = head;
  other_member.replace(other_member.find("ACM100234"), 9, "ACM999999");
  EXPECT_NE(seed_error(other_member + "    timeline: [{day: 0, status: A1}]\n")
                .find("not in members.yaml"),
            std::string::npos);
  std::string bad_npi = head;
  bad_npi.replace(bad_npi.find("1003000126"), 10, "1003000127");
  EXPECT_NE(seed_error(bad_npi + "    timeline: [{day: 0, status: A1}]\n").find("not a valid NPI"),
            std::string::npos);
  std::string stranger = head;
  stranger.replace(stranger.find("org_lakeshore"), 13, "org_elsewhere");
  EXPECT_NE(
      seed_error(stranger + "    timeline: [{day: 0, status: A1}]\n").find("unknown organization"),
      std::string::npos);
}

TEST(ClaimRules, AmountsAndTheChicagoMidnight) {
  EXPECT_EQ(parse_amount("123.45"), 12345);
  EXPECT_EQ(parse_amount("7"), 700);
  EXPECT_EQ(parse_amount("7.5"), 750);
  EXPECT_FALSE(parse_amount("-1.00"));
  EXPECT_FALSE(parse_amount("1.234"));
  EXPECT_FALSE(parse_amount("1."));
  EXPECT_FALSE(parse_amount("1,00"));
  EXPECT_EQ(format_amount(12345), "123.45");
  EXPECT_EQ(format_amount(5), "0.05");

  ClaimCalendar november{std::chrono::sys_days{std::chrono::year{2026} / 11 / 17}};
  EXPECT_EQ(format_iso8601(november.start_of(0)), "2026-11-17T06:00:00Z");     // CST
  EXPECT_EQ(format_iso8601(november.start_of(-140)), "2026-06-30T05:00:00Z");  // CDT
  // 2027-03-14 is the second Sunday of March: midnight is still CST, the next one CDT.
  ClaimCalendar march{std::chrono::sys_days{std::chrono::year{2027} / 3 / 14}};
  EXPECT_EQ(format_iso8601(march.start_of(0)), "2027-03-14T06:00:00Z");
  EXPECT_EQ(format_iso8601(march.start_of(1)), "2027-03-15T05:00:00Z");
}

TEST_F(Claims, StatusFollowsTheTimelineDayByDay) {
  // C71000000108 (received day -8): A1, A2 +1, P1 +2, P3 +5 (16), P1 +9, F2 +11 (50).
  const std::vector<std::pair<int, std::string>> expected = {
      {-2, "P3"}, {-1, "P3"}, {0, "P3"}, {1, "P1"}, {2, "P1"}, {3, "F2"}, {4, "F2"}};
  for (const auto& [day, category] : expected) {
    move_to(k_day0 + std::chrono::days{day});
    auto c = claim_now(m_lakeshore, "C71000000108");
    EXPECT_EQ(str(c.at("status_category")), category) << "day " << day;
  }
  auto denied = claim_now(m_lakeshore, "C71000000108");
  EXPECT_EQ(str(denied.at("status")), "finalized-denied");
  EXPECT_EQ(str(denied.at("status_date")), "2026-11-20");
  EXPECT_EQ(str(denied.at("status_reasons").at(0).at("code")), "50");
  EXPECT_EQ(denied.at("paid_amount"), "0.00");
  EXPECT_TRUE(denied.at("check_number").is_null());
  EXPECT_EQ(str(denied.at("received_date")), "2026-11-09");
  EXPECT_EQ(str(denied.at("updated_at")), "2026-11-20T06:00:00Z");
  EXPECT_EQ(denied.at("status_history").as_array().size(), 6u);

  // The event takes effect at midnight in Chicago: a second before, the old status.
  move_to(*parse_iso8601("2026-11-20T05:59:59Z"));
  EXPECT_EQ(str(claim_now(m_lakeshore, "C71000000108").at("status_category")), "P1");
  move_to(*parse_iso8601("2026-11-20T06:00:00Z"));
  EXPECT_EQ(str(claim_now(m_lakeshore, "C71000000108").at("status_category")), "F2");

  // A payment, then its revision: the amounts and the check follow the latest.
  move_to(k_day0 + std::chrono::days{2});
  auto paid = claim_now(m_lakeshore, "C71000000109");
  EXPECT_EQ(str(paid.at("status_category")), "F1");
  EXPECT_EQ(str(paid.at("billed_amount")), "292.00");
  EXPECT_EQ(str(paid.at("paid_amount")), "176.33");
  EXPECT_EQ(str(paid.at("check_number")), "EFT000422405");
  EXPECT_EQ(str(paid.at("paid_date")), "2026-11-19");
  EXPECT_EQ(paid.at("lines").as_array().size(), 3u);
  EXPECT_EQ(str(paid.at("lines").at(0).at("billed_amount")), "185.00");
  move_to(k_day0 + std::chrono::days{6});
  auto revised = claim_now(m_lakeshore, "C71000000109");
  EXPECT_EQ(str(revised.at("status")), "finalized-revised");
  EXPECT_EQ(str(revised.at("paid_amount")), "212.08");
  EXPECT_EQ(str(revised.at("check_number")), "EFT000423117");

  // Pending: nothing paid yet.
  auto pending = claim_now(m_lakeshore, "C71000000115");
  EXPECT_EQ(str(pending.at("status_category")), "A2");
  EXPECT_TRUE(pending.at("paid_amount").is_null());
}

TEST_F(Claims, AClaimNotReceivedYetDoesNotExist) {
  // C71000000117 is received on day 7.
  EXPECT_EQ(call("GET", "/v1/claims/C71000000117", m_lakeshore).status, 404);
  EXPECT_TRUE(numbers_of(inquire(m_lakeshore, {{"claim_number", "C71000000117"}})).empty());
  EXPECT_EQ(numbers_of(feed(m_lakeshore, "")), k_lakeshore_day0);
  move_to(k_day0 + std::chrono::days{7});
  EXPECT_EQ(call("GET", "/v1/claims/C71000000117", m_lakeshore).status, 200);
  EXPECT_EQ(numbers_of(inquire(m_lakeshore, {{"claim_number", "C71000000117"}})),
            Numbers{"C71000000117"});
}

TEST_F(Claims, TheFeedReturnsExactlyEachDaysChanges) {
  std::string as_of;
  move_to(k_day0);
  EXPECT_EQ(numbers_of(feed(m_lakeshore, "", &as_of)), k_lakeshore_day0);
  EXPECT_EQ(as_of, "2026-11-17T15:00:00Z");
  for (int day = 1; day <= 7; ++day) {
    move_to(k_day0 + std::chrono::days{day});
    std::string since = as_of;
    auto changed = feed(m_lakeshore, "?changed_since=" + since, &as_of);
    EXPECT_EQ(numbers_of(changed), k_lakeshore_changes[day - 1]) << "day " << day;
    EXPECT_EQ(as_of, format_iso8601(k_day0 + std::chrono::days{day}));
    // The same window through the inquiry: the member's claims that changed.
    for (const auto& c : changed) EXPECT_GT(str(c.at("updated_at")), since);
  }
  // Oldest change first.
  move_to(k_day0 + std::chrono::days{5});
  auto day5 = feed(m_lakeshore, "?changed_since=2026-11-21T15:00:00Z");
  ASSERT_EQ(day5.size(), 6u);
  for (std::size_t i = 1; i < day5.size(); ++i) {
    EXPECT_LE(str(day5[i - 1].at("updated_at")), str(day5[i].at("updated_at")));
  }
  // Filters: status (a category, a status or a class) and the provider.
  for (const auto& c : feed(m_lakeshore, "?status=finalized"))
    EXPECT_EQ(str(c.at("status_category"))[0], 'F');
  auto denied = numbers_of(feed(m_lakeshore, "?status=F2"));
  EXPECT_EQ(denied, numbers_of(feed(m_lakeshore, "?status=finalized-denied")));
  EXPECT_EQ(denied, (Numbers{"C71000000103", "C71000000108"}));
  for (const auto& c : feed(m_lakeshore, "?provider_npi=1520934187")) {
    EXPECT_EQ(str(c.at("rendering_npi")), "1520934187");
  }
  EXPECT_EQ(
      numbers_of(feed(m_lakeshore, "?provider_npi=1520934187")),
      (Numbers{"C71000000104", "C71000000109", "C71000000112", "C71000000115", "C71000000118"}));
}

TEST_F(Claims, PagesStayPinnedToTheirAsOf) {
  move_to(k_day0 + std::chrono::days{3});
  auto first =
      call("GET", "/v1/claims?changed_since=2026-11-17T15:00:00Z&page_size=2", m_lakeshore);
  ASSERT_EQ(first.status, 200) << first.body;
  auto body = body_of(first);
  std::string as_of = str(body.at("as_of"));
  Numbers seen = numbers_of(first);
  EXPECT_EQ(seen.size(), 2u);
  std::string token = str(body.at("next_page_token"));
  // The clock moves on between pages (a pull across a midnight): the rest of the pull keeps its
  // window, so day 4's and 5's changes are not mixed in and nothing is skipped or repeated.
  move_to(k_day0 + std::chrono::days{5});
  std::size_t pages = 1;
  while (!token.empty()) {
    auto r =
        call("GET", "/v1/claims?changed_since=2026-11-17T15:00:00Z&page_size=2&page_token=" + token,
             m_lakeshore);
    ASSERT_EQ(r.status, 200) << r.body;
    auto b = body_of(r);
    EXPECT_EQ(str(b.at("as_of")), as_of);
    for (const auto& n : numbers_of(r)) EXPECT_TRUE(seen.insert(n).second) << n << " came twice";
    token = b.at("next_page_token").is_null() ? std::string() : str(b.at("next_page_token"));
    ++pages;
  }
  Numbers days_1_to_3;
  for (int d = 0; d < 3; ++d)
    days_1_to_3.insert(k_lakeshore_changes[d].begin(), k_lakeshore_changes[d].end());
  EXPECT_EQ(seen, days_1_to_3);
  EXPECT_EQ(pages, (days_1_to_3.size() + 1) / 2);
  // Without the pin, the window would have reached day 5.
  EXPECT_NE(numbers_of(feed(m_lakeshore, "?changed_since=2026-11-17T15:00:00Z")), days_1_to_3);

  // A token is bound to its filters and cannot be edited.
  std::string again =
      str(body_of(call("GET", "/v1/claims?page_size=2", m_lakeshore)).at("next_page_token"));
  EXPECT_EQ(
      call("GET", "/v1/claims?page_size=2&status=pending&page_token=" + again, m_lakeshore).status,
      400);
  std::string tampered = again;
  tampered[3] = tampered[3] == '1' ? '2' : '1';
  auto r = call("GET", "/v1/claims?page_size=2&page_token=" + tampered, m_lakeshore);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(str(body_of(r).at("error").at("code")), "invalid_page_token");
  EXPECT_EQ(call("GET", "/v1/claims?page_size=2&page_token=" + again, m_lakeshore).status, 200);
}

TEST_F(Claims, OnlyTheOrganisationsOwnClaimsExist) {
  // Lakeshore's claim is another organisation's to Prairie: not found, never forbidden.
  EXPECT_EQ(claim_now(m_lakeshore, "C71000000101").at("member_id"), "ACM100234");
  auto theirs = call("GET", "/v1/claims/C71000000101", m_prairie);
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(str(body_of(theirs).at("error").at("code")), "not_found");
  EXPECT_TRUE(numbers_of(inquire(m_prairie, {{"claim_number", "C71000000101"}})).empty());
  for (const auto& n : numbers_of(feed(m_prairie, ""))) EXPECT_EQ(n.substr(0, 3), "C72");
  EXPECT_FALSE(feed(m_prairie, "").empty());

  // The North Clinic shares Riverside's NPI, and a member with Lakeshore; it sees only its own.
  EXPECT_EQ(numbers_of(feed(m_north, "")), (Numbers{"C74000000401", "C74000000402"}));
  EXPECT_EQ(call("GET", "/v1/claims/C73000000301", m_north).status, 404);
  json::object james{{"member_id", "ACM100234"},
                     {"date_of_birth", "1958-03-14"},
                     {"provider_npi", "1679576722"},
                     {"service_from", "2026-10-01"},
                     {"service_to", "2026-11-30"}};
  EXPECT_EQ(numbers_of(inquire(m_north, james)), Numbers{"C74000000401"});
  EXPECT_TRUE(numbers_of(inquire(m_lakeshore, james)).empty());
  james["provider_npi"] = "1234567893";
  EXPECT_EQ(numbers_of(inquire(m_lakeshore, james)), (Numbers{"C71000000101", "C71000000119"}));
}

TEST_F(Claims, InquiriesByNumberAndByMember) {
  move_to(k_day0);
  auto r = inquire(m_lakeshore, {{"ref", "row-1"}, {"claim_number", "C71000000102"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = body_of(r);
  EXPECT_EQ(str(body.at("ref")), "row-1");
  EXPECT_EQ(str(body.at("as_of")), "2026-11-17T15:00:00Z");
  EXPECT_TRUE(body.at("changed_since").is_null());
  ASSERT_EQ(body.at("claims").as_array().size(), 1u);
  const auto& c = body.at("claims").at(0);
  EXPECT_EQ(str(c.at("status_category")), "F1");
  EXPECT_EQ(str(c.at("paid_amount")), "131.75");
  EXPECT_EQ(str(c.at("health_plan")), "acme-commercial");

  // By member: the provider is the billing or the rendering one; the dates overlap.
  json::object by_member{{"member_id", "acm100234"},
                         {"date_of_birth", "1958-03-14"},
                         {"provider_npi", "1003000126"},
                         {"service_from", "2026-11-01"},
                         {"service_to", "2026-11-30"}};
  EXPECT_EQ(numbers_of(inquire(m_lakeshore, by_member)), Numbers{"C71000000119"});
  by_member["service_from"] = "2026-10-01";
  auto both = inquire(m_lakeshore, by_member);
  EXPECT_EQ(numbers_of(both), (Numbers{"C71000000101", "C71000000119"}));
  EXPECT_EQ(str(body_of(both).at("claims").at(0).at("claim_number")),
            "C71000000101");  // by service date
  by_member["provider_npi"] = "1487635967";
  EXPECT_TRUE(numbers_of(inquire(m_lakeshore, by_member)).empty());  // no match: an empty list

  // changed_since narrows an inquiry to the claims that changed in (changed_since, as_of].
  move_to(k_day0 + std::chrono::days{5});
  json::object since{{"member_id", "ACM100234"},     {"date_of_birth", "1958-03-14"},
                     {"provider_npi", "1234567893"}, {"service_from", "2026-10-01"},
                     {"service_to", "2026-11-30"},   {"changed_since", "2026-11-21T15:00:00Z"}};
  EXPECT_EQ(numbers_of(inquire(m_lakeshore, since)), Numbers{"C71000000119"});
  since["changed_since"] = "2026-11-22T15:00:00Z";
  EXPECT_TRUE(numbers_of(inquire(m_lakeshore, since)).empty());
}

TEST_F(Claims, MemberRejectReasons) {
  auto reason = [&](json::object body) {
    auto r = inquire(m_lakeshore, body);
    EXPECT_EQ(r.status, 422) << r.body;
    if (r.status != 422) return std::string();
    auto e = body_of(r).at("error").as_object();
    EXPECT_EQ(str(e.at("code")), "claim_status_rejected");
    return str(e.at("reject_reason").at("code")) + "/" + str(e.at("reject_reason").at("x12_aaa"));
  };
  json::object base{{"member_id", "ACM100234"},
                    {"date_of_birth", "1958-03-14"},
                    {"provider_npi", "1234567893"},
                    {"service_from", "2026-10-01"},
                    {"service_to", "2026-11-30"}};
  auto with = [&](const char* key, const char* value) {
    json::object b = base;
    b[key] = value;
    return b;
  };
  EXPECT_EQ(reason(with("member_id", "ZZZ123456")), "invalid_member_id/72");
  EXPECT_EQ(reason(with("member_id", "ACM999999")), "subscriber_not_found/75");
  EXPECT_EQ(reason(with("date_of_birth", "1958-03-15")), "invalid_date_of_birth/71");
  EXPECT_EQ(reason(with("date_of_birth", "2030-01-01")), "invalid_date_of_birth/71");
}

TEST_F(Claims, ValidationErrorsNameTheirFields) {
  auto fields = [&](const json::object& body) {
    auto r = inquire(m_lakeshore, body);
    EXPECT_EQ(r.status, 422) << r.body;
    if (r.status != 422) return std::set<std::string>();
    EXPECT_EQ(str(body_of(r).at("error").at("code")), "validation_failed");
    return fields_of(r);
  };
  EXPECT_EQ(fields({{"claim_number", "c-123"}}), std::set<std::string>{"claim_number"});
  auto missing = fields({{"member_id", "ACM100234"}});
  EXPECT_TRUE(missing.count("date_of_birth") && missing.count("provider_npi") &&
              missing.count("service_from") && missing.count("service_to"));
  json::object member{{"member_id", "ACM100234"},
                      {"date_of_birth", "1958-03-14"},
                      {"provider_npi", "1234567894"},
                      {"service_from", "2026-11-30"},
                      {"service_to", "2026-11-01"}};
  EXPECT_EQ(fields(member), (std::set<std::string>{"provider_npi", "service_to"}));
  EXPECT_EQ(fields({{"claim_number", "C71000000102"}, {"changed_since", "yesterday"}}),
            std::set<std::string>{"changed_since"});
  EXPECT_EQ(fields({{"claim_number", "C71000000102"}, {"colour", "blue"}}),
            std::set<std::string>{"colour"});

  // The feed's parameters: 400 with the field.
  auto feed_fields = [&](const std::string& query) {
    auto r = call("GET", "/v1/claims" + query, m_lakeshore);
    EXPECT_EQ(r.status, 400) << r.body;
    return r.status == 400 ? fields_of(r) : std::set<std::string>();
  };
  EXPECT_EQ(feed_fields("?changed_since=soon"), std::set<std::string>{"changed_since"});
  EXPECT_EQ(feed_fields("?provider_npi=1234567894"), std::set<std::string>{"provider_npi"});
  EXPECT_EQ(feed_fields("?status=paid"), std::set<std::string>{"status"});
  EXPECT_EQ(feed_fields("?page_size=101"), std::set<std::string>{"page_size"});
  EXPECT_EQ(feed_fields("?member_id=ACM100234"), std::set<std::string>{"member_id"});
}

TEST_F(Claims, TheEpochIsKeptAcrossRestartsAndSettable) {
  // A fresh portal fixes day 0 at its own date; loading the seed again does not move it.
  test::TempDir other;
  Portal fresh(other.path());
  fresh.clock_set(*parse_iso8601("2027-02-03T18:00:00Z"));
  fresh.load_seed(k_seed_dir);
  EXPECT_EQ(fresh.settings().claims_epoch, "2027-02-03");
  fresh.clock_advance(std::chrono::days{3});
  fresh.load_seed(k_seed_dir);
  EXPECT_EQ(fresh.settings().claims_epoch, "2027-02-03");
  EXPECT_FALSE(fresh.update_settings({{"claims_epoch", "2027-02-30"}}));
  ASSERT_TRUE(fresh.update_settings({{"claims_epoch", "2027-01-01"}}));
  EXPECT_EQ(fresh.settings().claims_epoch, "2027-01-01");
}
