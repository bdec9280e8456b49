// The portal's vocabulary ⇄ X12 (lib/portal/wire/x12/): records to 270/276 that the guides'
// validator accepts, and 271/277/999/TA1 answers to the same result fields as the JSON API.
#include "portal/wire/x12/vocabulary.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "portal/wire/x12/payers.hpp"
#include "x12/validate.hpp"

namespace {

namespace json = boost::json;
using portal::wire::Function;
using namespace portal::wire::x12w;

Payers sandbox_payers() {
  auto p = Payers::parse(
      "payers:\n"
      "  acme-commercial: {payer_id: ACMEC, name: ACME HEALTH}\n"
      "  lakeshore-hmo: {payer_id: LKHMO, name: LAKESHORE HMO, receiver_id: LKHMO}\n",
      "payers.yaml");
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return *p;
}

json::object member() {
  return json::object{{"ref", "row-1"},
                      {"member_id", "ACM100234"},
                      {"first_name", "Zoë"},
                      {"last_name", "O'Neil"},
                      {"date_of_birth", "1958-03-14"},
                      {"health_plan", "acme-commercial"},
                      {"provider_npi", "1234567893"},
                      {"service_date", "2026-06-01"}};
}

const Parties k_parties{"PROVPORTAL01", "SBXPAYER", 'T'};

TEST(X12Payers, ReadsTheCrosswalkAndNamesTheLineOfABadEntry) {
  auto p = sandbox_payers();
  ASSERT_NE(p.of_plan("lakeshore-hmo"), nullptr);
  EXPECT_EQ(p.of_plan("lakeshore-hmo")->receiver_id, "LKHMO");
  EXPECT_EQ(p.of_id("ACMEC")->health_plan, "acme-commercial");
  EXPECT_EQ(p.of_plan("nope"), nullptr);
  auto bad = Payers::parse("payers:\n  a: {payer_id: X}\n  b: {payer_id: 'Y*Z', name: B}\n",
                           "crosswalk.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("crosswalk.yaml:2"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("name"), std::string::npos);
  auto delim = Payers::parse("payers:\n  b: {payer_id: 'Y*Z', name: B}\n", "c.yaml");
  ASSERT_FALSE(delim);
  EXPECT_NE(delim.error().message.find("delimiter"), std::string::npos);
}

TEST(X12Vocabulary, TheTraceIsTheSameForTheSameKeyAndDiffersOtherwise) {
  EXPECT_EQ(trace_of("scope:row-1"), trace_of("scope:row-1"));
  EXPECT_NE(trace_of("scope:row-1"), trace_of("scope:row-2"));
  EXPECT_EQ(trace_of("k").size(), 24u);
  EXPECT_EQ(trace_originator("provportal01"), "9PROVPORTA");
  EXPECT_EQ(trace_originator("AB"), "9AB0000000");
}

TEST(X12Vocabulary, AnEligibilityRecordBecomesA270TheGuideAccepts) {
  auto payers = sandbox_payers();
  auto q = eligibility_inquiry(member(), payers, k_parties, trace_of("k1"));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->payer.id, "ACMEC");
  EXPECT_EQ(q->subscriber.last_or_org, "O'NEIL");
  EXPECT_EQ(q->subscriber.first, "ZOE");
  EXPECT_EQ(q->subscriber.id, "ACM100234");
  auto bytes = interchange_270(*q, k_parties, "SBXPAYER", {7, 8, 9},
                               std::chrono::sys_seconds{std::chrono::seconds{1796000000}});
  ASSERT_TRUE(bytes) << bytes.error().message;
  EXPECT_EQ(bytes->substr(0, 3), "ISA");
  auto report = x12::validate(*bytes);
  for (const auto& f : report.findings) ADD_FAILURE() << x12::to_string(f);
  EXPECT_NE(bytes->find("TRN*1*" + trace_of("k1")), std::string::npos);
  EXPECT_NE(bytes->find("*PI*ACMEC"), std::string::npos);
  EXPECT_NE(bytes->find("DTP*291*D8*20260601"), std::string::npos);
}

TEST(X12Vocabulary, APlanWithoutAPayerIdIsAFieldErrorNamingTheFile) {
  auto payers = sandbox_payers();
  auto rec = member();
  rec["health_plan"] = "prairie-individual";
  auto q = eligibility_inquiry(rec, payers, k_parties, "T1");
  ASSERT_FALSE(q);
  ASSERT_EQ(q.error().size(), 1u);
  EXPECT_EQ(q.error()[0].field, "health_plan");
  EXPECT_NE(q.error()[0].message.find("payers.yaml"), std::string::npos);
}

TEST(X12Vocabulary, AClaimInquiryNeedsWhatThe276Requires) {
  auto payers = sandbox_payers();
  json::object rec{{"claim_number", "C2026051400017"}, {"health_plan", "acme-commercial"}};
  auto q = claim_inquiry(rec, payers, k_parties, "T1");
  ASSERT_FALSE(q);
  std::vector<std::string> fields;
  for (const auto& e : q.error()) fields.push_back(e.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"member_id", "last_name", "provider_npi", "service_from"}));
  rec = json::object{{"member_id", "ACM100234"},        {"last_name", "Whitaker"},
                     {"date_of_birth", "1958-03-14"},   {"provider_npi", "1234567893"},
                     {"service_from", "2026-05-01"},    {"service_to", "2026-05-31"},
                     {"health_plan", "acme-commercial"}};
  auto ok = claim_inquiry(rec, payers, k_parties, trace_of("c1"));
  ASSERT_TRUE(ok);
  auto bytes = interchange_276(*ok, k_parties, "SBXPAYER", {1, 1, 1},
                               std::chrono::sys_seconds{std::chrono::seconds{1796000000}});
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto report = x12::validate(*bytes);
  for (const auto& f : report.findings) ADD_FAILURE() << x12::to_string(f);
  EXPECT_NE(bytes->find("DTP*472*RD8*20260501-20260531"), std::string::npos);
}

