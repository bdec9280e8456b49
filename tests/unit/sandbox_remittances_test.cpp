// The sandbox pays: the 835s it issues from the seeded claims' payments balance and pass the
// guide, say what the claims say (each payment once, the revision as a reversal then the
// corrected payment), come out byte for byte the same every time, and are served by the
// remittances feed day by day, to their own organisation only.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "sandbox/api.hpp"
#include "sandbox/claims.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/portal.hpp"
#include "sandbox/remittances.hpp"
#include "sandbox_accounts.hpp"
#include "temp_dir.hpp"
#include "x12/reader.hpp"
#include "x12/validate.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

const fs::path k_seed_dir = PORTAL_TEST_DATA_DIR "/../../examples/sandbox";
constexpr const char* k_epoch = "2026-11-17";
const SysTime k_day0 = *parse_iso8601("2026-11-17T15:00:00Z");

std::map<std::string, Payee> seed_payees() {
  return {
      {"org_lakeshore", {"org_lakeshore", "Lakeshore Family Medicine", "1234567893", "36-1234567"}},
      {"org_prairie_imaging",
       {"org_prairie_imaging", "Prairie Imaging Center", "1245319599", "37-7654321"}},
      {"org_riverside_cardio",
       {"org_riverside_cardio", "Riverside Cardiology Associates", "1679576722", "39-2468135"}},
      {"org_riverside_cardio_north",
       {"org_riverside_cardio_north", "Riverside Cardiology Associates - North Clinic",
        "1679576722", "39-2468136"}}};
}

struct Seed {
  Roster roster = Roster::load(k_seed_dir);
  ClaimCatalog catalog;
  ClaimCalendar calendar{std::chrono::sys_days{*parse_date(k_epoch)}};
  Seed() {
    catalog = ClaimCatalog::load(k_seed_dir, roster,
                                 {"org_lakeshore", "org_prairie_imaging", "org_riverside_cardio",
                                  "org_riverside_cardio_north"});
  }
  std::vector<IssuedRemittance> issue(int days_after_epoch) const {
    return issue_remittances(catalog, roster, seed_payees(), calendar,
                             k_day0 + std::chrono::days{days_after_epoch});
  }
};

std::vector<x12::Remittance> read_all(const std::string& bytes) {
  std::vector<x12::Remittance> out;
  x12::Reader reader = x12::Reader::from_memory(std::string_view(bytes));
  auto summary = x12::read_835(reader, [&out](x12::Remittance&& r, const x12::Segment&) {
    out.push_back(std::move(r));
    return true;
  });
  EXPECT_TRUE(summary.problems.empty()) << bytes;
  return out;
}

}  // namespace

TEST(RemittanceIssue, EveryPaymentOnceAndEveryCheckBalances) {
  const Seed seed;
  const auto issued = seed.issue(60);
  ASSERT_FALSE(issued.empty());
  // Every payment of the seed (F1 and F3 events), by check number: the claim and its amount.
  std::map<std::string, std::pair<std::string, std::int64_t>> payments;
  for (const auto& c : seed.catalog.claims())
    for (const auto& e : c.timeline)
      if (e.paid_cents) payments[e.check_number] = {c.claim_number, *e.paid_cents};

  std::set<std::string> checks;
  for (const auto& r : issued) {
    EXPECT_TRUE(checks.insert(r.organization_id + "/" + r.check_number).second) << r.check_number;
    const x12::Report report = x12::validate(r.x12);
    EXPECT_TRUE(report.ok()) << r.check_number << ": " << r.x12;
    const auto sets = read_all(r.x12);
    ASSERT_EQ(sets.size(), 1u) << r.check_number;
    const x12::Remittance& set = sets[0];
    EXPECT_TRUE(x12::balance(set).empty()) << x12::to_string(x12::balance(set).front());
    EXPECT_EQ(set.trace.number, r.check_number);
    EXPECT_EQ(set.total_paid, r.amount_cents);
    EXPECT_GE(r.amount_cents, 0);
    // The check pays its claim: the last CLP (after a reversal, the corrected payment).
    ASSERT_TRUE(payments.count(r.check_number)) << r.check_number;
    const auto& [claim, paid] = payments.at(r.check_number);
    EXPECT_EQ(set.claims.back().patient_control_number, claim);
    EXPECT_EQ(set.claims.back().status, "1");
    EXPECT_EQ(set.claims.back().paid, paid);
    for (const auto& c : set.claims)
      for (const auto& l : c.lines) {
        EXPECT_FALSE(l.adjustments.empty()) << claim;
        EXPECT_TRUE(l.allowed.has_value());
      }
  }
  EXPECT_EQ(checks.size(), payments.size());
}

