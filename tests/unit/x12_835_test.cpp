// The 835 remittance (005010X221A1): the guide's examples read and balance, balancing findings,
// reversals, PLB, hostile input and the writer's round trip.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "x12/remittance.hpp"
#include "x12/validate.hpp"
#include "x12_test_util.hpp"

using namespace x12;
using x12::test::read_data;

namespace {

std::string dump(const std::vector<Error>& errors) {
  std::string out;
  for (const Error& e : errors) out += to_string(e) + "\n";
  return out;
}

std::vector<Remittance> read_all(const std::string& bytes, ReadSummary* summary = nullptr) {
  std::vector<Remittance> items;
  Reader reader = Reader::from_memory(bytes);
  ReadSummary s = read_835(reader, [&](Remittance&& r, const Segment& st) {
    EXPECT_EQ(st.id(), "ST");
    items.push_back(std::move(r));
    return true;
  });
  if (summary != nullptr)
    *summary = std::move(s);
  else
    EXPECT_TRUE(s.problems.empty()) << dump(s.problems);
  return items;
}

// An interchange around one 835 body (BPR..PLB, without ST/SE), SE01 counted.
std::string wrap(const std::vector<std::string>& body) {
  std::string out =
      std::string(x12::test::k_isa) + "GS*HP*SENDER*RECEIVER*20260101*1200*1*X*005010X221A1~";
  out += "ST*835*0001*005010X221A1~";
  for (const std::string& s : body) out += s + "~";
  out += "SE*" + std::to_string(body.size() + 2) + "*0001~GE*1*1~IEA*1*000000001~";
  return out;
}

const std::vector<std::string> k_head = {"BPR*I*100*C*CHK************20260105",
                                         "TRN*1*CHK0001*1999999999",
                                         "N1*PR*ACME HEALTH PLAN",
                                         "N3*1 MAIN ST",
                                         "N4*SPRINGFIELD*IL*62701",
                                         "N1*PE*LAKESHORE CLINIC*XX*1234567893",
                                         "LX*1"};

std::vector<std::string> with_head(std::vector<std::string> claims, std::string bpr = {}) {
  std::vector<std::string> body = k_head;
  if (!bpr.empty()) body[0] = bpr;
  body.insert(body.end(), claims.begin(), claims.end());
  return body;
}

bool has_problem(const ReadSummary& s, std::string_view segment, std::size_t position,
                 std::string_view words) {
  for (const Error& e : s.problems)
    if (e.segment_id == segment && e.segment_position == position &&
        e.reason.find(words) != std::string::npos)
      return true;
  return false;
}

}  // namespace

TEST(X12Money, ParsesDecimalsExactly) {
  EXPECT_EQ(parse_cents("-12.5"), -1250);
  EXPECT_EQ(parse_cents("100"), 10000);
  EXPECT_EQ(parse_cents(".5"), 50);
  EXPECT_EQ(parse_cents("0.07"), 7);
  EXPECT_EQ(parse_cents("138018.4"), 13801840);
  EXPECT_EQ(parse_cents("1.230"), 123);
  EXPECT_EQ(parse_cents("99999999999999999"), std::nullopt);     // 17 digits before the point
  EXPECT_EQ(parse_cents("1234567890123456.789"), std::nullopt);  // 19 digits
  EXPECT_EQ(parse_cents("9999999999999999.99"), 999999999999999999);
  for (std::string_view bad : {"", "-", ".", "1.234", "1e3", "12,5", "1.2.3", " 1", "--1", "0x10"})
    EXPECT_EQ(parse_cents(bad), std::nullopt) << bad;
  EXPECT_EQ(format_cents(1250), "12.5");
  EXPECT_EQ(format_cents(-127), "-1.27");
  EXPECT_EQ(format_cents(10000), "100");
  EXPECT_EQ(format_cents(5), "0.05");
  EXPECT_EQ(format_cents(-50), "-0.5");
  EXPECT_EQ(format_cents(0), "0");
  // A sum of many cents never drifts.
  Cents total = 0;
  for (int i = 0; i < 1000; ++i) total += *parse_cents("0.10");
  EXPECT_EQ(format_cents(total), "100");
}

