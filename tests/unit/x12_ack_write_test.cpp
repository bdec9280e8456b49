#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

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
  h.sender_id = "PAYER";
  h.receiver_id = "SUBMITTER";
  h.time = sys_days{year{2026} / 11 / 17} + hours{15} + minutes{5};
  return h;
}

Ta1 accepted_ta1() {
  Ta1 t;
  t.control_number = "000000042";
  t.date = "261117";
  t.time = "1504";
  t.ack_code = 'A';
  t.note_code = "000";
  return t;
}

// An interchange answering with a TA1 and, when `group` is given, a 999 for it.
std::string answer(const Ta1* ta1, const GroupAck* group) {
  Writer w;
  w.begin_interchange(header(), 9);
  if (ta1 != nullptr) write_ta1(w, *ta1);
  if (group != nullptr) {
    w.begin_group("FA", "PAYER", "SUBMITTER", "005010X231A1", 3);
    write_999(w, 1, *group);
    w.end_group();
  }
  w.end_interchange();
  EXPECT_TRUE(w.status()) << to_string(w.status().error());
  return w.out();
}

GroupAck sample_group() {
  GroupAck g;
  g.functional_id = "HS";
  g.control_number = "7";
  g.version = "005010X279A1";
  g.status = 'P';
  g.included = g.received = 2;
  g.accepted_count = 1;
  SetAck ok;
  ok.set_id = "270";
  ok.control_number = "0001";
  ok.version = "005010X279A1";
  ok.status = 'A';
  SetAck bad;
  bad.set_id = "270";
  bad.control_number = "0002";
  bad.status = 'R';
  bad.codes = {"5"};
  SegmentNote nm1;
  nm1.segment_id = "NM1";
  nm1.position = 8;
  nm1.loop = "2100";
  nm1.code = "8";
  nm1.context = {"SITUATIONAL TRIGGER", "NM109:W123"};
  nm1.elements = {{3, 0, 0, "1035", "5", std::string(61, 'A')}, {9, 2, 1, "", "1", ""}};
  SegmentNote missing;
  missing.segment_id = "EQ";
  missing.position = 12;
  missing.code = "3";
  bad.segments = {nm1, missing};
  g.sets = {ok, bad};
  return g;
}

// A group of 270s as a submitter sends it: `bodies` are the sets' segments after ST (SE and
// the envelope are added with right counts unless a body carries its own SE).
std::string group_of_270s(const std::vector<std::string>& bodies, std::string_view ge02 = "7") {
  std::string out = std::string(x12::test::k_isa) + "GS*HS*S*R*20260101*1200*7*X*005010X279A1~";
  int n = 0;
  for (const std::string& body : bodies) {
    ++n;
    char st02[8];
    std::snprintf(st02, sizeof st02, "%04d", n);
    out += "ST*270*" + std::string(st02) + "*005010X279A1~" + body;
    if (body.find("SE*") == std::string::npos) {
      std::size_t segments = 2;
      for (char c : body) segments += c == '~' ? 1 : 0;
      out += "SE*" + std::to_string(segments) + "*" + st02 + "~";
    }
  }
  out += "GE*" + std::to_string(bodies.size()) + "*" + std::string(ge02) + "~IEA*1*000000001~";
  return out;
}

const std::string k_good_270 =
    "BHT*0022*13*R1*20260101*1200~HL*1**20*1~NM1*PR*2*PAYER*****PI*12345~HL*2*1*21*1~"
    "NM1*1P*2*CLINIC*****XX*1234567893~HL*3*2*22*0~TRN*1*T1*9123456789~"
    "NM1*IL*1*SMITH*JOHN****MI*W1~DMG*D8*19800101~DTP*291*D8*20260101~EQ*30~";

// The 999 of every group of `bytes`, written and read back.
GroupAck acknowledge_first_group(const std::string& bytes, const Report& report) {
  const std::vector<InterchangeRange> ranges = envelope_ranges(bytes);
  EXPECT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges.at(0).groups.size(), 1u);
  return acknowledge(report, ranges.at(0).groups.at(0));
}

// Writes `g` as a 999, checks it validates and reads back equal.
void expect_999_round_trip(const GroupAck& g) {
  const std::string bytes = answer(nullptr, &g);
  const Report report = validate(bytes);
  EXPECT_TRUE(report.ok()) << dump(report.findings) << bytes;
  const Acknowledgements acks = read_acknowledgements(bytes);
  EXPECT_TRUE(acks.problems.empty()) << dump(acks.problems);
  ASSERT_EQ(acks.groups.size(), 1u);
  EXPECT_EQ(acks.groups[0], g) << bytes;
}

}  // namespace

