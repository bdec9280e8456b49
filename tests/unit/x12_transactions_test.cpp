#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "x12/ack.hpp"
#include "x12/transactions.hpp"
#include "x12/validate.hpp"
#include "x12_test_util.hpp"

using namespace x12;
using x12::test::read_data;

namespace {

using namespace std::chrono;

std::string dump(const std::vector<Error>& errors) {
  std::string out;
  for (const Error& e : errors) out += to_string(e) + "\n";
  return out;
}

InterchangeHeader header() {
  InterchangeHeader h;
  h.sender_id = "SUBMITTER";
  h.receiver_id = "PAYER";
  h.time = sys_days{year{2026} / 11 / 17} + hours{15} + minutes{4};
  return h;
}

// One interchange with one group of `functional_id`, the sets `body` writes; fails the test
// when the writer reports a problem.
std::string interchange(std::string_view functional_id, std::string_view version,
                        const std::function<void(Writer&)>& body) {
  Writer w;
  w.begin_interchange(header(), 42);
  w.begin_group(functional_id, "SUBMITTER", "PAYER", version, 7);
  body(w);
  w.end_group();
  w.end_interchange();
  EXPECT_TRUE(w.status()) << to_string(w.status().error());
  return w.out();
}

// The writer's first problem after `body` wrote into an open group.
Error write_error(std::string_view functional_id, std::string_view version,
                  const std::function<void(Writer&)>& body) {
  Writer w;
  w.begin_interchange(header(), 42);
  w.begin_group(functional_id, "SUBMITTER", "PAYER", version, 7);
  body(w);
  EXPECT_FALSE(w.status()) << "the writer accepted it:\n" << w.out();
  return w.status() ? Error{} : w.status().error();
}

void expect_valid(const std::string& bytes) {
  const Report r = validate(bytes);
  EXPECT_TRUE(r.ok()) << dump(r.findings) << bytes;
}

template <typename T, typename Read>
std::vector<T> read_all(const std::string& bytes, Read read, ReadSummary* summary = nullptr) {
  std::vector<T> items;
  Reader reader = Reader::from_memory(bytes);
  ReadSummary s = read(reader, [&](T&& item, const Segment& st) {
    EXPECT_EQ(st.id(), "ST");
    items.push_back(std::move(item));
    return true;
  });
  if (summary != nullptr)
    *summary = std::move(s);
  else
    EXPECT_TRUE(s.problems.empty()) << dump(s.problems);
  return items;
}

// ---- samples -------------------------------------------------------------------------------

Party payer() { return {"PR", '2', "ACME HEALTH PLAN", "", "", "PI", "12345"}; }
Party clinic() { return {"1P", '2', "LAKESHORE CLINIC", "", "", "XX", "1234567893"}; }
Party member() { return {"IL", '1', "SMITH", "JOHN", "Q", "MI", "W123456789"}; }

EligibilityInquiry sample_270() {
  EligibilityInquiry q;
  q.reference = "REF0001";
  q.created_date = "2026-11-17";
  q.created_time = "0900";
  q.payer = payer();
  q.provider = clinic();
  q.trace = {"1", "TRACE-0001", "9123456789", ""};
  q.subscriber = member();
  q.date_of_birth = "1980-02-29";
  q.gender = "M";
  q.dates = {{"291", "2026-11-16", ""}};
  q.service_types = {"30"};
  return q;
}

EligibilityResponse sample_271() {
  EligibilityResponse r;
  r.reference = "REF0001";
  r.created_date = "2026-11-17";
  r.created_time = "0901";
  r.payer = payer();
  r.provider = clinic();
  r.traces = {{"2", "TRACE-0001", "9123456789", ""}, {"1", "PAYER-77", "9999999999", "DIV"}};
  r.subscriber = member();
  r.date_of_birth = "1980-02-29";
  r.gender = "M";
  r.group_number = "GRP-100";
  r.group_name = "LAKESHORE EMPLOYEES";
  r.dates = {{"346", "2026-01-01", ""}, {"291", "2026-11-01", "2026-11-30"}};
  Benefit active;
  active.info = "1";
  active.coverage_level = "IND";
  active.service_types = {"30"};
  active.insurance_type = "HM";
  active.plan_description = "GOLD 123 PLAN";
  Benefit copay;
  copay.info = "B";
  copay.service_types = {"98", "UC", "86"};
  copay.time_period = "27";
  copay.amount = "25";
  copay.in_network = "Y";
  copay.dates = {{"291", "2026-01-01", "2026-12-31"}};
  copay.messages = {"COPAY APPLIES PER VISIT", "REFERRAL NOT REQUIRED"};
  Benefit deductible;
  deductible.info = "C";
  deductible.coverage_level = "FAM";
  deductible.service_types = {"30"};
  deductible.time_period = "29";
  deductible.amount = "1500.00";
  deductible.percent = "0.2";
  deductible.quantity_qualifier = "VS";
  deductible.quantity = "12";
  deductible.authorization = "N";
  deductible.in_network = "W";
  r.benefits = {active, copay, deductible};
  r.rejections = {{"2100C", 'Y', "72", "C"}, {"2110C", 'N', "57", "C"}};
  return r;
}

ClaimInquiry sample_276() {
  ClaimInquiry q;
  q.reference = "ABC276XXX";
  q.created_date = "2026-11-17";
  q.created_time = "1425";
  q.payer = payer();
  q.receiver = {"41", '2', "XYZ SERVICE", "", "", "46", "X67E"};
  q.provider = clinic();
  q.subscriber = member();
  q.date_of_birth = "1980-02-29";
  q.gender = "M";
  q.trace = {"1", "CLAIM-TRACE-1", "", ""};
  q.payer_claim_number = "05347006051";
  q.bill_type = "111";
  q.patient_account = "SM123456";
  q.total_charge = "8513.88";
  q.service = {"472", "2026-10-31", "2026-11-06"};
  return q;
}

StatusInfo status(std::string category, std::string code) {
  StatusInfo s;
  s.category = std::move(category);
  s.status = std::move(code);
  return s;
}

ClaimStatusResponse sample_277() {
  ClaimStatusResponse r;
  r.reference = "277X212";
  r.created_date = "2026-11-17";
  r.created_time = "0810";
  r.payer = payer();
  r.receiver = {"41", '2', "XYZ SERVICE", "", "", "46", "X67E"};
  r.provider = clinic();
  r.subscriber = member();
  ClaimStatusItem paid;
  paid.trace = {"2", "CLAIM-TRACE-1", "", ""};
  StatusInfo f1 = status("F1", "65");
  f1.entity = "PR";
  f1.more = {"F1:107", "F1:52:QC"};
  f1.effective_date = "2026-11-10";
  f1.total_charge = "8513.88";
  f1.paid = "7000";
  f1.adjudication_date = "2026-11-09";
  f1.payment_method = "CHK";
  f1.payment_date = "2026-11-12";
  f1.check_number = "CHK-000123";
  f1.message = "PAID AS BILLED LESS COPAY";
  paid.statuses = {f1};
  paid.payer_claim_number = "05347006051";
  paid.patient_account = "SM123456";
  paid.bill_type = "111";
  paid.service = {"472", "2026-10-31", "2026-11-06"};
  ServiceLine office;
  office.procedure_qualifier = "HC";
  office.procedure = "99213";
  office.modifiers = {"25", "", "GT"};
  office.charge = "150";
  office.paid = "120";
  office.units = "1";
  StatusInfo line_paid = status("F1", "65");
  office.statuses = {line_paid};
  office.line_control = "LINE-1";
  office.service = {"472", "2026-10-31", ""};
  ServiceLine lab;
  lab.procedure_qualifier = "HC";
  lab.procedure = "80053";
  lab.charge = "45.50";
  lab.paid = "0";
  lab.revenue_code = "0300";
  StatusInfo denied = status("F2", "88");
  denied.more = {"F2:96"};
  lab.statuses = {denied, status("F2", "21")};
  r.claims.push_back(paid);
  ClaimStatusItem pending;
  pending.trace = {"2", "CLAIM-TRACE-2", "", ""};
  StatusInfo rx = status("F2", "80");
  rx.code_list = "RX";
  pending.statuses = {status("P1", "20"), rx};
  pending.lines = {office, lab};
  r.claims.push_back(pending);
  return r;
}

}  // namespace