TEST(X12_835, GuideExample1ReadsAndBalances) {
  const auto items = read_all(read_data("835_x221a1_example1.x12"));
  ASSERT_EQ(items.size(), 1u);
  const Remittance& r = items[0];
  EXPECT_EQ(r.handling, "C");
  EXPECT_EQ(r.total_paid, 15000000);
  EXPECT_EQ(r.credit_debit, "C");
  EXPECT_EQ(r.payment_method, "ACH");
  EXPECT_EQ(r.payment_format, "CTX");
  EXPECT_EQ(r.receiver_account, "98765");
  EXPECT_EQ(r.payment_date, "2002-09-13");
  EXPECT_EQ(r.trace.number, "12345");
  EXPECT_EQ(r.production_date, "2002-09-16");
  EXPECT_EQ(r.payer.last_or_org, "INSURANCE COMPANY OF TIMBUCKTU");
  EXPECT_EQ(r.payer_address.city, "TIMBUCKTU");
  EXPECT_EQ(r.payee.last_or_org, "REGIONAL HOPE HOSPITAL");
  EXPECT_EQ(r.payee.id_qualifier, "XX");
  EXPECT_EQ(r.payee.id, "6543210903");
  ASSERT_EQ(r.claims.size(), 2u);
  const RemittanceClaim& c = r.claims[0];
  EXPECT_EQ(c.patient_control_number, "666123");
  EXPECT_EQ(c.status, "1");
  EXPECT_EQ(c.charged, 21136697);
  EXPECT_EQ(c.paid, 13801840);
  EXPECT_EQ(c.filing_indicator, "MA");
  EXPECT_EQ(c.payer_claim_control_number, "1999999444444");
  EXPECT_EQ(c.patient.last_or_org, "JONES");
  EXPECT_EQ(c.patient.id, "666666666A");
  ASSERT_EQ(c.adjustments.size(), 1u);
  EXPECT_EQ(c.adjustments[0], (Adjustment{"CO", "45", 7334857, ""}));
  ASSERT_EQ(c.dates.size(), 2u);
  EXPECT_EQ(c.dates[1].qualifier, "233");
  EXPECT_EQ(c.dates[1].from, "2002-08-24");
  EXPECT_EQ(r.claims[1].remarks, std::vector<std::string>{"MA02"});
  ASSERT_EQ(r.provider_adjustments.size(), 1u);
  EXPECT_EQ(r.provider_adjustments[0],
            (ProviderAdjustment{"6543210903", "2002-12-31", "CV", "CP", -127}));
  const auto findings = balance(r);
  EXPECT_TRUE(findings.empty()) << (findings.empty() ? "" : to_string(findings[0]));
}

TEST(X12_835, GuideExample2ReadsLinesAndBalances) {
  const auto items = read_all(read_data("835_x221a1_example2.x12"));
  ASSERT_EQ(items.size(), 1u);
  const Remittance& r = items[0];
  EXPECT_EQ(r.handling, "I");
  EXPECT_EQ(r.payee_tax_id, "777667755");
  ASSERT_EQ(r.claims.size(), 2u);
  const RemittanceClaim& c = r.claims[1];
  EXPECT_EQ(c.patient_responsibility, 60000);
  EXPECT_EQ(c.patient.id_qualifier, "MI");
  ASSERT_EQ(c.lines.size(), 1u);
  const RemittanceLine& l = c.lines[0];
  EXPECT_EQ(l.procedure_qualifier, "HC");
  EXPECT_EQ(l.procedure, "93555");
  EXPECT_EQ(l.charged, 120000);
  EXPECT_EQ(l.paid, 55000);
  ASSERT_EQ(l.dates.size(), 2u);
  EXPECT_EQ(l.dates[0].qualifier, "150");
  EXPECT_EQ(l.dates[0].from, "2002-03-10");
  ASSERT_EQ(l.adjustments.size(), 2u);
  EXPECT_EQ(l.adjustments[1], (Adjustment{"CO", "45", 5000, ""}));
  EXPECT_TRUE(balance(r).empty()) << to_string(balance(r)[0]);
}