x12::EligibilityResponse active_271() {
  x12::EligibilityResponse r;
  r.payer = {"PR", '2', "ACME HEALTH", "", "", "PI", "ACMEC"};
  r.provider = {"1P", '2', "PROVIDER", "", "", "XX", "1234567893"};
  r.traces = {{"2", "TRACE1", "9PROVPORTA", ""}};
  r.subscriber = {"IL", '1', "WHITAKER", "JAMES", "", "MI", "ACM100234"};
  r.date_of_birth = "1958-03-14";
  r.dates = {{"346", "2024-01-01", ""}};
  auto eb = [](std::string info, std::string level, std::string st, std::string amount,
               std::string period = "", std::vector<std::string> msg = {}) {
    x12::Benefit b;
    b.info = std::move(info);
    b.coverage_level = std::move(level);
    if (!st.empty()) b.service_types = {std::move(st)};
    b.amount = std::move(amount);
    b.time_period = std::move(period);
    b.messages = std::move(msg);
    return b;
  };
  auto active = eb("1", "IND", "30", "");
  active.insurance_type = "C1";
  active.plan_description = "Acme Health Commercial PPO";
  r.benefits.push_back(active);
  r.benefits.push_back(eb("B", "IND", "98", "25", "27"));
  r.benefits.push_back(eb("B", "IND", "98", "50", "27", {"SPECIALIST"}));
  r.benefits.push_back(eb("B", "IND", "86", "300", "27"));
  r.benefits.push_back(eb("C", "IND", "30", "1500", "23"));
  r.benefits.push_back(eb("C", "FAM", "30", "3000", "23"));
  r.benefits.push_back(eb("G", "IND", "30", "6500", "23"));
  r.benefits.push_back(eb("G", "FAM", "30", "13000", "23"));
  auto coins = eb("A", "IND", "30", "");
  coins.percent = "0.2";
  r.benefits.push_back(coins);
  auto pa = eb("CB", "IND", "30", "");
  pa.authorization = "Y";
  pa.messages = {"PRIOR AUTHORIZATION REQUIRED: RADIOLOGY", "GENETIC TESTING"};
  r.benefits.push_back(pa);
  return r;
}

TEST(X12Vocabulary, A271BecomesTheSameFieldsAsTheJsonApisAnswer) {
  auto payers = sandbox_payers();
  auto res = eligibility_result(active_271(), member(), payers, {});
  ASSERT_EQ(res.outcome, "ok") << res.message;
  const auto& a = res.answer;
  EXPECT_EQ(a.at("status"), "active");
  EXPECT_EQ(a.at("active"), true);
  EXPECT_EQ(a.at("member").at("member_id"), "ACM100234");
  EXPECT_EQ(a.at("plan").at("id"), "acme-commercial");
  EXPECT_EQ(a.at("plan").at("name"), "Acme Health Commercial PPO");
  EXPECT_EQ(a.at("plan").at("type"), "commercial");
  EXPECT_EQ(a.at("coverage").at("start"), "2024-01-01");
  EXPECT_TRUE(a.at("coverage").at("end").is_null());
  EXPECT_EQ(a.at("service_date"), "2026-06-01");
  const auto& b = a.at("benefits");
  EXPECT_EQ(b.at("copays"),
            (json::object{{"primary_care", 25}, {"specialist", 50}, {"emergency_room", 300}}));
  EXPECT_EQ(b.at("deductible"), (json::object{{"individual", 1500}, {"family", 3000}}));
  EXPECT_EQ(b.at("out_of_pocket_max"), (json::object{{"individual", 6500}, {"family", 13000}}));
  EXPECT_EQ(b.at("coinsurance_percent"), 20);
  EXPECT_EQ(b.at("prior_authorization"), (json::array{"radiology", "genetic_testing"}));
}