// ---- dates ---------------------------------------------------------------------------------

TEST(X12Transactions, ConvertsIsoDatesAndD8) {
  EXPECT_EQ(to_d8("2026-11-17"), "20261117");
  EXPECT_EQ(to_d8("2024-02-29"), "20240229");
  EXPECT_EQ(to_d8("2023-02-29"), "");
  EXPECT_EQ(to_d8("20261117"), "");
  EXPECT_EQ(to_d8("2026-1-17"), "");
  EXPECT_EQ(to_d8(""), "");
  EXPECT_EQ(from_d8("20261117"), "2026-11-17");
  EXPECT_EQ(from_d8("20261317"), "");
  EXPECT_EQ(from_d8("2026111"), "");
  EXPECT_EQ(from_d8("2026-11-17"), "");
}

// ---- round trips ---------------------------------------------------------------------------

TEST(X12Transactions, A270ValidatesAndReadsBackEqual) {
  const EligibilityInquiry q = sample_270();
  const std::string bytes =
      interchange("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1001, q); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("ST*270*1001*005010X279A1~BHT*0022*13*REF0001*20261117*0900~HL*1**20*1~"
                       "NM1*PR*2*ACME HEALTH PLAN*****PI*12345~HL*2*1*21*1~"
                       "NM1*1P*2*LAKESHORE CLINIC*****XX*1234567893~HL*3*2*22*0~"
                       "TRN*1*TRACE-0001*9123456789~NM1*IL*1*SMITH*JOHN*Q***MI*W123456789~"
                       "DMG*D8*19800229*M~DTP*291*D8*20261116~EQ*30~SE*13*1001~"),
            std::string::npos)
      << bytes;
  const auto items = read_all<EligibilityInquiry>(bytes, read_270);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], q);
}

TEST(X12Transactions, A270WithARangeSeveralServiceTypesAndDefaults) {
  EligibilityInquiry q = sample_270();
  q.dates = {{"291", "2026-11-01", "2026-11-30"}};
  q.service_types = {"1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC"};
  q.created_date.clear();  // the interchange's
  q.created_time.clear();
  const std::string bytes =
      interchange("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1001, q); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("BHT*0022*13*REF0001*20261117*1504~"), std::string::npos);
  EXPECT_NE(bytes.find("DTP*291*RD8*20261101-20261130~EQ*1^33^35^47^86^88^98^AL^MH^UC~"),
            std::string::npos);
  const auto items = read_all<EligibilityInquiry>(bytes, read_270);
  ASSERT_EQ(items.size(), 1u);
  q.created_date = "2026-11-17";
  q.created_time = "1504";
  EXPECT_EQ(items[0], q);

  EligibilityInquiry bare = sample_270();
  bare.service_types.clear();
  bare.trace = {};
  bare.payer.id_qualifier.clear();  // PI
  const std::string defaults =
      interchange("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1002, bare); });
  expect_valid(defaults);
  EXPECT_NE(defaults.find("NM1*PR*2*ACME HEALTH PLAN*****PI*12345~"), std::string::npos);
  EXPECT_EQ(defaults.find("TRN*"), std::string::npos);
  EXPECT_NE(defaults.find("EQ*30~"), std::string::npos);
}

TEST(X12Transactions, A270ForADependentUsesTheDependentLoops) {
  EligibilityInquiry q = sample_270();
  q.subscriber = {"IL", '1', "", "", "", "MI", "11122333301"};
  q.dependent = {"03", '1', "SMITH", "MARY", "", "", ""};
  q.date_of_birth = "2015-10-14";
  q.gender = "F";
  const std::string bytes =
      interchange("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("HL*3*2*22*1~NM1*IL*1******MI*11122333301~HL*4*3*23*0~"
                       "TRN*1*TRACE-0001*9123456789~NM1*03*1*SMITH*MARY~DMG*D8*20151014*F~"
                       "DTP*291*D8*20261116~EQ*30~"),
            std::string::npos)
      << bytes;
  const auto items = read_all<EligibilityInquiry>(bytes, read_270);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], q);
}

TEST(X12Transactions, A271WithSeveralBenefitsValidatesAndReadsBackEqual) {
  const EligibilityResponse r = sample_271();
  const std::string bytes =
      interchange("HB", "005010X279A1", [&](Writer& w) { write_271(w, 2001, r); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("EB*B**98^UC^86***27*25*****Y~DTP*291*RD8*20260101-20261231~"
                       "MSG*COPAY APPLIES PER VISIT~MSG*REFERRAL NOT REQUIRED~"
                       "EB*C*FAM*30***29*1500.00*0.2*VS*12*N*W~AAA*N**57*C~SE*"),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("REF*6P*GRP-100*LAKESHORE EMPLOYEES~AAA*Y**72*C~DMG*D8*19800229*M~"),
            std::string::npos);
  const auto items = read_all<EligibilityResponse>(bytes, read_271);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], r);
  EXPECT_EQ(items[0].request_trace(), "TRACE-0001");
}

TEST(X12Transactions, A271CarriesAnAaaInEachLoop) {
  EligibilityResponse r = sample_271();
  r.rejections = {{"2000A", 'N', "42", "R"},
                  {"2100A", 'Y', "79", "P"},
                  {"2100B", 'N', "43", "N"},
                  {"2100C", 'N', "75", "C"},
                  {"2110C", 'N', "57", "W"}};
  const std::string bytes =
      interchange("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("HL*1**20*1~AAA*N**42*R~NM1*PR*2*ACME HEALTH PLAN*****PI*12345~"
                       "AAA*Y**79*P~HL*2*1*21*1~NM1*1P*2*LAKESHORE CLINIC*****XX*1234567893~"
                       "AAA*N**43*N~HL*3*2*22*0~"),
            std::string::npos)
      << bytes;
  const auto items = read_all<EligibilityResponse>(bytes, read_271);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].rejections, r.rejections);
  EXPECT_EQ(items[0], r);
}