TEST(X12_835, GuideExamplesPassTheGuideTables) {
  for (const char* name : {"835_x221a1_example1.x12", "835_x221a1_example2.x12"}) {
    const Report rep = validate(read_data(name));
    EXPECT_TRUE(rep.ok()) << name << "\n" << dump(rep.findings);
  }
}

TEST(X12_835, OneCentImbalanceNamesTheCheckAndTheDifference) {
  const auto items = read_all(wrap(with_head(
      {"CLP*PCN1*1*150*100.01**12*PAYER1", "CAS*CO*45*49.99", "NM1*QC*1*DOE*JANE****MI*M1"})));
  ASSERT_EQ(items.size(), 1u);
  const auto findings = balance(items[0]);
  ASSERT_EQ(findings.size(), 1u);
  const BalanceFinding& f = findings[0];
  EXPECT_EQ(f.check, "CHK0001");
  EXPECT_EQ(f.claim, "");
  EXPECT_EQ(f.expected, 10001);
  EXPECT_EQ(f.actual, 10000);
  EXPECT_EQ(f.difference(), -1);
  EXPECT_EQ(f.position, 4u);  // the BPR: ISA 1, GS 2, ST 3
  EXPECT_EQ(to_string(f),
            "check CHK0001: expected 100.01, found 100 (difference -0.01); BPR02 = sum of CLP04 "
            "- PLB");
  EXPECT_EQ(to_string(f).find("DOE"), std::string::npos);
}

TEST(X12_835, LineAndClaimImbalancesNameClaimAndLine) {
  const auto items = read_all(wrap(
      with_head({"CLP*PCN7*1*200*100**12*PAYER7", "NM1*QC*1*DOE*JANE****MI*M1",
                 "SVC*HC:99213*120*60", "CAS*CO*45*50", "SVC*HC:99214*80*40", "CAS*CO*45*40"})));
  ASSERT_EQ(items.size(), 1u);
  const auto findings = balance(items[0]);
  ASSERT_EQ(findings.size(), 2u) << to_string(findings[0]);
  EXPECT_EQ(findings[0].claim, "PCN7");
  EXPECT_EQ(findings[0].line, 1u);
  EXPECT_EQ(findings[0].expected, 7000);
  EXPECT_EQ(findings[0].actual, 6000);
  EXPECT_EQ(findings[0].position, 13u);
  EXPECT_EQ(findings[1].claim, "PCN7");
  EXPECT_EQ(findings[1].line, 0u);
  EXPECT_EQ(findings[1].rule, "CLP04 = CLP03 - claim CAS - line CAS");
  EXPECT_EQ(findings[1].difference(), -1000);
}

TEST(X12_835, ReversalAndCorrectionBalance) {
  // The payer takes back the first payment (CLP02 22, negative amounts) and pays it again.
  const auto items = read_all(wrap(with_head(
      {"CLP*PCN9*22*-150*-80*-20*12*PAYER9", "CAS*CO*45*-50", "CAS*PR*1*-20",
       "NM1*QC*1*DOE*JANE****MI*M1", "SVC*HC:99213:25*-150*-80", "CAS*CO*45*-50", "CAS*PR*1*-20",
       "CLP*PCN9*1*150*100*20*12*PAYER9B", "CAS*CO*45*30", "NM1*QC*1*DOE*JANE****MI*M1",
       "SVC*HC:99213:25*150*100", "CAS*CO*45*30", "CAS*PR*1*20"},
      "BPR*I*20*C*NON************20260105")));
  ASSERT_EQ(items.size(), 1u);
  const Remittance& r = items[0];
  ASSERT_EQ(r.claims.size(), 2u);
  EXPECT_EQ(r.claims[0].status, "22");
  EXPECT_EQ(r.claims[0].paid, -8000);
  EXPECT_EQ(r.claims[0].lines[0].modifiers, std::vector<std::string>{"25"});
  // Claim CAS and line CAS both count for the claim: here the claim's own CAS doubles them.
  auto findings = balance(r);
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].claim, "PCN9");
  EXPECT_EQ(findings[0].rule, "CLP04 = CLP03 - claim CAS - line CAS");
  // Without the duplicated claim-level CAS, the pair balances to the check.
  const auto fixed = read_all(wrap(with_head(
      {"CLP*PCN9*22*-150*-80*-20*12*PAYER9", "NM1*QC*1*DOE*JANE****MI*M1",
       "SVC*HC:99213:25*-150*-80", "CAS*CO*45*-50", "CAS*PR*1*-20", "CLP*PCN9*1*150*100*20*12*P9B",
       "NM1*QC*1*DOE*JANE****MI*M1", "SVC*HC:99213:25*150*100", "CAS*CO*45*30", "CAS*PR*1*20"},
      "BPR*I*20*C*NON************20260105")));
  ASSERT_EQ(fixed.size(), 1u);
  findings = balance(fixed[0]);
  EXPECT_TRUE(findings.empty()) << to_string(findings[0]);
}