TEST(RemittanceIssue, TheRevisionReversesThenRepays) {
  const Seed seed;
  // C71000000109: paid 176.33 on EFT000422405 (day 2), revised to 212.08 on EFT000423117 (day 6).
  auto find = [](const std::vector<IssuedRemittance>& list, const std::string& check) {
    for (const auto& r : list)
      if (r.check_number == check) return &r;
    return static_cast<const IssuedRemittance*>(nullptr);
  };
  const auto by_day5 = seed.issue(5);
  EXPECT_NE(find(by_day5, "EFT000422405"), nullptr);
  EXPECT_EQ(find(by_day5, "EFT000423117"), nullptr);  // not paid yet
  const auto by_day6 = seed.issue(6);
  const IssuedRemittance* revised = find(by_day6, "EFT000423117");
  ASSERT_NE(revised, nullptr);
  EXPECT_EQ(revised->payment_date, "2026-11-23");
  const auto set = read_all(revised->x12).at(0);
  ASSERT_EQ(set.claims.size(), 2u);
  EXPECT_EQ(set.claims[0].status, "22");
  EXPECT_EQ(set.claims[0].paid, -17633);
  EXPECT_EQ(set.claims[0].charged, -29200);
  EXPECT_LT(set.claims[0].lines.at(0).paid, 0);
  EXPECT_EQ(set.claims[1].status, "1");
  EXPECT_EQ(set.claims[1].paid, 21208);
  EXPECT_EQ(set.total_paid, 21208 - 17633);
  EXPECT_TRUE(x12::balance(set).empty());
  // The original payment's reason 97 (bundled) shows as CO-97 with remark M15 in the reversal.
  bool bundled = false;
  for (const auto& l : set.claims[0].lines)
    for (const auto& a : l.adjustments) bundled |= a.group == "CO" && a.reason == "97";
  EXPECT_TRUE(bundled);

  // C71000000118 was revised down (148.00 → 126.50): its check pays nothing and carries the
  // balance forward (PLB FB); a later check to Lakeshore from that payer recovers it (PLB WO).
  const auto all = seed.issue(60);
  const IssuedRemittance* down = find(all, "EFT000418874");
  ASSERT_NE(down, nullptr);
  const auto down_set = read_all(down->x12).at(0);
  EXPECT_EQ(down_set.total_paid, 0);
  EXPECT_EQ(down_set.payment_method, "NON");
  ASSERT_EQ(down_set.provider_adjustments.size(), 1u);
  EXPECT_EQ(down_set.provider_adjustments[0].reason, "FB");
  EXPECT_EQ(down_set.provider_adjustments[0].amount, -2150);
  int recovered = 0, interest = 0;
  for (const auto& r : all) {
    // Held by name: a range-for over a member of a temporary would read freed memory.
    const x12::Remittance read = read_all(r.x12).at(0);
    for (const auto& p : read.provider_adjustments) {
      if (p.reason == "WO" && p.reference == "C71000000118") {
        ++recovered;
        EXPECT_EQ(p.amount, 2150);
        EXPECT_EQ(r.payer_id, down->payer_id);
        EXPECT_GE(r.issued_at, down->issued_at);
      }
      if (p.reason == "L6") {
        ++interest;
        EXPECT_LT(p.amount, 0);
      }
    }
  }
  EXPECT_EQ(recovered, 1);
  EXPECT_GT(interest, 0);
}

TEST(RemittanceIssue, TheSameSeedGivesTheSameBytes) {
  const Seed seed;
  const auto a = seed.issue(30), b = seed.issue(30);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].x12, b[i].x12);
  // Issuing later changes nothing of what was issued before.
  const auto later = seed.issue(60);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].x12, later[i].x12);
}

TEST(RemittanceIssue, TheJsonHasThePostingFieldNames) {
  const Seed seed;
  const auto issued = seed.issue(6);
  for (const auto& r : issued) {
    if (r.check_number != "EFT000423117") continue;
    const json::object j = remittance_json(read_all(r.x12).at(0));
    const auto& check = j.at("check").as_object();
    EXPECT_EQ(check.at("check_number"), "EFT000423117");
    EXPECT_EQ(check.at("total_paid"), "35.75");
    EXPECT_EQ(check.at("balanced"), true);
    const auto& lines = j.at("lines").as_array();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front().at("claim_status"), "22");
    EXPECT_EQ(lines.back().at("claim_status"), "1");
    for (const char* field :
         {"payer", "payee", "check_date", "payment_method", "member_id", "procedure_code",
          "charged", "allowed", "paid", "patient_responsibility", "adjustments", "remarks"})
      EXPECT_TRUE(lines.front().as_object().contains(field)) << field;
    return;
  }
  FAIL() << "EFT000423117 was not issued by day 6";
}

