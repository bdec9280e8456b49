// The 278 (005010X217): its guides, writer and reader, on the X12 examples and on requests and
// responses of every decision.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "temp_dir.hpp"
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

std::string write(const std::function<void(Writer&)>& body) {
  Writer w;
  InterchangeHeader h;
  h.sender_id = "SUBMITTER";
  h.receiver_id = "PAYER";
  h.time = sys_days{year{2026} / 12 / 7} + hours{15} + minutes{4};
  w.begin_interchange(h, 42);
  w.begin_group("HI", "SUBMITTER", "PAYER", "005010X217", 7);
  body(w);
  w.end_group();
  w.end_interchange();
  EXPECT_TRUE(w.status()) << to_string(w.status().error());
  return w.out();
}

Error write_error(const ServiceReview& r) {
  Writer w;
  InterchangeHeader h;
  h.sender_id = "SUBMITTER";
  h.receiver_id = "PAYER";
  w.begin_interchange(h, 42);
  w.begin_group("HI", "SUBMITTER", "PAYER", "005010X217", 7);
  write_278(w, 1, r);
  EXPECT_FALSE(w.status()) << "the writer accepted it:\n" << w.out();
  return w.status() ? Error{} : w.status().error();
}

void expect_valid(const std::string& bytes) {
  const Report r = validate(bytes);
  EXPECT_TRUE(r.ok()) << dump(r.findings) << bytes;
}