TEST(X12Transactions, A271AnsweringAtTheSourceOrReceiverAloneIsOneResponse) {
  EligibilityResponse r;
  r.reference = "REF0001";
  r.payer = payer();
  r.rejections = {{"2000A", 'N', "42", "R"}};
  const std::string source_only =
      interchange("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  expect_valid(source_only);
  EXPECT_NE(source_only.find("HL*1**20*0~AAA*N**42*R~NM1*PR"), std::string::npos);
  EXPECT_EQ(source_only.find("HL*2"), std::string::npos);
  auto items = read_all<EligibilityResponse>(source_only, read_271);
  ASSERT_EQ(items.size(), 1u);
  r.created_date = "2026-11-17";
  r.created_time = "1504";
  EXPECT_EQ(items[0], r);

  r.provider = clinic();
  r.rejections = {{"2100B", 'N', "51", "N"}};
  const std::string receiver_only =
      interchange("HB", "005010X279A1", [&](Writer& w) { write_271(w, 2, r); });
  expect_valid(receiver_only);
  EXPECT_NE(receiver_only.find("HL*1**20*1~"), std::string::npos);
  EXPECT_NE(receiver_only.find("HL*2*1*21*0~"), std::string::npos);
  items = read_all<EligibilityResponse>(receiver_only, read_271);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], r);
  EXPECT_TRUE(items[0].subscriber.last_or_org.empty());
  EXPECT_EQ(items[0].request_trace(), "");
}

TEST(X12Transactions, A271ForADependentNamesTheDependentLoops) {
  EligibilityResponse r = sample_271();
  r.dependent = {"03", '1', "SMITH", "MARY", "", "", ""};
  r.rejections = {{"2100C", 'Y', "72", "C"}, {"2100D", 'N', "73", "C"}, {"2110D", 'N', "57", "C"}};
  const std::string bytes =
      interchange("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("HL*3*2*22*1~NM1*IL*1*SMITH*JOHN*Q***MI*W123456789~REF*6P*GRP-100*"
                       "LAKESHORE EMPLOYEES~AAA*Y**72*C~HL*4*3*23*0~TRN*2*TRACE-0001*9123456789~"
                       "TRN*1*PAYER-77*9999999999*DIV~NM1*03*1*SMITH*MARY~AAA*N**73*C~"
                       "DMG*D8*19800229*M~"),
            std::string::npos)
      << bytes;
  const auto items = read_all<EligibilityResponse>(bytes, read_271);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], r);
}

TEST(X12Transactions, A276ValidatesAndReadsBackEqual) {
  const ClaimInquiry q = sample_276();
  const std::string bytes = interchange("HR", "005010X212", [&](Writer& w) { write_276(w, 1, q); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("HL*4*3*22*0~DMG*D8*19800229*M~NM1*IL*1*SMITH*JOHN*Q***MI*W123456789~"
                       "TRN*1*CLAIM-TRACE-1~REF*1K*05347006051~REF*BLT*111~REF*EJ*SM123456~"
                       "AMT*T3*8513.88~DTP*472*RD8*20261031-20261106~SE*"),
            std::string::npos)
      << bytes;
  const auto items = read_all<ClaimInquiry>(bytes, read_276);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], q);
}

TEST(X12Transactions, A276ForADependentWithServiceLines) {
  ClaimInquiry q = sample_276();
  q.dependent = {"QC", '1', "SMITH", "MARY", "", "", ""};
  q.date_of_birth = "2015-10-14";
  q.gender = "F";
  ServiceLine line;
  line.procedure_qualifier = "HC";
  line.procedure = "99203";
  line.modifiers = {"25"};
  line.charge = "150";
  line.units = "1";
  line.line_control = "L1";
  line.service = {"472", "2026-11-01", ""};
  q.lines = {line, line};
  q.lines[1].procedure = "81002";
  q.lines[1].modifiers.clear();
  q.lines[1].line_control.clear();
  const std::string bytes = interchange("HR", "005010X212", [&](Writer& w) { write_276(w, 1, q); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("HL*4*3*22*1~NM1*IL*1*SMITH*JOHN*Q***MI*W123456789~HL*5*4*23~"
                       "DMG*D8*20151014*F~NM1*QC*1*SMITH*MARY~TRN*1*CLAIM-TRACE-1~"),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("SVC*HC:99203:25*150*****1~REF*FJ*L1~DTP*472*D8*20261101~"
                       "SVC*HC:81002*150*****1~DTP*472*D8*20261101~SE*"),
            std::string::npos)
      << bytes;
  const auto items = read_all<ClaimInquiry>(bytes, read_276);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], q);
}

TEST(X12Transactions, A277WithSeveralClaimsAndServiceLinesReadsBackAsOneResponse) {
  const ClaimStatusResponse r = sample_277();
  const std::string bytes = interchange("HN", "005010X212", [&](Writer& w) { write_277(w, 1, r); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("BHT*0010*08*277X212*20261117*0810*DG~"), std::string::npos);
  EXPECT_NE(bytes.find("STC*F1:65:PR*20261110**8513.88*7000*20261109*CHK*20261112*CHK-000123*"
                       "F1:107*F1:52:QC*PAID AS BILLED LESS COPAY~"),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("TRN*2*CLAIM-TRACE-2~STC*P1:20~STC*F2:80::RX~SVC*HC:99213:25::GT*150*120"
                       "****1~STC*F1:65~REF*FJ*LINE-1~DTP*472*D8*20261031~"
                       "SVC*HC:80053*45.50*0*0300~STC*F2:88*********F2:96~"),
            std::string::npos)
      << bytes;
  const auto items = read_all<ClaimStatusResponse>(bytes, read_277);
  ASSERT_EQ(items.size(), 1u);
  ASSERT_EQ(items[0].claims.size(), 2u);
  EXPECT_EQ(items[0].claims[0], r.claims[0]);
  EXPECT_EQ(items[0].claims[1], r.claims[1]);
  EXPECT_EQ(items[0], r);
}

TEST(X12Transactions, A277ForADependentAndAtTheReceiverAndProviderLevels) {
  ClaimStatusResponse r = sample_277();
  r.insured = r.subscriber;
  r.subscriber = {"QC", '1', "SMITH", "MARY", "", "", ""};
  ClaimStatusItem receiver;
  receiver.loop = "2200B";
  receiver.trace = {"2", "BATCH-1", "", ""};
  receiver.statuses = {status("A1", "19")};
  ClaimStatusItem provider;
  provider.loop = "2200C";
  provider.trace = {"1", "0", "", ""};
  StatusInfo not_found = status("E0", "24");
  not_found.entity = "1P";
  not_found.effective_date = "2026-11-17";
  provider.statuses = {not_found};
  r.claims.insert(r.claims.begin(), {receiver, provider});
  const std::string bytes = interchange("HN", "005010X212", [&](Writer& w) { write_277(w, 1, r); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("NM1*41*2*XYZ SERVICE*****46*X67E~TRN*2*BATCH-1~STC*A1:19~HL*3*2*19*1~"
                       "NM1*1P*2*LAKESHORE CLINIC*****XX*1234567893~TRN*1*0~"
                       "STC*E0:24:1P*20261117~HL*4*3*22*1~NM1*IL*1*SMITH*JOHN*Q***MI*W123456789~"
                       "HL*5*4*23~NM1*QC*1*SMITH*MARY~TRN*2*CLAIM-TRACE-1~"),
            std::string::npos)
      << bytes;
  const auto items = read_all<ClaimStatusResponse>(bytes, read_277);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0].provider.last_or_org.empty());
  EXPECT_EQ(items[0].claims, std::vector<ClaimStatusItem>{receiver});
  EXPECT_EQ(items[1].provider, r.provider);
  EXPECT_EQ(items[1].claims, std::vector<ClaimStatusItem>{provider});
  ClaimStatusResponse patient = r;
  patient.claims.erase(patient.claims.begin(), patient.claims.begin() + 2);
  EXPECT_EQ(items[2], patient);
  EXPECT_EQ(items[2].insured.id, "W123456789");
}

