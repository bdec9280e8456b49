// The sandbox's CORE endpoint answering 278 requests for review (docs/core.md, section 9), in
// process through the API handler with a real portal over SQLite: the same adjudication as
// POST /v1/cases (the order it makes is the JSON API's, found by GET /v1/orders), the same
// request again answered from the same order, refusals as AAA, a 999 for a 278 that breaks the
// guide.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "caqh/envelope.hpp"
#include "sandbox/api.hpp"
#include "sandbox/portal.hpp"
#include "sandbox_accounts.hpp"
#include "temp_dir.hpp"
#include "x12/ack.hpp"
#include "x12/transactions.hpp"
#include "x12/validate.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

const fs::path k_seed_dir = PORTAL_TEST_DATA_DIR "/../../examples/sandbox";
const SysTime k_now = *parse_iso8601("2026-11-17T15:00:00Z");  // a Tuesday, 09:00 in Chicago
const std::string k_email = "alice@lakeshore.example";
constexpr const char* k_request_type = "X12_278_Request_005010X217E1_2";

// examples/cases.yaml's case-0001 (radiology, approved at once) as a 278 request.
x12::ServiceReview approved_case(const std::string& trace = "CASE0001TRACE") {
  x12::ServiceReview r;
  r.reference = "CASE0001";
  r.umo = {"X3", '2', "ACME HEALTH", "", "", "PI", "ACMEC"};
  r.requester = {"1P", '2', "LAKESHORE FAMILY MEDICINE", "", "", "XX", "1234567893"};
  r.subscriber = {"IL", '1', "WHITAKER", "JAMES", "", "MI", "ACM100234"};
  r.date_of_birth = "1958-03-14";
  r.traces = {{"1", trace, "9LAKESHORE", ""}};
  r.category = "HS";
  r.certification_type = "I";
  r.dates = {{"AAH", "2026-12-01", "2027-02-28"}};
  r.diagnoses = {{"ABK", "R519", ""}, {"ABF", "G44209", ""}};
  r.message = "solution=radiology;q1=yes;q2=8;q3=no";
  r.providers = {{{"SJ", '2', "SERVICING", "", "", "XX", "1245319599"}, "", "", {}}};
  x12::ReviewService s;
  s.procedure = "70551";
  s.quantity = "1";
  s.message = "Daily headaches for two months despite medication.";
  r.services = {s};
  return r;
}

// case-0002 (cardiology, pended for clinical review).
x12::ServiceReview pended_case() {
  x12::ServiceReview r = approved_case("CASE0002TRACE");
  r.reference = "CASE0002";
  r.subscriber = {"IL", '1', "GONZALEZ", "MARIA", "", "MI", "ACM100418"};
  r.date_of_birth = "1984-07-22";
  r.dates = {{"AAH", "2026-12-01", "2026-12-31"}};
  r.diagnoses = {{"ABK", "R079", ""}};
  r.message = "solution=cardiology;q1=yes;q2=low;q3=no";
  r.services[0].procedure = "93306";
  r.services[0].message.clear();
  return r;
}

std::string interchange(const std::vector<x12::ServiceReview>& reviews) {
  x12::InterchangeHeader h;
  h.sender_id = "LAKESHORE";
  h.receiver_id = "PROVPORTALSBX";
  h.time = std::chrono::floor<std::chrono::seconds>(k_now);
  x12::Writer w;
  w.begin_interchange(h, 301);
  w.begin_group("HI", "LAKESHORE", "PROVPORTALSBX", "005010X217", 401);
  std::uint32_t st = 1;
  for (const auto& r : reviews) x12::write_278(w, st++, r);
  w.end_group();
  w.end_interchange();
  EXPECT_TRUE(w.status()) << x12::to_string(w.status().error());
  return w.out();
}

class SandboxCore278 : public ::testing::Test {
 protected:
  void SetUp() override {
    m_portal = std::make_unique<Portal>(m_dir.path());
    m_portal->load_seed(k_seed_dir);
    m_portal->clock_set(k_now);
    test::register_active(*m_portal, m_dir.path(), {.email = k_email});
    m_handler = make_api_handler(*m_portal);
  }

  caqh::Envelope post_278(const std::string& payload) {
    caqh::Envelope e;
    e.payload_type = k_request_type;
    e.payload_id = caqh::new_payload_id();
    e.timestamp = "2026-11-17T15:00:00Z";
    e.sender_id = "LAKESHORE";
    e.receiver_id = "PROVPORTALSBX";
    e.payload = payload;
    caqh::Credentials c{k_email, test::k_sandbox_password};
    HttpRequest req;
    req.method = "POST";
    req.target = req.path = "/core/soap";
    req.headers.emplace_back("content-type",
                             caqh::soap_content_type(caqh::Message::real_time_request));
    req.body = caqh::to_soap(e, &c);
    HttpResponse r = m_handler(req);
    EXPECT_EQ(r.status, 200) << r.body;
    caqh::Parsed parsed = caqh::from_soap(r.body);
    EXPECT_TRUE(parsed.envelope) << parsed.problem << "\n" << r.body;
    return parsed.envelope ? *parsed.envelope : caqh::Envelope{};
  }

  std::vector<x12::ServiceReview> read(const std::string& payload) {
    std::vector<x12::ServiceReview> out;
    auto reader = x12::Reader::from_memory(payload);
    auto summary = x12::read_278(reader, [&](x12::ServiceReview&& r, const x12::Segment&) {
      out.push_back(std::move(r));
      return true;
    });
    EXPECT_TRUE(summary.problems.empty()) << x12::to_string(summary.problems.front());
    x12::Report report = x12::validate(payload);
    EXPECT_TRUE(report.ok()) << (report.findings.empty() ? "dropped"
                                                         : x12::to_string(report.findings[0]))
                             << "\n"
                             << payload;
    return out;
  }