TEST(X12_835, ProviderLevelAdjustments) {
  const auto items = read_all(
      wrap(with_head({"CLP*PCN1*1*300*250**12*P1", "CAS*CO*45*50", "NM1*QC*1*DOE*JANE****MI*M1",
                      "PLB*1234567893*20261231*WO:REF1*100*72*-20*L6*5*FB:XX9*-10*CS*15*J1*0",
                      "PLB*1234567893*20261231*WO*0.5"},
                     "BPR*I*159.5*C*CHK************20260105")));
  ASSERT_EQ(items.size(), 1u);
  const Remittance& r = items[0];
  ASSERT_EQ(r.provider_adjustments.size(), 7u);
  EXPECT_EQ(r.provider_adjustments[0],
            (ProviderAdjustment{"1234567893", "2026-12-31", "WO", "REF1", 10000}));
  EXPECT_EQ(r.provider_adjustments[3].reference, "XX9");
  EXPECT_EQ(r.provider_adjustments[3].amount, -1000);
  EXPECT_EQ(r.provider_adjustments[6].amount, 50);
  // 250 - (100 - 20 + 5 - 10 + 15 + 0 + 0.5) = 159.5
  EXPECT_TRUE(balance(r).empty()) << to_string(balance(r)[0]);
}

TEST(X12_835, HostileInputGivesClearProblems) {
  {  // a CAS of 7 triplets
    ReadSummary s;
    const auto items = read_all(
        wrap(with_head({"CLP*PCN1*1*70*0**12*P1", "CAS*CO*1*10**2*10**3*10**4*10**5*10**6*10**7*10",
                        "NM1*QC*1*DOE*JANE****MI*M1"})),
        &s);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_TRUE(has_problem(s, "CAS", 12, "at most 6 adjustments")) << dump(s.problems);
    EXPECT_EQ(items[0].claims[0].adjustments.size(), 6u);
    for (const Error& e : s.problems) EXPECT_EQ(e.reason.find("DOE"), std::string::npos);
  }
  {  // amounts that are not decimals
    ReadSummary s;
    const auto items = read_all(
        wrap(with_head({"CLP*PCN1*1*12.345*1e2**12*P1", "NM1*QC*1*DOE*JANE****MI*M1"})), &s);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_TRUE(has_problem(s, "CLP", 11, "CLP03 is not a decimal amount")) << dump(s.problems);
    EXPECT_TRUE(has_problem(s, "CLP", 11, "CLP04 is not a decimal amount")) << dump(s.problems);
  }
  {  // a wrong SE01
    std::string bytes = wrap(with_head({"CLP*PCN1*1*0*0**12*P1", "NM1*QC*1*DOE*JANE****MI*M1"}));
    const std::size_t se = bytes.find("SE*11*");
    ASSERT_NE(se, std::string::npos);
    bytes.replace(se, 6, "SE*12*");
    ReadSummary s;
    read_all(bytes, &s);
    bool found = false;
    for (const Error& e : s.problems)
      found = found || (e.code == ErrorCode::segment_count_mismatch && e.segment_id == "SE" &&
                        e.segment_position == 13);
    EXPECT_TRUE(found) << dump(s.problems);
  }
  {  // cut off inside the set: no item, a problem saying where
    std::string bytes = wrap(with_head({"CLP*PCN1*1*0*0**12*P1", "NM1*QC*1*DOE*JANE****MI*M1"}));
    bytes.resize(bytes.find("SE*"));
    ReadSummary s;
    const auto items = read_all(bytes, &s);
    EXPECT_TRUE(items.empty());
    EXPECT_FALSE(s.problems.empty());
  }
  {  // a claim's segments before any claim, a CLP before the payee
    ReadSummary s;
    read_all(wrap({"BPR*I*0*C*NON************20260105", "TRN*1*T1*1999999999", "CAS*CO*45*1",
                   "N1*PR*PLAN", "CLP*PCN1*1*0*0**12*P1"}),
             &s);
    EXPECT_TRUE(has_problem(s, "CAS", 6, "out of place")) << dump(s.problems);
    EXPECT_TRUE(has_problem(s, "CLP", 8, "before the payee")) << dump(s.problems);
  }
}