TEST(X12Transactions, ReadsEverySetOfEveryGroupAndHandsOverTheSt) {
  std::string bytes;
  for (std::uint32_t n : {1u, 2u}) {
    Writer w;
    w.begin_interchange(header(), n);
    w.begin_group("HB", "S", "R", "005010X279A1", n);
    for (std::uint32_t st = 1; st <= 3; ++st) {
      EligibilityResponse r = sample_271();
      r.traces = {{"2", "T" + std::to_string(n * 10 + st), "9123456789", ""}};
      write_271(w, st, r);
    }
    w.end_group();
    w.end_interchange();
    ASSERT_TRUE(w.status());
    bytes += w.out();
  }
  expect_valid(bytes);
  std::vector<std::string> seen;
  Reader reader = Reader::from_memory(bytes);
  const ReadSummary summary = read_271(reader, [&](EligibilityResponse&& r, const Segment& st) {
    seen.push_back(std::string(r.request_trace()) + "@" + std::string(st.element(2)));
    return true;
  });
  EXPECT_EQ(summary.sets, 6u);
  EXPECT_TRUE(summary.problems.empty()) << dump(summary.problems);
  EXPECT_EQ(seen, (std::vector<std::string>{"T11@0001", "T12@0002", "T13@0003", "T21@0001",
                                            "T22@0002", "T23@0003"}));

  // Returning false stops the walk.
  std::size_t calls = 0;
  Reader again = Reader::from_memory(bytes);
  read_271(again, [&](EligibilityResponse&&, const Segment&) { return ++calls < 2; });
  EXPECT_EQ(calls, 2u);
}

// ---- the writers refuse what the guide does not allow ---------------------------------------