TEST(X12Vocabulary, AnInactiveMemberPastTheCoverageEndIsTerminated) {
  auto r = active_271();
  r.benefits.front().info = "6";
  r.dates.push_back({"347", "2026-03-31", ""});
  auto res = eligibility_result(r, member(), sandbox_payers(), {});
  ASSERT_EQ(res.outcome, "ok");
  EXPECT_EQ(res.answer.at("status"), "inactive");
  EXPECT_EQ(res.answer.at("reason"), "coverage_terminated");
  EXPECT_EQ(res.answer.at("coverage").at("end"), "2026-03-31");
}

TEST(X12Vocabulary, AnAaaIsARejectedRowWithTheJsonApisReasonAndTheFieldToFix) {
  x12::EligibilityResponse r;
  r.rejections = {{"2100C", 'N', "75", "C"}};
  auto res = eligibility_result(r, member(), sandbox_payers(), {});
  EXPECT_EQ(res.outcome, "rejected");
  EXPECT_EQ(res.code, "eligibility_rejected");
  const auto& rr = res.answer.at("reject_reason");
  EXPECT_EQ(rr.at("code"), "subscriber_not_found");
  EXPECT_EQ(rr.at("x12_aaa"), "75");
  EXPECT_EQ(rr.at("follow_up"), "C");
  EXPECT_NE(res.message.find("AAA 75"), std::string::npos);
  ASSERT_FALSE(res.errors.empty());
  EXPECT_EQ(res.errors.front().field, "member_id");
}

TEST(X12Vocabulary, Aaa42And80SayThePayerCannotAnswerNow) {
  const std::string busy =
      "ISA*00*          *00*          *ZZ*SBXPAYER       *ZZ*PROVPORTAL01   *261207*1200*^*00501*"
      "000000001*0*T*:~GS*HB*SBXPAYER*PROVPORTAL01*20261207*1200*1*X*005010X279A1~ST*271*0001*"
      "005010X279A1~BHT*0022*11*T1*20261207*1200~HL*1**20*1~AAA*N**42*R~NM1*PR*2*ACME*****PI*"
      "ACMEC~SE*5*0001~GE*1*1~IEA*1*000000001~";
  auto why = payer_busy(Function::eligibility, busy);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("AAA 42"), std::string::npos);
  std::string ok = busy;
  ok.replace(ok.find("AAA*N**42*R"), 11, "AAA*N**75*C");
  EXPECT_FALSE(payer_busy(Function::eligibility, ok));
}

TEST(X12Vocabulary, A277BecomesTheClaimStatusAnswersClaims) {
  x12::ClaimStatusResponse r;
  r.payer = {"PR", '2', "ACME HEALTH", "", "", "PI", "ACMEC"};
  r.provider = {"1P", '2', "PROVIDER", "", "", "XX", "1234567893"};
  r.subscriber = {"IL", '1', "WHITAKER", "JAMES", "", "MI", "ACM100234"};
  x12::ClaimStatusItem c;
  c.trace = {"2", "T1", "9PROVPORTA", ""};
  x12::StatusInfo s;
  s.category = "F1";
  s.status = "65";
  s.effective_date = "2026-05-26";
  s.total_charge = "185";
  s.paid = "168.4";
  s.payment_date = "2026-05-27";
  s.check_number = "EFT000418220";
  c.statuses = {s};
  c.payer_claim_number = "C2026051400017";
  c.service = {"472", "2026-05-10", "2026-05-10"};
  x12::ServiceLine l;
  l.procedure = "99213";
  l.charge = "185";
  l.units = "1";
  c.lines = {l};
  r.claims = {c};
  auto res = claim_status_result({r}, sandbox_payers(), {});
  ASSERT_EQ(res.outcome, "ok") << res.message;
  const auto& claim = res.answer.at("claims").as_array().at(0);
  EXPECT_EQ(claim.at("claim_number"), "C2026051400017");
  EXPECT_EQ(claim.at("status_category"), "F1");
  EXPECT_EQ(claim.at("status"), "finalized-paid");
  EXPECT_EQ(claim.at("health_plan"), "acme-commercial");
  EXPECT_EQ(claim.at("billed_amount"), "185.00");
  EXPECT_EQ(claim.at("paid_amount"), "168.40");
  EXPECT_EQ(claim.at("check_number"), "EFT000418220");
  EXPECT_EQ(claim.at("paid_date"), "2026-05-27");
  EXPECT_EQ(claim.at("service_from"), "2026-05-10");
  EXPECT_EQ(claim.at("lines").as_array().at(0).at("procedure_code"), "99213");
}