TEST(X12AckWrite, ATa1AloneValidatesAndReadsBack) {
  const Ta1 t = accepted_ta1();
  const std::string bytes = answer(&t, nullptr);
  EXPECT_NE(bytes.find("~TA1*000000042*261117*1504*A*000~IEA*0*000000009~"), std::string::npos)
      << bytes;
  const Report report = validate(bytes);
  EXPECT_TRUE(report.ok()) << dump(report.findings);
  const Acknowledgements acks = read_acknowledgements(bytes);
  EXPECT_TRUE(acks.problems.empty()) << dump(acks.problems);
  ASSERT_EQ(acks.ta1s.size(), 1u);
  Ta1 read = acks.ta1s[0];
  EXPECT_EQ(read.segment_position, 2u);
  read.segment_position = 0;
  EXPECT_EQ(read, t);
}

TEST(X12AckWrite, ATa1BeforeA999ValidatesAndReadsBack) {
  Ta1 t = accepted_ta1();
  t.ack_code = 'R';
  t.note_code = "025";
  const GroupAck g = sample_group();
  const std::string bytes = answer(&t, &g);
  EXPECT_TRUE(validate(bytes).ok()) << dump(validate(bytes).findings);
  const Acknowledgements acks = read_acknowledgements(bytes);
  EXPECT_TRUE(acks.problems.empty()) << dump(acks.problems);
  ASSERT_EQ(acks.ta1s.size(), 1u);
  EXPECT_EQ(acks.ta1s[0].note_code, "025");
  ASSERT_EQ(acks.groups.size(), 1u);
  EXPECT_EQ(acks.groups[0], g);
}

TEST(X12AckWrite, ATa1IsRefusedAfterAGroupOrWithBadValues) {
  Writer w;
  w.begin_interchange(header(), 9);
  w.begin_group("FA", "PAYER", "SUBMITTER", "005010X231A1", 3);
  write_ta1(w, accepted_ta1());
  ASSERT_FALSE(w.status());

  Writer after;
  after.begin_interchange(header(), 9);
  after.begin_group("FA", "PAYER", "SUBMITTER", "005010X231A1", 3);
  write_999(after, 1, sample_group());
  after.end_group();
  write_ta1(after, accepted_ta1());
  ASSERT_FALSE(after.status());
  EXPECT_EQ(after.status().error().code, ErrorCode::unexpected_segment);

  auto refused = [](Ta1 t) {
    Writer v;
    v.begin_interchange(header(), 9);
    write_ta1(v, t);
    EXPECT_FALSE(v.status());
    return v.status() ? Error{} : v.status().error();
  };
  Ta1 t = accepted_ta1();
  t.control_number = "42";
  EXPECT_EQ(refused(t).element, 1);
  t = accepted_ta1();
  t.date = "261317";
  EXPECT_EQ(refused(t).element, 2);
  t = accepted_ta1();
  t.time = "2460";
  EXPECT_EQ(refused(t).element, 3);
  t = accepted_ta1();
  t.ack_code = 'X';
  EXPECT_EQ(refused(t).element, 4);
  t = accepted_ta1();
  t.note_code = "099";
  const Error e = refused(t);
  EXPECT_EQ(e.element, 5);
  EXPECT_EQ(e.segment_id, "TA1");
}

TEST(X12AckWrite, A999WithNotesValidatesAndReadsBackEqual) {
  GroupAck g = sample_group();
  // The bad value of more than 60 characters is kept (IK404 takes 99).
  expect_999_round_trip(g);
  const std::string bytes = answer(nullptr, &g);
  EXPECT_NE(bytes.find("AK1*HS*7*005010X279A1~AK2*270*0001*005010X279A1~IK5*A~AK2*270*0002~"
                       "IK3*NM1*8*2100*8~CTX*SITUATIONAL TRIGGER~CTX*NM109:W123~IK4*3*1035*5*"),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("IK4*9:2:1**1~IK3*EQ*12**3~IK5*R*5~AK9*P*2*2*1~SE*"), std::string::npos)
      << bytes;
}

TEST(X12AckWrite, A999LeavesOutABadValueItCannotWrite) {
  GroupAck g = sample_group();
  g.sets[1].segments[0].elements[0].bad_value = "SMITH~JONES";
  const std::string bytes = answer(nullptr, &g);
  EXPECT_NE(bytes.find("IK4*3*1035*5~"), std::string::npos) << bytes;
  EXPECT_TRUE(validate(bytes).ok());
}