  json::array orders() {
    if (m_token.empty()) m_token = test::sign_in(*m_portal, m_dir.path(), k_email);
    HttpRequest req;
    req.method = "GET";
    req.target = req.path = "/v1/orders";
    req.headers.emplace_back("authorization", "Bearer " + m_token);
    HttpResponse r = m_handler(req);
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = json::parse(r.body);
    for (std::string_view key : {"orders", "items"})
      if (const json::value* list = v.as_object().if_contains(key); list && list->is_array())
        return list->as_array();
    ADD_FAILURE() << "no list of orders in " << r.body;
    return {};
  }

  test::TempDir m_dir;
  std::unique_ptr<Portal> m_portal;
  Handler m_handler;
  std::string m_token;
};

}  // namespace

TEST_F(SandboxCore278, ACaseIsAdjudicatedAsTheJsonApiDoesAndItsOrderIsSearchable) {
  const caqh::Envelope a = post_278(interchange({approved_case(), pended_case()}));
  EXPECT_EQ(a.error_code, "Success");
  ASSERT_EQ(a.payload_type, "X12_278_Response_005010X217E1_2") << a.payload;
  const auto responses = read(a.payload);
  ASSERT_EQ(responses.size(), 2u) << a.payload;

  const x12::ServiceReview& approved = responses[0];
  EXPECT_TRUE(approved.is_response());
  EXPECT_EQ(approved.request_trace(), "CASE0001TRACE");
  EXPECT_EQ(approved.reference, "CASE0001");
  EXPECT_EQ(approved.decision.action, "A1");
  EXPECT_TRUE(approved.decision.certification.starts_with("ORD-")) << a.payload;
  EXPECT_FALSE(approved.administrative_reference.empty()) << "radiology orders carry an ACMP";
  ASSERT_EQ(approved.services.size(), 1u);
  EXPECT_EQ(approved.services[0].decision.action, "A1");

  const x12::ServiceReview& pended = responses[1];
  EXPECT_EQ(pended.request_trace(), "CASE0002TRACE");
  EXPECT_EQ(pended.decision.action, "A4");
  EXPECT_EQ(pended.decision.reason, "0V");

  // The orders are the JSON API's: the same IDs and statuses in GET /v1/orders.
  const json::array list = orders();
  ASSERT_EQ(list.size(), 2u) << json::serialize(list);
  std::map<std::string, std::string> status_of;
  for (const json::value& o : list)
    status_of[std::string(o.at("order_id").as_string())] = std::string(o.at("status").as_string());
  EXPECT_EQ(status_of[approved.decision.certification], "approved");
  EXPECT_EQ(status_of[pended.decision.certification], "pended");

  // The same request again is answered from the same order: no second one.
  const caqh::Envelope again = post_278(interchange({approved_case()}));
  const auto repeated = read(again.payload);
  ASSERT_EQ(repeated.size(), 1u);
  EXPECT_EQ(repeated[0].decision.certification, approved.decision.certification);
  EXPECT_EQ(orders().size(), 2u);
}

TEST_F(SandboxCore278, RefusalsAreAaaNamingWhatToFix) {
  x12::ServiceReview unknown = approved_case("UNKNOWN1");
  unknown.subscriber.id = "ACM999999";
  x12::ServiceReview uncovered = approved_case("UNCOVERED1");
  uncovered.services[0].procedure = "93306";  // a cardiology code in a radiology case
  const caqh::Envelope a = post_278(interchange({unknown, uncovered}));
  const auto responses = read(a.payload);
  ASSERT_EQ(responses.size(), 2u) << a.payload;
  ASSERT_EQ(responses[0].rejections.size(), 1u) << a.payload;
  EXPECT_EQ(responses[0].rejections[0].loop, "2010C");
  EXPECT_EQ(responses[0].rejections[0].reason, "75");
  EXPECT_TRUE(responses[0].category.empty());
  ASSERT_EQ(responses[1].rejections.size(), 1u) << a.payload;
  EXPECT_EQ(responses[1].rejections[0].loop, "2000E");
  EXPECT_EQ(responses[1].rejections[0].reason, "AG");
  EXPECT_NE(responses[1].message.find("code_not_covered@procedures[0].code"), std::string::npos)
      << responses[1].message;
  EXPECT_TRUE(orders().empty());
}

TEST_F(SandboxCore278, A278ThatBreaksTheGuideIsAnsweredWithA999NamingTheSegment) {
  std::string payload = interchange({approved_case()});
  const auto at = payload.find("UM*HS*I");
  ASSERT_NE(at, std::string::npos) << payload;
  payload.replace(at, 7, "UM*HS*Z");
  const caqh::Envelope a = post_278(payload);
  EXPECT_EQ(a.payload_type, "X12_999_Response_005010X231A1") << a.payload;
  const auto acks = x12::read_acknowledgements(a.payload);
  ASSERT_EQ(acks.groups.size(), 1u) << a.payload;
  EXPECT_EQ(acks.groups[0].functional_id, "HI");
  ASSERT_EQ(acks.groups[0].sets.size(), 1u);
  EXPECT_EQ(acks.groups[0].sets[0].status, 'R');
  ASSERT_FALSE(acks.groups[0].sets[0].segments.empty()) << a.payload;
  EXPECT_EQ(acks.groups[0].sets[0].segments[0].segment_id, "UM");
  ASSERT_FALSE(acks.groups[0].sets[0].segments[0].elements.empty());
  EXPECT_EQ(acks.groups[0].sets[0].segments[0].elements[0].position, 2);
  EXPECT_TRUE(orders().empty());
}