TEST(X12Transactions, WritersNameTheSegmentElementAndLoopOfBadData) {
  EligibilityInquiry q = sample_270();
  q.payer.last_or_org.clear();
  Error e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::element_missing);
  EXPECT_EQ(e.segment_id, "NM1");
  EXPECT_EQ(e.element, 3);
  EXPECT_EQ(e.loop, "2100A");
  EXPECT_NE(e.reason.find("NM103"), std::string::npos) << e.reason;

  q = sample_270();
  q.subscriber.last_or_org = std::string(61, 'A');
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::element_too_long);
  EXPECT_EQ(e.segment_id, "NM1");
  EXPECT_EQ(e.element, 3);
  EXPECT_EQ(e.loop, "2100C");
  q.subscriber.last_or_org = std::string(60, 'A');
  interchange("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });

  q = sample_270();
  q.subscriber.first = std::string(36, 'B');
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::element_too_long);
  EXPECT_EQ(e.element, 4);

  q = sample_270();
  q.payer.id_qualifier = "MI";
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::invalid_code);
  EXPECT_EQ(e.element, 8);

  q = sample_270();
  q.date_of_birth = "1980-02-30";
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::invalid_date);
  EXPECT_EQ(e.segment_id, "DMG");
  EXPECT_EQ(e.element, 2);

  q = sample_270();
  q.dates = {{"291", "2026-11-30", "2026-11-01"}};  // out of order
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::invalid_date);
  EXPECT_EQ(e.segment_id, "DTP");
  EXPECT_EQ(e.element, 3);

  q = sample_270();
  q.trace.originator = "123";  // TRN03 is 10 characters
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::element_too_short);
  EXPECT_EQ(e.segment_id, "TRN");

  q = sample_270();
  q.subscriber = {"IL", '1', "", "", "", "", ""};
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::element_missing);
  EXPECT_EQ(e.segment_id, "NM1");

  q = sample_270();
  q.service_types.assign(100, "30");
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.segment_id, "EQ");

  q = sample_270();
  q.subscriber.last_or_org = "SMITH*JONES";  // the element separator inside data
  e = write_error("HS", "005010X279A1", [&](Writer& w) { write_270(w, 1, q); });
  EXPECT_EQ(e.code, ErrorCode::invalid_character);

  // A 270 in a 271's group.
  e = write_error("HB", "005010X279A1", [&](Writer& w) { write_270(w, 1, sample_270()); });
  EXPECT_EQ(e.code, ErrorCode::transaction_not_supported);

  EligibilityResponse r = sample_271();
  r.rejections = {{"2300", 'N', "72", "C"}};
  e = write_error("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  EXPECT_EQ(e.segment_id, "AAA");
  r.rejections = {{"2100C", 'N', "72", "Q"}};  // AAA04 not a follow-up code
  e = write_error("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  EXPECT_EQ(e.code, ErrorCode::invalid_code);
  EXPECT_EQ(e.element, 4);
  r = sample_271();
  r.benefits[1].info.clear();
  e = write_error("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  EXPECT_EQ(e.code, ErrorCode::element_missing);
  EXPECT_EQ(e.segment_id, "EB");
  EXPECT_EQ(e.loop, "2110C");
  r = sample_271();
  r.traces.push_back(r.traces[0]);
  r.traces.push_back(r.traces[0]);
  e = write_error("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  EXPECT_EQ(e.segment_id, "TRN");

  ClaimInquiry c = sample_276();
  c.trace.number.clear();
  e = write_error("HR", "005010X212", [&](Writer& w) { write_276(w, 1, c); });
  EXPECT_EQ(e.segment_id, "TRN");
  EXPECT_EQ(e.element, 2);
  EXPECT_EQ(e.loop, "2200D");
  c = sample_276();
  c.trace.originator = "9123456789";  // not used in a 276
  e = write_error("HR", "005010X212", [&](Writer& w) { write_276(w, 1, c); });
  EXPECT_EQ(e.code, ErrorCode::element_not_used);

  ClaimStatusResponse s = sample_277();
  s.claims[0].statuses.clear();
  e = write_error("HN", "005010X212", [&](Writer& w) { write_277(w, 1, s); });
  EXPECT_EQ(e.segment_id, "STC");
  EXPECT_EQ(e.loop, "2200D");
  s = sample_277();
  s.claims[1].lines[0].statuses.clear();
  e = write_error("HN", "005010X212", [&](Writer& w) { write_277(w, 1, s); });
  EXPECT_EQ(e.segment_id, "STC");
  EXPECT_EQ(e.loop, "2220D");
  s = sample_277();
  s.claims[0].statuses[0].category = "ZZ";
  e = write_error("HN", "005010X212", [&](Writer& w) { write_277(w, 1, s); });
  EXPECT_EQ(e.code, ErrorCode::invalid_code);
  EXPECT_EQ(e.segment_id, "STC");
  s = sample_277();
  s.claims[0].statuses[0].more.push_back("F1:1");
  e = write_error("HN", "005010X212", [&](Writer& w) { write_277(w, 1, s); });
  EXPECT_EQ(e.segment_id, "STC");
  s = sample_277();
  s.subscriber.entity_code = "QC";  // a dependent without its subscriber
  e = write_error("HN", "005010X212", [&](Writer& w) { write_277(w, 1, s); });
  EXPECT_EQ(e.code, ErrorCode::missing_segment);
  s = sample_277();
  s.insured = s.subscriber;
  s.subscriber = {"QC", '1', "SMITH", "MARY", "", "", ""};
  s.claims.clear();  // a dependent's level holds claims only
  e = write_error("HN", "005010X212", [&](Writer& w) { write_277(w, 1, s); });
  EXPECT_EQ(e.code, ErrorCode::missing_segment);
  EXPECT_EQ(e.segment_id, "TRN");
}

TEST(X12Transactions, AWriterStopsAtItsFirstProblem) {
  Writer w;
  w.begin_interchange(header(), 42);
  w.begin_group("HS", "SUBMITTER", "PAYER", "005010X279A1", 7);
  EligibilityInquiry q = sample_270();
  q.subscriber.first = std::string(36, 'B');
  write_270(w, 1, q);
  ASSERT_FALSE(w.status());
  const std::size_t size = w.out().size();
  write_270(w, 2, sample_270());
  w.end_group();
  EXPECT_EQ(w.out().size(), size);
  EXPECT_EQ(w.status().error().element, 4);
}

// ---- the guides' examples ------------------------------------------------------------------

TEST(X12Transactions, ReadsTheX279A1Examples) {
  const std::string example1 = read_data("270_x279a1_example1.x12");
  expect_valid(example1);
  auto inquiries = read_all<EligibilityInquiry>(example1, read_270);
  ASSERT_EQ(inquiries.size(), 1u);
  EXPECT_EQ(inquiries[0].reference, "10001234");
  EXPECT_EQ(inquiries[0].created_date, "2006-05-01");
  EXPECT_EQ(inquiries[0].payer, (Party{"PR", '2', "ABC COMPANY", "", "", "PI", "842610001"}));
  EXPECT_EQ(inquiries[0].provider,
            (Party{"1P", '2', "BONE AND JOINT CLINIC", "", "", "SV", "2000035"}));
  EXPECT_EQ(inquiries[0].trace, (Trace{"1", "93175-012547", "9877281234", ""}));
  EXPECT_EQ(inquiries[0].subscriber,
            (Party{"IL", '1', "SMITH", "ROBERT", "", "MI", "11122333301"}));
  EXPECT_EQ(inquiries[0].date_of_birth, "1943-05-19");
  EXPECT_EQ(inquiries[0].dates, (std::vector<DatePeriod>{{"291", "2006-05-01", ""}}));
  EXPECT_EQ(inquiries[0].service_types, std::vector<std::string>{"30"});

  const std::string example2a = read_data("guide/x279a1_270_example2a_dependent.x12");
  expect_valid(example2a);
  inquiries = read_all<EligibilityInquiry>(example2a, read_270);
  ASSERT_EQ(inquiries.size(), 1u);
  EXPECT_EQ(inquiries[0].provider, (Party{"1P", '1', "JONES", "MARCUS", "", "SV", "0202034"}));
  EXPECT_EQ(inquiries[0].subscriber.id, "11122333301");
  EXPECT_EQ(inquiries[0].dependent, (Party{"03", '1', "SMITH", "MARY", "", "", ""}));
  EXPECT_EQ(inquiries[0].date_of_birth, "1978-10-14");
  EXPECT_EQ(inquiries[0].trace.number, "93175-012547");

  const std::string example1b = read_data("271_x279a1_example1b.x12");
  expect_valid(example1b);
  auto responses = read_all<EligibilityResponse>(example1b, read_271);
  ASSERT_EQ(responses.size(), 1u);
  const EligibilityResponse& r = responses[0];
  EXPECT_EQ(r.request_trace(), "93175-012547");
  EXPECT_EQ(r.subscriber, (Party{"IL", '1', "SMITH", "JOHN", "", "MI", "123456789"}));
  EXPECT_EQ(r.date_of_birth, "1963-05-19");
  EXPECT_EQ(r.gender, "M");
  EXPECT_EQ(r.dates, (std::vector<DatePeriod>{{"346", "2006-01-01", ""}}));
  ASSERT_EQ(r.benefits.size(), 5u);
  EXPECT_EQ(r.benefits[0].info, "1");
  EXPECT_EQ(r.benefits[0].service_types, std::vector<std::string>{"30"});
  EXPECT_EQ(r.benefits[0].plan_description, "GOLD 123 PLAN");
  EXPECT_EQ(r.benefits[1].info, "L");
  EXPECT_EQ(r.benefits[2].service_types.size(), 10u);
  EXPECT_EQ(r.benefits[3].info, "B");
  EXPECT_EQ(r.benefits[3].time_period, "27");
  EXPECT_EQ(r.benefits[3].amount, "10");
  EXPECT_EQ(r.benefits[3].in_network, "Y");
  EXPECT_EQ(r.benefits[4].amount, "30");
  EXPECT_EQ(r.benefits[4].in_network, "N");
  EXPECT_TRUE(r.rejections.empty());

  const std::string example2b = read_data("guide/x279a1_271_example2b_dependent.x12");
  expect_valid(example2b);
  responses = read_all<EligibilityResponse>(example2b, read_271);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].subscriber.id, "123456789");
  EXPECT_EQ(responses[0].dependent, (Party{"03", '1', "SMITH", "MARY", "", "", ""}));
  EXPECT_EQ(responses[0].date_of_birth, "1998-10-14");  // the dependent's, not the subscriber's
  EXPECT_EQ(responses[0].gender, "F");
  EXPECT_EQ(responses[0].request_trace(), "93175-012547");
  EXPECT_EQ(responses[0].benefits.size(), 5u);

  const std::string rejected = read_data("guide/x279a1_271_error_receiver_not_eligible.x12");
  expect_valid(rejected);
  responses = read_all<EligibilityResponse>(rejected, read_271);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].rejections, (std::vector<Rejection>{{"2100B", 'Y', "50", "N"}}));
  EXPECT_EQ(responses[0].provider.last_or_org, "BONE AND JOINT CLINIC");
  EXPECT_TRUE(responses[0].benefits.empty());
}