TEST(X12_835, WriterRoundTripsAndPassesTheGuide) {
  Remittance r;
  r.handling = "C";
  r.total_paid = 17500;
  r.payment_method = "CHK";
  r.payment_date = "2026-01-05";
  r.trace = {"1", "CHK-1000", "1999999999", ""};
  r.production_date = "2026-01-04";
  r.payer = {"PR", '2', "ACME HEALTH PLAN", "", "", "XV", "PAYER01"};
  r.payer_address = {"1 MAIN ST", "", "SPRINGFIELD", "IL", "62701"};
  r.payee = {"PE", '2', "LAKESHORE CLINIC", "", "", "XX", "1234567893"};
  r.payee_tax_id = "123456789";
  RemittanceClaim c;
  c.patient_control_number = "PCN-1";
  c.status = "1";
  c.charged = 30000;
  c.paid = 20000;
  c.patient_responsibility = 2000;
  c.filing_indicator = "12";
  c.payer_claim_control_number = "ICN0001";
  c.patient = {"QC", '1', "DOE", "JANE", "", "MI", "M123"};
  c.subscriber = {"IL", '1', "DOE", "JOHN", "", "MI", "M100"};
  c.remarks = {"MA01"};
  c.dates = {{"232", "2026-01-01", ""}};
  RemittanceLine l;
  l.procedure = "99213";
  l.modifiers = {"25", "GT"};
  l.charged = 30000;
  l.paid = 20000;
  l.units = "1";
  l.dates = {{"472", "2026-01-01", ""}};
  l.adjustments = {{"CO", "45", 8000, ""}, {"PR", "1", 1500, ""}, {"PR", "2", 500, "1"}};
  l.allowed = 22000;
  l.remarks = {"N130", "M15"};
  l.control_number = "LINE-1";
  c.lines.push_back(l);
  r.claims.push_back(c);
  r.provider_adjustments = {{"1234567893", "2026-12-31", "WO", "R1", 1500},
                            {"1234567893", "2026-12-31", "72", "", 1000}};
  ASSERT_TRUE(balance(r).empty()) << to_string(balance(r)[0]);

  Writer w;
  InterchangeHeader h;
  h.sender_id = "PAYER";
  h.receiver_id = "CLINIC";
  h.time = std::chrono::sys_days{std::chrono::year{2026} / 1 / 5};
  w.begin_interchange(h, 7);
  w.begin_group("HP", "PAYER", "CLINIC", "005010X221A1", 3);
  write_835(w, 1, r);
  w.end_group();
  w.end_interchange();
  ASSERT_TRUE(w.status()) << to_string(w.status().error());
  // The bytes are kept as tests/data/x12/835_provportal_written.x12, which the e2e tests hand to
  // node-x12 and to `x12 parse`; PORTAL_WRITE_GOLDEN=1 rewrites it after a deliberate change.
  if (std::getenv("PORTAL_WRITE_GOLDEN") != nullptr)
    std::ofstream(std::string(PORTAL_TEST_DATA_DIR) + "/x12/835_provportal_written.x12",
                  std::ios::binary)
        << w.out();
  EXPECT_EQ(w.out(), read_data("835_provportal_written.x12"));
  const Report rep = validate(w.out());
  EXPECT_TRUE(rep.ok()) << dump(rep.findings) << w.out();
  const auto back = read_all(w.out());
  ASSERT_EQ(back.size(), 1u);
  Remittance expected = r;
  expected.position = back[0].position;
  expected.trace = back[0].trace;
  expected.claims[0].position = back[0].claims[0].position;
  expected.claims[0].lines[0].position = back[0].claims[0].lines[0].position;
  expected.claims[0].lines[0].procedure_qualifier = "HC";
  EXPECT_EQ(back[0].trace.number, "CHK-1000");
  EXPECT_EQ(back[0], expected);
}