namespace {

class RemittanceFeed : public ::testing::Test {
 protected:
  void SetUp() override {
    m_portal = std::make_unique<Portal>(m_dir.path());
    m_portal->load_seed(k_seed_dir);
    ASSERT_TRUE(m_portal->update_settings({{"claims_epoch", k_epoch}}));
    m_portal->clock_set(k_day0);
    m_handler = make_api_handler(*m_portal);
    test::register_active(
        *m_portal, m_dir.path(),
        {.email = "alice@lakeshore.example", .npi = "1234567893", .tax_id = "36-1234567"});
    test::register_active(
        *m_portal, m_dir.path(),
        {.email = "carol@prairie.example", .npi = "1245319599", .tax_id = "37-7654321"});
  }

  std::string sign_in(const std::string& email) {
    return test::sign_in(*m_portal, m_dir.path(), email);
  }

  HttpResponse get(const std::string& target, const std::string& token) {
    HttpRequest req;
    req.method = "GET";
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
    return m_handler(req);
  }

  test::TempDir m_dir;
  std::unique_ptr<Portal> m_portal;
  Handler m_handler;
};

}  // namespace

TEST_F(RemittanceFeed, EachCheckOnceAcrossDailyPullsAndPages) {
  std::string since;
  std::map<std::string, std::string> seen;  // check → its bytes
  for (int day = 0; day <= 7; ++day) {
    m_portal->clock_set(k_day0 + std::chrono::days{day});
    const std::string token = sign_in("alice@lakeshore.example");
    m_portal->clock_set(k_day0 + std::chrono::days{day});
    std::string page_token, as_of;
    for (int pages = 0; pages < 50; ++pages) {
      std::string target = "/v1/remittances?page_size=2";
      if (!since.empty()) target += "&changed_since=" + since;
      if (!page_token.empty()) target += "&page_token=" + page_token;
      auto r = get(target, token);
      ASSERT_EQ(r.status, 200) << r.body;
      auto body = json::parse(r.body).as_object();
      if (as_of.empty()) as_of = std::string(body.at("as_of").as_string());
      EXPECT_EQ(body.at("as_of").as_string(), as_of);  // pinned by the token
      for (const auto& item : body.at("items").as_array()) {
        const std::string check(item.at("check_number").as_string());
        EXPECT_FALSE(seen.count(check)) << check << " twice";
        seen[check] = std::string(item.at("x12").as_string());
        EXPECT_EQ(item.at("remittance").at("check").at("balanced"), true);
      }
      if (body.at("next_page_token").is_null()) break;
      page_token = std::string(body.at("next_page_token").as_string());
    }
    since = as_of;
  }
  EXPECT_TRUE(seen.count("EFT000422405"));
  EXPECT_TRUE(seen.count("EFT000423117"));
  // The same bytes when asked again, from the store.
  const std::string token = sign_in("alice@lakeshore.example");
  auto again = get("/v1/remittances/EFT000423117", token);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body).at("x12").as_string(), seen.at("EFT000423117"));
}

TEST_F(RemittanceFeed, AnotherOrganisationsCheckIsNotFound) {
  m_portal->clock_set(k_day0 + std::chrono::days{7});
  const std::string prairie = sign_in("carol@prairie.example");
  auto r = get("/v1/remittances/EFT000423117", prairie);
  EXPECT_EQ(r.status, 404) << r.body;
  auto feed = get("/v1/remittances", prairie);
  ASSERT_EQ(feed.status, 200);
  const json::value page = json::parse(feed.body);
  for (const auto& item : page.at("items").as_array())
    EXPECT_NE(item.at("payment_date").as_string(), "") << item;
  const std::string body = feed.body;
  EXPECT_EQ(body.find("EFT000423117"), std::string::npos);
  EXPECT_EQ(get("/v1/remittances?page_size=0", prairie).status, 400);
  EXPECT_EQ(get("/v1/remittances?changed_since=yesterday", prairie).status, 400);
  EXPECT_EQ(get("/v1/remittances?page_token=forged", prairie).status, 400);
  EXPECT_EQ(get("/v1/remittances?member_id=X", prairie).status, 400);
}