TEST(X12Transactions, RewritesTheX279A1RequestExamplesByteForByte) {
  for (const char* name : {"270_x279a1_example1.x12", "guide/x279a1_270_example2a_dependent.x12"}) {
    const std::string original = read_data(name);
    const auto inquiries = read_all<EligibilityInquiry>(original, read_270);
    ASSERT_EQ(inquiries.size(), 1u) << name;
    Reader reader = Reader::from_memory(original);
    std::string set;
    std::uint32_t st02 = 0;
    bool in_set = false;
    while (const Segment* s = reader.next()) {
      if (s->id() == "ST") {
        in_set = true;
        st02 = static_cast<std::uint32_t>(std::stoul(std::string(s->element(2))));
      }
      if (in_set) set += std::string(s->text()) + "~";
      if (s->id() == "SE") in_set = false;
    }
    const std::string rewritten =
        interchange("HS", "005010X279A1", [&](Writer& w) { write_270(w, st02, inquiries[0]); });
    EXPECT_NE(rewritten.find(set), std::string::npos) << name << "\n" << set << "\n" << rewritten;
  }
}

TEST(X12Transactions, ReadsTheX212Examples) {
  const std::string request = read_data("276_x212_claim_request.x12");
  expect_valid(request);
  const auto claims = read_all<ClaimInquiry>(request, read_276);
  ASSERT_EQ(claims.size(), 3u);
  EXPECT_EQ(claims[0].reference, "ABC276XXX");
  EXPECT_EQ(claims[0].payer, (Party{"PR", '2', "ABC INSURANCE", "", "", "PI", "12345"}));
  EXPECT_EQ(claims[0].receiver, (Party{"41", '2', "XYZ SERVICE", "", "", "46", "X67E"}));
  EXPECT_EQ(claims[0].provider.id, "1666666661");
  EXPECT_EQ(claims[0].subscriber.id, "123456789A");
  EXPECT_EQ(claims[0].date_of_birth, "1930-12-10");
  EXPECT_EQ(claims[0].trace, (Trace{"1", "ABCXYZ1", "", ""}));
  EXPECT_EQ(claims[0].bill_type, "111");
  EXPECT_EQ(claims[0].patient_account, "SM123456");
  EXPECT_EQ(claims[0].total_charge, "8513.88");
  EXPECT_EQ(claims[0].service, (DatePeriod{"472", "2005-08-31", "2005-09-06"}));
  EXPECT_EQ(claims[1].subscriber.last_or_org, "JONES");
  EXPECT_EQ(claims[1].gender, "F");
  EXPECT_EQ(claims[2].provider.last_or_org, "HOME HOSPITAL PHYSICIANS");
  EXPECT_EQ(claims[2].subscriber.last_or_org, "MANN");
  EXPECT_EQ(claims[2].dependent, (Party{"QC", '1', "MANN", "JOSEPH", "", "", ""}));
  EXPECT_EQ(claims[2].date_of_birth, "1995-11-01");
  ASSERT_EQ(claims[2].lines.size(), 1u);
  EXPECT_EQ(claims[2].lines[0].procedure, "99203");
  EXPECT_EQ(claims[2].lines[0].charge, "150");
  EXPECT_EQ(claims[2].lines[0].units, "1");
  EXPECT_EQ(claims[2].lines[0].service.from, "2005-05-01");

  for (const char* name :
       {"guide/x212_276_provider_request.x12", "guide/x212_276_info_receiver_request.x12",
        "guide/x212_276_ncpdp_request.x12"}) {
    const std::string bytes = read_data(name);
    expect_valid(bytes);
    EXPECT_FALSE(read_all<ClaimInquiry>(bytes, read_276).empty()) << name;
  }

  const std::string response = read_data("277_x212_claim_response.x12");
  expect_valid(response);
  const auto statuses = read_all<ClaimStatusResponse>(response, read_277);
  ASSERT_EQ(statuses.size(), 3u);
  ASSERT_EQ(statuses[0].claims.size(), 1u);
  const ClaimStatusItem& first = statuses[0].claims[0];
  EXPECT_EQ(first.trace, (Trace{"2", "ABCXYZ1", "", ""}));
  ASSERT_EQ(first.statuses.size(), 1u);
  EXPECT_EQ(first.statuses[0].category, "P3");
  EXPECT_EQ(first.statuses[0].status, "317");
  EXPECT_EQ(first.statuses[0].effective_date, "2005-09-13");
  EXPECT_EQ(first.statuses[0].total_charge, "8513.88");
  EXPECT_EQ(first.payer_claim_number, "05347006051");
  EXPECT_EQ(first.bill_type, "111");
  EXPECT_EQ(first.patient_account, "SM123456");
  EXPECT_EQ(first.service, (DatePeriod{"472", "2005-08-31", "2005-09-06"}));
  EXPECT_EQ(statuses[1].claims.at(0).statuses.at(0).paid, "7599");
  const ClaimStatusResponse& dependent = statuses[2];
  EXPECT_EQ(dependent.subscriber, (Party{"QC", '1', "MANN", "JOSEPH", "", "", ""}));
  EXPECT_EQ(dependent.insured.last_or_org, "MANN");
  EXPECT_EQ(dependent.insured.first, "JOHN");
  ASSERT_EQ(dependent.claims.size(), 1u);
  EXPECT_EQ(dependent.claims[0].statuses.at(0).entity, "QC");
  ASSERT_EQ(dependent.claims[0].lines.size(), 1u);
  const ServiceLine& line = dependent.claims[0].lines[0];
  EXPECT_EQ(line.procedure_qualifier, "HC");
  EXPECT_EQ(line.procedure, "99203");
  EXPECT_EQ(line.paid, "0");
  EXPECT_EQ(line.statuses.at(0).category, "F2");
  EXPECT_EQ(line.statuses.at(0).status, "88");
  EXPECT_EQ(line.service.from, "2005-05-01");

  const std::string receiver = read_data("guide/x212_277_info_receiver_response.x12");
  expect_valid(receiver);
  auto level = read_all<ClaimStatusResponse>(receiver, read_277);
  ASSERT_EQ(level.size(), 1u);
  ASSERT_EQ(level[0].claims.size(), 1u);
  EXPECT_EQ(level[0].claims[0].loop, "2200B");
  EXPECT_EQ(level[0].claims[0].trace.number, "ABC276XXX");
  EXPECT_EQ(level[0].claims[0].statuses.at(0).category, "E0");

  const std::string provider = read_data("guide/x212_277_provider_response.x12");
  expect_valid(provider);
  level = read_all<ClaimStatusResponse>(provider, read_277);
  ASSERT_EQ(level.size(), 2u);
  EXPECT_EQ(level[0].claims.at(0).trace.number, "ABCXYZ1");
  EXPECT_EQ(level[1].claims.at(0).loop, "2200C");
  EXPECT_EQ(level[1].provider.id, "6166666666");
  EXPECT_EQ(level[1].claims.at(0).statuses.at(0).entity, "1P");

  const std::string ncpdp = read_data("guide/x212_277_ncpdp_response.x12");
  expect_valid(ncpdp);
  level = read_all<ClaimStatusResponse>(ncpdp, read_277);
  ASSERT_EQ(level.size(), 1u);
  const StatusInfo& rx = level[0].claims.at(0).statuses.at(0);
  EXPECT_EQ(rx.category, "F2");
  EXPECT_EQ(rx.status, "80");
  EXPECT_EQ(rx.entity, "");
  EXPECT_EQ(rx.code_list, "RX");
}