TEST(X12_835, WriterRefusesWhatTheGuideDoesNot) {
  auto error_of = [](const Remittance& r) {
    Writer w;
    InterchangeHeader h;
    h.sender_id = "PAYER";
    h.receiver_id = "CLINIC";
    w.begin_interchange(h, 7);
    w.begin_group("HP", "PAYER", "CLINIC", "005010X221A1", 3);
    write_835(w, 1, r);
    return w.status() ? std::string() : to_string(w.status().error());
  };
  Remittance r;
  r.payment_method = "CHK";
  r.payment_date = "2026-01-05";
  r.trace.number = "T1";
  r.trace.originator = "1999999999";
  r.payer.last_or_org = "PLAN";
  r.payer_address = {"1 MAIN ST", "", "SPRINGFIELD", "IL", "62701"};
  r.payee = {"PE", '2', "CLINIC", "", "", "XX", "1234567893"};
  EXPECT_EQ(error_of(r), "");
  Remittance bad = r;
  bad.payment_method = "CASH";
  EXPECT_NE(error_of(bad).find("BPR04"), std::string::npos) << error_of(bad);
  bad = r;
  bad.payer_address = {};
  EXPECT_NE(error_of(bad).find("N301"), std::string::npos) << error_of(bad);
  bad = r;
  RemittanceClaim c;
  c.patient_control_number = "P1";
  c.status = "1";
  c.filing_indicator = "12";
  c.patient.last_or_org = "DOE";
  c.adjustments = {{"ZZ", "45", 100, ""}};
  bad.claims.push_back(c);
  EXPECT_NE(error_of(bad).find("CAS01"), std::string::npos) << error_of(bad);
}

TEST(X12_835, EachSetIsOneCheckAndTheCallbackCanStop) {
  const std::string one = read_data("835_x221a1_example2.x12");
  // Two checks in one group: the second set is the first's copy with another trace number.
  const std::size_t st = one.find("ST*835*");
  const std::size_t ge = one.find("GE*1*");
  ASSERT_NE(st, std::string::npos);
  ASSERT_NE(ge, std::string::npos);
  std::string second = one.substr(st, ge - st);
  second.replace(second.find("ST*835*12233"), 12, "ST*835*12234");
  second.replace(second.find("SE*26*12233"), 11, "SE*26*12234");
  second.replace(second.find("TRN*1*71700666555"), 17, "TRN*1*71700666556");
  std::string two = one.substr(0, ge) + second + "GE*2*" + one.substr(ge + 5);
  const auto items = read_all(two);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].trace.number, "71700666555");
  EXPECT_EQ(items[1].trace.number, "71700666556");
  EXPECT_EQ(items[1].claims.size(), 2u);
  std::size_t seen = 0;
  Reader reader = Reader::from_memory(two);
  read_835(reader, [&](Remittance&&, const Segment&) { return ++seen < 1; });
  EXPECT_EQ(seen, 1u);
}

TEST(X12_835, PlbOfMoreThanSixItemsIsAProblem) {
  ReadSummary s;
  const auto items =
      read_all(wrap(with_head({"CLP*PCN1*1*0*0**12*P1", "NM1*QC*1*DOE*JANE****MI*M1",
                               "PLB*1234567893*20261231*WO*1*WO*1*WO*1*WO*1*WO*1*WO*1*WO*1"})),
               &s);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].provider_adjustments.size(), 6u);
  EXPECT_TRUE(has_problem(s, "PLB", 13, "at most 6 adjustments")) << dump(s.problems);
}