TEST(X12Vocabulary, A999RejectionNamesTheSegmentAndElement) {
  x12::Acknowledgements acks;
  x12::GroupAck g;
  g.status = 'R';
  x12::SetAck set;
  set.set_id = "270";
  set.status = 'R';
  x12::SegmentNote seg;
  seg.segment_id = "NM1";
  seg.position = 9;
  seg.loop = "2100C";
  seg.code = "8";
  seg.elements = {{9, 0, 0, "67", "1", ""}};
  set.segments = {seg};
  g.sets = {set};
  acks.groups = {g};
  auto res = acknowledgement_result(acks);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->outcome, "rejected");
  EXPECT_EQ(res->code, "x12_rejected");
  ASSERT_EQ(res->errors.size(), 1u);
  EXPECT_EQ(res->errors[0].field, "NM109");
  EXPECT_NE(res->errors[0].message.find("2100C"), std::string::npos);
  x12::Acknowledgements fine;
  fine.groups = {x12::GroupAck{}};
  fine.groups[0].status = 'A';
  EXPECT_FALSE(acknowledgement_result(fine));
}

}  // namespace

namespace {

// The sandbox's 271 for James Whitaker (docs/core.md), read as a client reads any payer's.
constexpr std::string_view k_sandbox_271 =
    "ISA*00*          *00*          *ZZ*PROVPORTALSBX  *ZZ*CLINIC01       *261117*1500*^*00501*"
    "000000001*0*T*:~GS*HB*PROVPORTALSBX*CLINIC01*20261117*1500*1*X*005010X279A1~ST*271*0001*"
    "005010X279A1~BHT*0022*11*REQ0001*20261117*1500~HL*1**20*1~NM1*PR*2*Acme Health Commercial "
    "PPO*****PI*ACMEC~HL*2*1*21*1~NM1*1P*2*LAKESHORE CLINIC*****XX*1234567893~HL*3*2*22*0~TRN*2*"
    "93175-012547*9877281234~NM1*IL*1*Whitaker*James****MI*ACM100234~REF*6P*acme-commercial*Acme "
    "Health Commercial PPO~DMG*D8*19580314~DTP*346*D8*20240101~DTP*291*D8*20261116~EB*1*IND*30*C1*"
    "Acme Health Commercial PPO~EB*B*IND*98***27*25~MSG*PRIMARY CARE~EB*B*IND*98***27*50~MSG*"
    "SPECIALIST~EB*B*IND*86***27*300~EB*C*IND*30***23*1500~EB*C*FAM*30***23*3000~EB*G*IND*30***23*"
    "6500~EB*G*FAM*30***23*13000~EB*A*IND*30*****0.2~EB*D*IND*30********Y~MSG*radiology~EB*D*IND*"
    "30********Y~MSG*genetic_testing~SE*29*0001~GE*1*1~IEA*1*000000001~";

TEST(X12Vocabulary, TheSandboxs271ReadsAsItsJsonAnswer) {
  auto res =
      read_answer(Function::eligibility, k_sandbox_271, json::object(), sandbox_payers(), {});
  ASSERT_EQ(res.outcome, "ok") << res.message;
  const auto& a = res.answer;
  EXPECT_EQ(a.at("plan").at("id"), "acme-commercial");
  EXPECT_EQ(a.at("service_date"), "2026-11-16");
  EXPECT_EQ(a.at("member").at("last_name"), "Whitaker");
  const auto& b = a.at("benefits");
  EXPECT_EQ(b.at("copays"),
            (json::object{{"primary_care", 25}, {"specialist", 50}, {"emergency_room", 300}}));
  EXPECT_EQ(b.at("coinsurance_percent"), 20);
  EXPECT_EQ(b.at("prior_authorization"), (json::array{"radiology", "genetic_testing"}));
}

}  // namespace