// ---- hostile inputs ------------------------------------------------------------------------

TEST(X12Transactions, ATruncatedSetHandsOverNoHalfItemAndSaysWhere) {
  const std::string bytes =
      interchange("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, sample_271()); });
  const std::string cut = bytes.substr(0, bytes.find("EB*C"));
  ReadSummary summary;
  const auto items = read_all<EligibilityResponse>(cut, read_271, &summary);
  EXPECT_TRUE(items.empty());
  ASSERT_FALSE(summary.problems.empty());
  for (const Error& e : summary.problems) EXPECT_FALSE(e.reason.empty());
  EXPECT_EQ(summary.problems.back().code, ErrorCode::missing_iea) << dump(summary.problems);

  // Cut inside a segment: the reader's error, with its offset.
  const std::string mid = bytes.substr(0, bytes.find("EB*C") + 3);
  const auto none = read_all<EligibilityResponse>(mid, read_271, &summary);
  EXPECT_TRUE(none.empty());
  ASSERT_FALSE(summary.problems.empty());
  EXPECT_EQ(summary.problems.back().byte_offset, bytes.find("EB*C"));
}

TEST(X12Transactions, ProblemsOfHostileSetsCarryPositions) {
  const std::string body =
      "ST*271*0001*005010X279A1~BHT*0022*11*R*20261117*1200~"
      "EB*1~"                                  // 3: before any HL
      "HL*1**20*1~NM1*PR*2*PAYER*****PI*1~"    // 4, 5
      "TRN*2*X*9123456789~"                    // 6: a trace in the source loop
      "HL*2*2*21*1~NM1*1P*2*CLINIC*****XX*1~"  // 7: HL pointing at itself
      "NM1*1P*2*AGAIN*****XX*2~"               // 9: a second NM1 in 2100B
      "HL*3*2*22*1~NM1*IL*1*SMITH****MI*9~"    // 10, 11
      "DTP*346*D8*20261341~"                   // 12: not a date
      "MSG*NO BENEFIT BEFORE ME~"              // 13: a message outside a benefit
      "ZZZ*SKIPPED SILENTLY~"                  // 14: not mapped
      "HL*4*3*99*0~EB*1~"                      // 15, 16: an unknown level
      "SE*17*0001~";
  const std::string bytes = std::string(x12::test::k_isa) +
                            "GS*HB*S*R*20260101*1200*5*X*005010X279A1~" + body +
                            "GE*1*5~IEA*1*000000001~";
  ReadSummary summary;
  const auto items = read_all<EligibilityResponse>(bytes, read_271, &summary);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].subscriber.last_or_org, "SMITH");
  EXPECT_EQ(items[0].provider.last_or_org, "CLINIC");
  EXPECT_TRUE(items[0].dates.empty());
  std::vector<std::size_t> positions;
  for (const Error& e : summary.problems) {
    positions.push_back(e.segment_position - 2);  // ISA, GS before the set
    EXPECT_GT(e.byte_offset, 0u);
    EXPECT_FALSE(e.reason.empty());
  }
  EXPECT_EQ(positions, (std::vector<std::size_t>{3, 6, 7, 9, 12, 13, 15, 16}))
      << dump(summary.problems);
  auto has = [&](std::size_t position, ErrorCode code) {
    for (const Error& e : summary.problems)
      if (e.segment_position == position + 2 && e.code == code) return true;
    return false;
  };
  EXPECT_TRUE(has(7, ErrorCode::hl_invalid));
  EXPECT_TRUE(has(9, ErrorCode::unexpected_segment));
  EXPECT_TRUE(has(12, ErrorCode::invalid_date));
  EXPECT_TRUE(has(15, ErrorCode::hl_invalid));
}

TEST(X12Transactions, ReadersSkipSetsOfAnotherKindWithAProblem) {
  const std::string bytes = read_data("270_x279a1_example1.x12");
  ReadSummary summary;
  EXPECT_TRUE(read_all<EligibilityResponse>(bytes, read_271, &summary).empty());
  EXPECT_EQ(summary.sets, 0u);
  ASSERT_EQ(summary.problems.size(), 1u);
  EXPECT_EQ(summary.problems[0].code, ErrorCode::transaction_not_supported);
  EXPECT_EQ(summary.problems[0].segment_position, 3u);

  EXPECT_TRUE(read_all<ClaimStatusResponse>("not x12 at all", read_277, &summary).empty());
  ASSERT_EQ(summary.problems.size(), 1u);
  EXPECT_EQ(summary.problems[0].code, ErrorCode::isa_malformed);
}

TEST(X12Transactions, AHostileListIsCappedPerItem) {
  EligibilityResponse r = sample_271();
  r.rejections.clear();
  r.benefits.assign(10001, r.benefits[0]);
  const std::string bytes =
      interchange("HB", "005010X279A1", [&](Writer& w) { write_271(w, 1, r); });
  ReadSummary summary;
  const auto items = read_all<EligibilityResponse>(bytes, read_271, &summary);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].benefits.size(), 10000u);
  ASSERT_EQ(summary.problems.size(), 1u);
  EXPECT_EQ(summary.problems[0].code, ErrorCode::segment_over_max);
}