TEST(X12_835, ChecksOfOtherShapesInARowKeepNothingOfTheOneBefore) {
  // The reader refills one Remittance check after check. Read once with the callback moving
  // each check out (every check then starts from nothing) and once with it copying (each check
  // refills the memory of the one before): the checks must be the same.
  struct Set {
    std::vector<std::string> body;
  };
  const std::vector<Set> sets = {
      // A long payer name, a payee address and tax ID, a claim with claim-level CAS, MOA, a
      // subscriber, dates and lines with modifiers, AMT, LQ, REF*6R, then a PLB.
      {{"BPR*I*123.45*C*ACH*CCP*01*999999992*DA*123456*1234567890**01*888888881*DA*654321*"
        "20260105",
        "TRN*1*EFT000000000000000000000000001*1999999999*DETAIL",
        "DTM*405*20260104",
        "N1*PR*A VERY LONG PAYER NAME THAT IS NOT SHORT*XV*PAYERIDENTIFIER01",
        "N3*1 A VERY LONG STREET NAME AVENUE*SUITE 1000000",
        "N4*SPRINGFIELD*IL*62701",
        "N1*PE*A VERY LONG PAYEE NAME CLINIC OF THE LAKESHORE*XX*1234567893",
        "N3*2 ANOTHER LONG STREET OF THE PAYEE",
        "N4*CHICAGO*IL*60601",
        "REF*TJ*123456789",
        "LX*1",
        "CLP*PCN-A-VERY-LONG-PATIENT-CONTROL-NUMBER*1*300*148.45*20*12*ICN000000001*11:B:1*1",
        "CAS*PR*1*20",
        "NM1*QC*1*DOE*JANE*Q***MI*M000000000001",
        "NM1*IL*1*DOE*JOHN****MI*S1",
        "MOA***MA01*MA02*N1",
        "DTM*232*20260101",
        "DTM*233*20260102",
        "SVC*HC:99213:25:59:GT:XE*200*110.45**1",
        "DTM*472*20260101",
        "CAS*CO*45*50*2*A2*19.55",
        "REF*6R*LINECONTROL0000001",
        "AMT*B6*150",
        "LQ*HE*N130",
        "LQ*HE*MA15",
        "SVC*HC:93000*100*58**1",
        "DTM*472*20260102",
        "CAS*CO*45*42",
        "AMT*B6*58",
        "PLB*1234567893*20261231*WO:REF000000000000001*-10*L6*5"}},
      // No PLB, no payee address or tax ID, a short name; a claim without adjustments, MOA or
      // subscriber, with one line without modifiers, AMT, LQ or REF; then a claim without lines.
      {{"BPR*C*50*C*CHK************20260106", "TRN*1*CHK2*1888888888", "N1*PR*SHORT", "N3*1 MAIN",
        "N4*X*IL*62701", "N1*PE*CLINIC*XX*1", "LX*1", "CLP*P2*1*40*40**12*I2",
        "NM1*QC*1*ROE*RICHARD****MI*M2", "SVC*HC:85025*40*40", "CLP*P3*1*10*10**12*I3",
        "NM1*QC*1*POE*PAT****MI*M3"}},
      // More claims than the check before, the first again with everything, a debit, and a
      // claim of two lines after one of none.
      {{"BPR*I*5*D*NON************20260107",
        "TRN*1*T3*1999999999",
        "N1*PR*ACME",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*IL*62701",
        "N1*PE*LAKESHORE*XX*1234567893",
        "LX*1",
        "CLP*P4*22*-20*-20**12*I4",
        "CAS*CO*45*0",
        "NM1*QC*1*DOE*JANE****MI*M4",
        "NM1*IL*1*DOE*JOHN****MI*S4",
        "MOA***MA01",
        "CLP*P5*4*15*0**12*I5",
        "NM1*QC*1*DOE*JANE****MI*M5",
        "CAS*CO*50*15",
        "CLP*P6*1*30*15**12*I6",
        "NM1*QC*1*DOE*JANE****MI*M6",
        "SVC*HC:99214:25*10*5",
        "CAS*CO*45*5",
        "SVC*HC:99215*20*10",
        "CAS*CO*45*10"}},
  };
  std::string bytes =
      std::string(x12::test::k_isa) + "GS*HP*SENDER*RECEIVER*20260101*1200*1*X*005010X221A1~";
  // The sets twice over: the third check is followed by the first again.
  for (std::size_t n = 0; n < 2 * sets.size(); ++n) {
    const Set& set = sets[n % sets.size()];
    const std::string st = std::to_string(1001 + n);
    bytes += "ST*835*" + st + "*005010X221A1~";
    for (const std::string& s : set.body) bytes += s + "~";
    bytes += "SE*" + std::to_string(set.body.size() + 2) + "*" + st + "~";
  }
  bytes += "GE*" + std::to_string(2 * sets.size()) + "*1~IEA*1*000000001~";

  const auto moved = read_all(bytes);
  std::vector<Remittance> copied;
  Reader reader = Reader::from_memory(bytes);
  const ReadSummary s = read_835(reader, [&](Remittance&& r, const Segment&) {
    copied.push_back(r);  // a copy: the reader keeps the memory of `r` for the next check
    return true;
  });
  EXPECT_TRUE(s.problems.empty()) << dump(s.problems);
  ASSERT_EQ(moved.size(), 2 * sets.size());
  ASSERT_EQ(copied.size(), moved.size());
  for (std::size_t i = 0; i < moved.size(); ++i)
    EXPECT_TRUE(copied[i] == moved[i]) << "check " << i;

  // And what each check holds, against what a check before it held.
  const Remittance& second = copied[1];
  EXPECT_EQ(second.payer.last_or_org, "SHORT");
  EXPECT_EQ(second.payer.id, "");
  EXPECT_EQ(second.payee_tax_id, "");
  EXPECT_EQ(second.payer_address.street2, "");
  EXPECT_TRUE(second.payee_address == Address{});
  EXPECT_EQ(second.production_date, "");
  EXPECT_EQ(second.sender_dfi, "");
  EXPECT_EQ(second.trace.detail, "");
  EXPECT_TRUE(second.provider_adjustments.empty());
  ASSERT_EQ(second.claims.size(), 2u);
  const RemittanceClaim& c = second.claims[0];
  EXPECT_TRUE(c.adjustments.empty());
  EXPECT_TRUE(c.remarks.empty());
  EXPECT_TRUE(c.dates.empty());
  EXPECT_TRUE(c.subscriber == Party{});
  EXPECT_EQ(c.patient.middle, "");
  EXPECT_EQ(c.patient_responsibility, 0);
  EXPECT_EQ(c.facility_code, "");
  EXPECT_EQ(c.frequency, "");
  ASSERT_EQ(c.lines.size(), 1u);
  const RemittanceLine& l = c.lines[0];
  EXPECT_TRUE(l.modifiers.empty());
  EXPECT_TRUE(l.adjustments.empty());
  EXPECT_TRUE(l.dates.empty());
  EXPECT_TRUE(l.remarks.empty());
  EXPECT_FALSE(l.allowed.has_value());
  EXPECT_EQ(l.control_number, "");
  EXPECT_EQ(l.units, "");
  EXPECT_TRUE(second.claims[1].lines.empty());
  const Remittance& third = copied[2];
  ASSERT_EQ(third.claims.size(), 3u);
  EXPECT_EQ(third.claims[0].remarks, std::vector<std::string>{"MA01"});
  EXPECT_TRUE(third.claims[0].lines.empty());
  EXPECT_TRUE(third.claims[1].lines.empty());
  ASSERT_EQ(third.claims[2].lines.size(), 2u);
  EXPECT_EQ(third.claims[2].lines[0].modifiers, std::vector<std::string>{"25"});
  EXPECT_TRUE(third.claims[2].lines[1].modifiers.empty());
  EXPECT_FALSE(third.claims[2].lines[0].allowed.has_value());
  EXPECT_EQ(copied[3].claims[0].lines.size(), 2u);
  EXPECT_EQ(copied[3].provider_adjustments.size(), 2u);
}