std::vector<ServiceReview> read_all(const std::string& bytes, ReadSummary* summary = nullptr) {
  std::vector<ServiceReview> items;
  Reader reader = Reader::from_memory(bytes);
  ReadSummary s = read_278(reader, [&](ServiceReview&& item, const Segment& st) {
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

// The ST..SE segments of `bytes`, each with its terminator, no line breaks.
std::string sets_of(const std::string& bytes) {
  Reader reader = Reader::from_memory(bytes);
  std::string out;
  bool in_set = false;
  while (const Segment* s = reader.next()) {
    if (s->id() == "ST") in_set = true;
    if (in_set) out += std::string(s->text()) + "~";
    if (s->id() == "SE") in_set = false;
  }
  return out;
}

// A radiology case as submit-case sends it: one event, one service, an attachment to follow.
ServiceReview sample_request() {
  ServiceReview r;
  r.reference = "CASE0001";
  r.umo = {"X3", '2', "ACME COMMERCIAL", "", "", "PI", "ACMEC"};
  r.requester = {"1P", '2', "ORDERING PROVIDER", "", "", "XX", "1234567893"};
  r.subscriber = {"IL", '1', "WHITAKER", "JAMES", "", "MI", "ACM100234"};
  r.date_of_birth = "1958-03-14";
  r.traces = {{"1", "K7F3A9", "9PROVPORTL", ""}};
  r.category = "HS";
  r.certification_type = "I";
  r.service_type = "4";
  r.level_of_service = "U";
  r.dates = {{"AAH", "2026-12-01", "2027-02-28"}};
  r.diagnoses = {{"ABK", "R519", ""}, {"ABF", "G44209", ""}};
  r.paperwork = {{"77", "EL", "K7F3A9-1", "CLINICAL NOTES"}};
  r.message = "DAILY HEADACHES FOR TWO MONTHS";
  r.providers = {{{"SJ", '2', "SERVICING PROVIDER", "", "", "XX", "1245319599"}, "", "", {}}};
  ReviewService s;
  s.traces = {{"1", "K7F3A9-1", "9PROVPORTL", ""}};
  s.procedure = "70551";
  s.quantity = "1";
  s.dates = {{"472", "2026-12-01", "2027-02-28"}};
  r.services = {s};
  return r;
}

// Its response: certified, with the UMO's certification number.
ServiceReview sample_response(std::string action, std::string reason = {}) {
  ServiceReview r = sample_request();
  r.purpose = "11";
  r.response_type = "18";
  r.paperwork.clear();
  r.message.clear();
  r.traces[0].type = "2";
  r.services[0].traces[0].type = "2";
  r.decision = {std::move(action), "ORD-2026-000123", std::move(reason), ""};
  r.services[0].decision = r.decision;
  return r;
}

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

// ---- the guide's examples ------------------------------------------------------------------

TEST(X12_278, ReadsTheX217RequestExample) {
  const std::string example = read_data("guide/x217_278_example1a_request.x12");
  expect_valid(example);
  const auto items = read_all(example);
  ASSERT_EQ(items.size(), 1u);
  const ServiceReview& r = items[0];
  EXPECT_EQ(r.purpose, "13");
  EXPECT_FALSE(r.is_response());
  EXPECT_EQ(r.reference, "A12345");
  EXPECT_EQ(r.created_date, "2005-05-02");
  EXPECT_EQ(r.umo,
            (Party{"X3", '2', "MARYLAND CAPITAL INSURANCE COMPANY", "", "", "46", "789312"}));
  EXPECT_EQ(r.requester, (Party{"1P", '1', "GARDENER", "JAMES", "", "46", "8189991234"}));
  EXPECT_EQ(r.subscriber, (Party{"IL", '1', "SMITH", "JOE", "", "MI", "12345678901"}));
  EXPECT_EQ(r.traces, (std::vector<Trace>{{"1", "111099", "9012345678", ""}}));
  EXPECT_EQ(r.request_trace(), "111099");
  EXPECT_EQ(r.category, "SC");
  EXPECT_EQ(r.certification_type, "I");
  EXPECT_EQ(r.service_type, "3");
  EXPECT_EQ(r.place_of_service, "11");
  EXPECT_EQ(r.release_of_information, "Y");
  EXPECT_EQ(r.diagnoses, (std::vector<Diagnosis>{{"BF", "41090", "2005-04-30"}}));
  EXPECT_EQ(r.delivery, (std::vector<std::string>{"VS", "1"}));
  ASSERT_EQ(r.providers.size(), 1u);
  EXPECT_EQ(r.providers[0].party, (Party{"SJ", '1', "WATSON", "SUSAN", "", "34", "987654321"}));
  EXPECT_EQ(r.providers[0].contact_qualifier, "TE");
  EXPECT_EQ(r.providers[0].contact, "4029993456");
  EXPECT_TRUE(r.services.empty());
  EXPECT_TRUE(r.decision.action.empty());
}

TEST(X12_278, RewritesTheX217RequestExampleByteForByte) {
  const std::string original = read_data("guide/x217_278_example1a_request.x12");
  const auto items = read_all(original);
  ASSERT_EQ(items.size(), 1u);
  const std::string rewritten = write([&](Writer& w) { write_278(w, 1, items[0]); });
  EXPECT_EQ(sets_of(rewritten), sets_of(original)) << rewritten;
}

TEST(X12_278, ReadsTheX217ResponseExample) {
  const std::string example = read_data("guide/x217_278_example1b_response.x12");
  expect_valid(example);
  const auto items = read_all(example);
  ASSERT_EQ(items.size(), 1u);
  const ServiceReview& r = items[0];
  EXPECT_TRUE(r.is_response());
  EXPECT_EQ(r.response_type, "18");
  EXPECT_EQ(r.reference, "A12345");
  EXPECT_EQ(r.request_trace(), "111099");
  EXPECT_EQ(r.decision, (ReviewDecision{"A1", "AUTH0001", "", ""}));
  EXPECT_EQ(r.dates, (std::vector<DatePeriod>{{"AAH", "2005-05-02", "2005-06-02"}}));
  const std::string rewritten = write([&](Writer& w) { write_278(w, 1, r); });
  EXPECT_EQ(sets_of(rewritten), sets_of(example)) << rewritten;
}

// ---- the writer and the reader -------------------------------------------------------------

TEST(X12_278, ARequestWithServicesAndAttachmentsValidatesAndReadsBackEqual) {
  const std::string bytes = write([&](Writer& w) { write_278(w, 1, sample_request()); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("GS*HI*SUBMITTER*PAYER*"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("BHT*0007*13*CASE0001*20261207*1504~"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("HL*4*3*EV*1~TRN*1*K7F3A9*9PROVPORTL~UM*HS*I*4***U~"), std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("HI*ABK:R519*ABF:G44209~"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("PWK*77*EL***AC*K7F3A9-1*CLINICAL NOTES~"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("HL*5*4*SS*0~TRN*1*K7F3A9-1*9PROVPORTL~UM*HS*I~DTP*472*RD8*20261201-"
                       "20270228~SV1*HC:70551**UN*1~"),
            std::string::npos)
      << bytes;
  const auto items = read_all(bytes);
  ASSERT_EQ(items.size(), 1u);
  ServiceReview expected = sample_request();
  expected.purpose = "13";
  expected.created_date = "2026-12-07";
  expected.created_time = "1504";
  expected.services[0].category = "HS";
  expected.services[0].certification_type = "I";
  expected.services[0].procedure_qualifier = "HC";
  expected.services[0].unit_basis = "UN";
  EXPECT_EQ(items[0], expected);
}

TEST(X12_278, ResponsesOfEveryDecisionValidateAndReadBack) {
  for (const auto& [action, reason] : std::vector<std::pair<std::string, std::string>>{
           {"A1", ""}, {"A3", "0U"}, {"A4", "0V"}, {"A6", "0P"}, {"CT", ""}, {"C", ""}}) {
    const std::string action_copy = action, reason_copy = reason;
    const std::string bytes =
        write([&](Writer& w) { write_278(w, 1, sample_response(action_copy, reason_copy)); });
    expect_valid(bytes);
    EXPECT_NE(bytes.find("BHT*0007*11*CASE0001*20261207*1504*18~"), std::string::npos) << bytes;
    const auto items = read_all(bytes);
    ASSERT_EQ(items.size(), 1u) << action;
    EXPECT_EQ(items[0].decision.action, action);
    EXPECT_EQ(items[0].decision.certification, "ORD-2026-000123");
    EXPECT_EQ(items[0].decision.reason, reason);
    EXPECT_EQ(items[0].request_trace(), "K7F3A9");
    ASSERT_EQ(items[0].services.size(), 1u);
    EXPECT_EQ(items[0].services[0].decision.action, action);
  }
}

TEST(X12_278, AResponseRejectedAboveTheEventIsOneItemWithItsRejections) {
  ServiceReview r;
  r.purpose = "11";
  r.reference = "CASE0009";
  r.umo = {"X3", '2', "ACME COMMERCIAL", "", "", "PI", "ACMEC"};
  r.requester = {"1P", '2', "ORDERING PROVIDER", "", "", "XX", "1234567893"};
  r.subscriber = {"IL", '1', "DOE", "JANE", "", "MI", "BAD1"};
  r.rejections = {{"2010C", 'N', "72", "C"}};
  const std::string bytes = write([&](Writer& w) { write_278(w, 1, r); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("HL*3*2*22*0~NM1*IL*1*DOE*JANE****MI*BAD1~AAA*N**72*C~"), std::string::npos)
      << bytes;
  const auto items = read_all(bytes);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].category.empty());
  EXPECT_EQ(items[0].rejections, r.rejections);
}

TEST(X12_278, ADependentPatientAndACancellation) {
  ServiceReview r = sample_request();
  r.purpose = "01";
  r.certification_type = "3";
  r.previous_certification = "ORD-2026-000123";
  r.dependent = {"QC", '1', "WHITAKER", "ANNA", "", "", ""};
  const std::string bytes = write([&](Writer& w) { write_278(w, 1, r); });
  expect_valid(bytes);
  EXPECT_NE(bytes.find("HL*4*3*23*1~NM1*QC*1*WHITAKER*ANNA~DMG*D8*19580314~HL*5*4*EV*1~"),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("UM*HS*3*4***U~REF*BB*ORD-2026-000123~"), std::string::npos) << bytes;
  const auto items = read_all(bytes);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].dependent.last_or_org, "WHITAKER");
  EXPECT_EQ(items[0].previous_certification, "ORD-2026-000123");
  EXPECT_EQ(items[0].purpose, "01");
}

TEST(X12_278, TheWriterNamesTheSegmentElementAndLoopOfBadData) {
  ServiceReview r = sample_request();
  r.category.clear();
  Error e = write_error(r);
  EXPECT_EQ(e.segment_id, "UM");

  r = sample_request();
  r.certification_type = "Z";
  e = write_error(r);
  EXPECT_EQ(e.segment_id, "UM");
  EXPECT_EQ(e.element, 2);
  EXPECT_EQ(e.loop, "2000E");

  r = sample_request();
  r.diagnoses.assign(13, Diagnosis{"ABF", "R519", ""});
  e = write_error(r);
  EXPECT_EQ(e.segment_id, "HI");

  r = sample_request();
  r.services[0].dates[0].from = "2026-13-01";
  e = write_error(r);
  EXPECT_EQ(e.segment_id, "DTP");
  EXPECT_EQ(e.loop, "2000F");

  r = sample_request();
  r.decision.action = "A1";  // a request carries no decision
  e = write_error(r);
  EXPECT_EQ(e.segment_id, "HCR");

  r = sample_response("A1");
  r.paperwork = {{"77", "EL", "X1", ""}};  // a response carries no PWK
  e = write_error(r);
  EXPECT_EQ(e.segment_id, "PWK");

  r = sample_request();
  r.paperwork[0].transmission = "ZZ";
  e = write_error(r);
  EXPECT_EQ(e.segment_id, "PWK");
  EXPECT_EQ(e.element, 2);
}

TEST(X12_278, TheValidatorTellsARequestFromAResponseByBht02) {
  // An HCR is a response's: in a request it is a finding naming the segment.
  std::string bytes = write([&](Writer& w) { write_278(w, 1, sample_response("A1")); });
  expect_valid(bytes);
  std::string request = bytes;
  request.replace(request.find("BHT*0007*11*"), 12, "BHT*0007*13*");
  request.replace(request.find("*1504*18~"), 9, "*1504~");
  Report report = validate(request);
  ASSERT_FALSE(report.ok());
  bool hcr = false;
  for (const Error& e : report.findings) hcr = hcr || e.segment_id == "HCR";
  EXPECT_TRUE(hcr) << dump(report.findings);

  // A bad HCR01 is named with its element.
  std::string bad = bytes;
  bad.replace(bad.find("HCR*A1*"), 7, "HCR*Q9*");
  report = validate(bad);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.findings[0].segment_id, "HCR");
  EXPECT_EQ(report.findings[0].element, 1);
  EXPECT_EQ(report.findings[0].loop, "2000E");
}

TEST(X12_278, ReadsResponsesOfSeveralSetsAndSkipsOtherKinds) {
  const std::string bytes = write([&](Writer& w) {
    write_278(w, 1, sample_response("A1"));
    write_278(w, 2, sample_response("A4", "0V"));
  });
  const auto items = read_all(bytes);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].decision.action, "A4");

  ReadSummary summary;
  const std::string other(read_data("270_x279a1_example1.x12"));
  EXPECT_TRUE(read_all(other, &summary).empty());
  ASSERT_FALSE(summary.problems.empty());
  EXPECT_EQ(summary.problems[0].code, ErrorCode::transaction_not_supported);
}

TEST(X12_278, ATruncatedSetHandsOverNothing) {
  std::string bytes = write([&](Writer& w) { write_278(w, 1, sample_response("A1")); });
  bytes.resize(bytes.find("SE*"));
  ReadSummary summary;
  EXPECT_TRUE(read_all(bytes, &summary).empty());
  EXPECT_FALSE(summary.problems.empty());
}

// node-x12 (scripts/x12_check.js) parses the 278s the writer writes.
TEST(X12Interop, NodeX12ParsesThe278s) {
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
  const std::filesystem::path request = temp.path() / "278_request.x12";
  const std::filesystem::path response = temp.path() / "278_response.x12";
  std::ofstream(request, std::ios::binary)
      << write([&](Writer& w) { write_278(w, 1, sample_request()); });
  std::ofstream(response, std::ios::binary) << write([&](Writer& w) {
    write_278(w, 1, sample_response("A1"));
    write_278(w, 2, sample_response("A3", "0U"));
  });
  ASSERT_EQ(run("node " + quoted(checker) + " " + quoted(request) + " " + quoted(response), output),
            0)
      << output;
  EXPECT_NE(output.find("set 278 0001"), std::string::npos) << output;
  EXPECT_NE(output.find("set 278 0002"), std::string::npos) << output;
}