// Mutations of every example and of what the writers write: no reader may crash, hang or
// report a problem without a position and a reason.
TEST(X12Transactions, ReadersSurviveMutatedInput) {
  std::vector<std::string> seeds;
  for (const char* name :
       {"270_x279a1_example1.x12", "271_x279a1_example1b.x12", "276_x212_claim_request.x12",
        "277_x212_claim_response.x12", "guide/x279a1_271_example2b_dependent.x12",
        "guide/x212_277_provider_response.x12"})
    seeds.push_back(read_data(name));
  seeds.push_back(interchange("HN", "005010X212", [&](Writer& w) {
    ClaimStatusResponse r = sample_277();
    r.insured = r.subscriber;
    r.subscriber = {"QC", '1', "SMITH", "MARY", "", "", ""};
    write_277(w, 1, r);
  }));
  std::mt19937 random(20261117);
  const std::string alphabet = "*~:^HLNMSTE0123456789 \n";
  std::size_t items = 0;
  for (int round = 0; round < 400; ++round) {
    std::string bytes = seeds[static_cast<std::size_t>(round) % seeds.size()];
    for (int k = 0; k < 1 + round % 5; ++k) {
      const std::size_t at = random() % bytes.size();
      switch (random() % 4) {
        case 0:
          bytes[at] = alphabet[random() % alphabet.size()];
          break;
        case 1:
          bytes.erase(at, 1 + random() % 40);
          break;
        case 2:
          bytes.insert(at, bytes.substr(random() % bytes.size(), 1 + random() % 60));
          break;
        default:
          bytes.resize(at);
          break;
      }
      if (bytes.empty()) bytes = "ISA";
    }
    auto check = [&](const ReadSummary& s) {
      EXPECT_LE(s.problems.size(), 1000u);
      for (const Error& e : s.problems) {
        EXPECT_FALSE(e.reason.empty());
        EXPECT_LE(e.byte_offset, bytes.size()) << to_string(e);
      }
    };
    auto count = [&](auto&&, const Segment&) {
      ++items;
      return true;
    };
    Reader r1 = Reader::from_memory(bytes);
    check(read_270(r1, count));
    Reader r2 = Reader::from_memory(bytes);
    check(read_271(r2, count));
    Reader r3 = Reader::from_memory(bytes);
    check(read_276(r3, count));
    Reader r4 = Reader::from_memory(bytes);
    check(read_277(r4, count));
  }
  EXPECT_GT(items, 0u);
}

// ---- an outside opinion --------------------------------------------------------------------

namespace {

// Runs `command`, returning its exit status and filling `output` with what it printed.
int run(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace

// node-x12 (scripts/x12_check.js, installed into .tools by scripts/setup.sh) parses one
// interchange of every kind the codec writes. X12_INTEROP_DIR, when set, keeps the samples there.
TEST(X12Interop, NodeX12ParsesEveryKindTheWritersWrite) {
  const std::filesystem::path repo = std::filesystem::path(PORTAL_TEST_DATA_DIR) / ".." / "..";
  const std::filesystem::path checker = repo / "scripts" / "x12_check.js";
  const bool have_tools =
      std::filesystem::exists(repo / ".tools" / "node_modules" / "node-x12" / "package.json");
  std::string output;
  const bool have_node = run("command -v node", output) == 0;
  if (!have_node || !have_tools) {
    const std::string why = !have_node ? "node is not installed"
                                       : "node-x12 is not installed in .tools (scripts/setup.sh "
                                         "installs it)";
    if (std::getenv("CI") != nullptr) FAIL() << why << ", but CI must run this check";
    GTEST_SKIP() << why;
  }

  portal::test::TempDir temp;
  const char* keep = std::getenv("X12_INTEROP_DIR");
  const std::filesystem::path dir = keep != nullptr ? std::filesystem::path(keep) : temp.path();
  std::filesystem::create_directories(dir);
  std::vector<std::filesystem::path> files;
  auto save = [&](const std::string& name, const std::string& bytes) {
    expect_valid(bytes);
    files.push_back(dir / name);
    std::ofstream(files.back(), std::ios::binary) << bytes;
  };
  save("270.x12", interchange("HS", "005010X279A1", [&](Writer& w) {
         write_270(w, 1, sample_270());
         EligibilityInquiry dependent = sample_270();
         dependent.dependent = {"03", '1', "SMITH", "MARY", "", "", ""};
         write_270(w, 2, dependent);
       }));
  save("271.x12", interchange("HB", "005010X279A1", [&](Writer& w) {
         write_271(w, 1, sample_271());
         EligibilityResponse r = sample_271();
         r.dependent = {"03", '1', "SMITH", "MARY", "", "", ""};
         r.rejections = {{"2000A", 'N', "42", "R"}, {"2100D", 'N', "73", "C"}};
         write_271(w, 2, r);
       }));
  save("276.x12", interchange("HR", "005010X212", [&](Writer& w) {
         write_276(w, 1, sample_276());
         ClaimInquiry dependent = sample_276();
         dependent.dependent = {"QC", '1', "SMITH", "MARY", "", "", ""};
         write_276(w, 2, dependent);
       }));
  save("277.x12", interchange("HN", "005010X212", [&](Writer& w) {
         write_277(w, 1, sample_277());
         ClaimStatusResponse dependent = sample_277();
         dependent.insured = dependent.subscriber;
         dependent.subscriber = {"QC", '1', "SMITH", "MARY", "", "", ""};
         write_277(w, 2, dependent);
       }));
  // A 999 acknowledging the 270s above, alone and after a TA1; and a TA1 alone.
  const std::string requests = [&] {
    std::ifstream in(files[0], std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const Report report = validate(requests);
  const std::vector<InterchangeRange> ranges = envelope_ranges(requests);
  ASSERT_EQ(ranges.size(), 1u);
  const GroupAck ack = acknowledge(report, ranges[0].groups.at(0));
  const Ta1 ta1 = acknowledge_interchange(report, ranges[0]);
  auto answer = [&](bool with_ta1, bool with_999) {
    Writer w;
    w.begin_interchange(header(), 77);
    if (with_ta1) write_ta1(w, ta1);
    if (with_999) {
      w.begin_group("FA", "PAYER", "SUBMITTER", "005010X231A1", 78);
      write_999(w, 1, ack);
      w.end_group();
    }
    w.end_interchange();
    EXPECT_TRUE(w.status()) << to_string(w.status().error());
    return w.out();
  };
  save("999.x12", answer(false, true));
  save("ta1_999.x12", answer(true, true));
  save("ta1.x12", answer(true, false));

  std::string command = "node " + quoted(checker);
  for (const auto& f : files) command += " " + quoted(f);
  ASSERT_EQ(run(command, output), 0) << command << "\n" << output;
  for (const char* line :
       {"set 270 0001", "set 270 0002", "set 271 0002", "set 276 0002", "set 277 0002",
        "set 999 0001", "ta1 000000042 A 000", "interchange 77 groups 0"})
    EXPECT_NE(output.find(line), std::string::npos) << line << " not in:\n" << output;

  // A control: node-x12 does refuse a wrong count.
  std::string broken = requests;
  broken.replace(broken.find("SE*13*"), 6, "SE*12*");
  const std::filesystem::path bad = temp.path() / "broken.x12";
  std::ofstream(bad, std::ios::binary) << broken;
  EXPECT_EQ(run("node " + quoted(checker) + " " + quoted(bad), output), 1) << output;
}