TEST(X12AckWrite, A999RefusesWhatItsGuideDoesNot) {
  auto refused = [](const GroupAck& g) {
    Writer w;
    w.begin_interchange(header(), 9);
    w.begin_group("FA", "PAYER", "SUBMITTER", "005010X231A1", 3);
    write_999(w, 1, g);
    EXPECT_FALSE(w.status());
    return w.status() ? Error{} : w.status().error();
  };
  GroupAck g = sample_group();
  g.control_number = "ABC";
  Error e = refused(g);
  EXPECT_EQ(e.segment_id, "AK1");
  EXPECT_EQ(e.element, 2);
  g = sample_group();
  g.sets[1].segments[0].loop = "2100C";  // IK303 is 1-4 characters
  e = refused(g);
  EXPECT_EQ(e.segment_id, "IK3");
  EXPECT_EQ(e.element, 3);
  g = sample_group();
  g.sets[1].codes = {"1", "2", "3", "4", "5", "I5"};
  EXPECT_EQ(refused(g).segment_id, "IK5");
  g = sample_group();
  g.status = 'Q';
  e = refused(g);
  EXPECT_EQ(e.segment_id, "AK9");
  EXPECT_EQ(e.code, ErrorCode::invalid_code);

  Writer wrong_group;
  wrong_group.begin_interchange(header(), 9);
  wrong_group.begin_group("HB", "PAYER", "SUBMITTER", "005010X279A1", 3);
  write_999(wrong_group, 1, sample_group());
  EXPECT_FALSE(wrong_group.status());
}

TEST(X12AckWrite, AcknowledgesAValidGroup) {
  const std::string bytes = group_of_270s({k_good_270, k_good_270});
  const Report report = validate(bytes);
  ASSERT_TRUE(report.ok()) << dump(report.findings);
  const GroupAck g = acknowledge_first_group(bytes, report);
  EXPECT_EQ(g.functional_id, "HS");
  EXPECT_EQ(g.control_number, "7");
  EXPECT_EQ(g.version, "005010X279A1");
  EXPECT_EQ(g.status, 'A');
  EXPECT_EQ(g.included, 2u);
  EXPECT_EQ(g.accepted_count, 2u);
  ASSERT_EQ(g.sets.size(), 2u);
  EXPECT_EQ(g.sets[1].control_number, "0002");
  EXPECT_EQ(g.sets[1].version, "005010X279A1");
  EXPECT_EQ(g.sets[1].status, 'A');
  EXPECT_TRUE(g.sets[1].segments.empty());
  expect_999_round_trip(g);

  const std::vector<InterchangeRange> ranges = envelope_ranges(bytes);
  const Ta1 t = acknowledge_interchange(report, ranges.at(0));
  EXPECT_EQ(t.control_number, "000000001");
  EXPECT_EQ(t.date, "260101");
  EXPECT_EQ(t.time, "1200");
  EXPECT_EQ(t.ack_code, 'A');
  EXPECT_EQ(t.note_code, "000");
}

TEST(X12AckWrite, AcknowledgesSegmentAndElementErrorsWithPositionsInTheSet) {
  std::string long_name = k_good_270;
  long_name.replace(long_name.find("SMITH"), 5, std::string(61, 'S'));
  std::string no_bht = k_good_270;
  no_bht.erase(0, no_bht.find("HL*1"));
  std::string bad_date = k_good_270;
  bad_date.replace(bad_date.find("19800101"), 8, "19801301");
  const std::string bytes = group_of_270s({k_good_270, long_name, no_bht, bad_date});
  const Report report = validate(bytes);
  ASSERT_FALSE(report.ok());
  const GroupAck g = acknowledge_first_group(bytes, report);
  EXPECT_EQ(g.status, 'P');
  EXPECT_EQ(g.received, 4u);
  EXPECT_EQ(g.accepted_count, 1u);
  ASSERT_EQ(g.sets.size(), 4u);
  EXPECT_EQ(g.sets[0].status, 'A');

  const SetAck& name = g.sets[1];
  EXPECT_EQ(name.status, 'R');
  EXPECT_EQ(name.codes, std::vector<std::string>{"5"});
  ASSERT_EQ(name.segments.size(), 1u);
  EXPECT_EQ(name.segments[0].segment_id, "NM1");
  EXPECT_EQ(name.segments[0].position, 9u);  // ST = 1
  EXPECT_EQ(name.segments[0].loop, "2100");
  EXPECT_EQ(name.segments[0].code, "8");
  ASSERT_EQ(name.segments[0].elements.size(), 1u);
  EXPECT_EQ(name.segments[0].elements[0].position, 3);
  EXPECT_EQ(name.segments[0].elements[0].code, "5");
  EXPECT_EQ(name.segments[0].elements[0].bad_value, std::string(61, 'S'));

  const SetAck& missing = g.sets[2];
  EXPECT_EQ(missing.status, 'R');
  ASSERT_EQ(missing.segments.size(), 1u) << dump(report.findings);
  EXPECT_EQ(missing.segments[0].segment_id, "BHT");
  EXPECT_EQ(missing.segments[0].position, 2u);  // where it was missed: the HL after ST
  EXPECT_EQ(missing.segments[0].code, "3");
  EXPECT_TRUE(missing.segments[0].loop.empty());  // the set's own table

  const SetAck& date = g.sets[3];
  ASSERT_EQ(date.segments.size(), 1u);
  EXPECT_EQ(date.segments[0].segment_id, "DMG");
  EXPECT_EQ(date.segments[0].elements.at(0).position, 2);
  EXPECT_EQ(date.segments[0].elements.at(0).code, "8");
  expect_999_round_trip(g);
}

TEST(X12AckWrite, AcknowledgesSetAndGroupErrors) {
  // SE01 wrong in set 2, SE missing in set 3 (cut by the GE), GE02 differs from GS06.
  std::string bad_count = k_good_270 + "SE*3*0002~";
  const std::string bytes = group_of_270s({k_good_270, bad_count, k_good_270 + "SE*"}, "8");
  std::string fixed = bytes;
  // The third body's own "SE*" marker only stops group_of_270s from adding one: drop it.
  fixed.replace(fixed.rfind("SE*GE"), 5, "GE");
  const Report report = validate(fixed);
  const GroupAck g = acknowledge_first_group(fixed, report);
  ASSERT_EQ(g.sets.size(), 3u) << dump(report.findings);
  EXPECT_EQ(g.sets[0].status, 'A');
  EXPECT_EQ(g.sets[1].status, 'R');
  EXPECT_EQ(g.sets[1].codes, std::vector<std::string>{"4"}) << dump(report.findings);
  EXPECT_EQ(g.sets[2].status, 'R');
  EXPECT_EQ(g.sets[2].codes, std::vector<std::string>{"2"}) << dump(report.findings);
  EXPECT_EQ(g.status, 'R');
  EXPECT_EQ(g.codes, std::vector<std::string>{"4"});
  expect_999_round_trip(g);
}

TEST(X12AckWrite, RejectsTheSetsWhoseFindingsWereDropped) {
  std::string bad = k_good_270;
  bad.replace(bad.find("19800101"), 8, "19801301");
  const std::string bytes = group_of_270s({bad, k_good_270, bad});
  const Report report = validate(bytes, ValidateOptions{.max_findings = 1});
  ASSERT_EQ(report.dropped, 1u);
  const GroupAck g = acknowledge_first_group(bytes, report);
  ASSERT_EQ(g.sets.size(), 3u);
  EXPECT_EQ(g.sets[0].segments.size(), 1u);
  EXPECT_EQ(g.sets[2].status, 'R');
  EXPECT_TRUE(g.sets[2].segments.empty());
  EXPECT_EQ(g.sets[2].codes, std::vector<std::string>{"5"});
  expect_999_round_trip(g);
}

TEST(X12AckWrite, AcknowledgesAnInterchangeError) {
  std::string bytes = group_of_270s({k_good_270});
  bytes.replace(bytes.rfind("IEA*1*000000001"), 15, "IEA*1*000000002");
  const Report report = validate(bytes);
  const std::vector<InterchangeRange> ranges = envelope_ranges(bytes);
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].end, bytes.size());
  const Ta1 t = acknowledge_interchange(report, ranges[0]);
  EXPECT_EQ(t.ack_code, 'R');
  EXPECT_EQ(t.note_code, "001");
  const std::string answered = answer(&t, nullptr);
  EXPECT_TRUE(validate(answered).ok());
  // The group itself is fine.
  EXPECT_EQ(acknowledge(report, ranges[0].groups.at(0)).status, 'A');
}

TEST(X12AckWrite, AcknowledgesTheGuideExampleOf999Input) {
  // The 999 guide example acknowledges three 837s; here a 276 and a 277 example go through the
  // same path as a group the sandbox would answer.
  for (const char* name : {"276_x212_claim_request.x12", "guide/x212_276_provider_request.x12"}) {
    const std::string bytes = read_data(name);
    const Report report = validate(bytes);
    ASSERT_TRUE(report.ok()) << name << dump(report.findings);
    const GroupAck g = acknowledge_first_group(bytes, report);
    EXPECT_EQ(g.status, 'A') << name;
    EXPECT_EQ(g.functional_id, "HR");
    expect_999_round_trip(g);
  }
}
