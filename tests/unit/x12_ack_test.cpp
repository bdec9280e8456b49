#include <gtest/gtest.h>

#include <string>

#include "x12/ack.hpp"
#include "x12_test_util.hpp"

using namespace x12;
using x12::test::k_isa;
using x12::test::read_data;

namespace {

std::string dump(const std::vector<Error>& errors) {
  std::string out;
  for (const Error& e : errors) out += to_string(e) + "\n";
  return out;
}

std::string group_999(const std::string& body, int se01) {
  return std::string(k_isa) + "GS*FA*S*R*20260101*1200*5*X*005010X231A1~ST*999*0001*005010X231A1~" +
         body + "SE*" + std::to_string(se01) + "*0001~GE*1*5~IEA*1*000000001~";
}

}  // namespace

TEST(X12Ack, ReadsThe999GuideExampleWithIk3Ik4AndContext) {
  const std::string bytes = read_data("999_x231_ik3_ik4.x12");
  const Acknowledgements acks = read_acknowledgements(bytes);
  EXPECT_TRUE(acks.problems.empty()) << dump(acks.problems);
  ASSERT_EQ(acks.groups.size(), 1u);
  const GroupAck& g = acks.groups[0];
  EXPECT_EQ(g.functional_id, "HC");
  EXPECT_EQ(g.control_number, "17456");
  EXPECT_EQ(g.status, 'P');
  EXPECT_EQ(g.included, 3u);
  EXPECT_EQ(g.accepted_count, 1u);
  ASSERT_EQ(g.sets.size(), 3u);
  EXPECT_TRUE(g.sets[0].accepted());
  EXPECT_FALSE(g.sets[1].accepted());
  EXPECT_EQ(g.sets[1].control_number, "0002");
  EXPECT_EQ(g.sets[1].codes, std::vector<std::string>{"5"});
  ASSERT_EQ(g.sets[1].segments.size(), 1u);
  const SegmentNote& ik3 = g.sets[1].segments[0];
  EXPECT_EQ(ik3.segment_id, "CLM");
  EXPECT_EQ(ik3.position, 22u);
  EXPECT_EQ(ik3.code, "8");
  EXPECT_EQ(ik3_reason(ik3.code), "Segment has data element errors");
  EXPECT_EQ(ik3.context, std::vector<std::string>{"CLM01:123456789"});
  ASSERT_EQ(ik3.elements.size(), 1u);
  EXPECT_EQ(ik3.elements[0].position, 2);
  EXPECT_EQ(ik3.elements[0].reference, "782");
  EXPECT_EQ(ik3.elements[0].code, "1");
  EXPECT_EQ(ik4_reason("1"), "Required data element missing");
  const SegmentNote& missing = g.sets[2].segments.at(0);
  EXPECT_EQ(missing.segment_id, "REF");
  EXPECT_EQ(missing.position, 57u);
  EXPECT_EQ(missing.code, "3");
  EXPECT_EQ(missing.context.size(), 2u);
}

TEST(X12Ack, Ta1BeforeThe999InTheSameInterchange) {
  const std::string bytes = read_data("999_ta1_inside.x12");
  const Acknowledgements acks = read_acknowledgements(bytes);
  EXPECT_TRUE(acks.problems.empty()) << dump(acks.problems);
  ASSERT_EQ(acks.ta1s.size(), 1u);
  EXPECT_EQ(acks.ta1s[0].control_number, "004211112");
  EXPECT_TRUE(acks.ta1s[0].accepted());
  EXPECT_EQ(acks.ta1s[0].note_code, "000");
  EXPECT_EQ(acks.ta1s[0].segment_position, 2u);
  ASSERT_EQ(acks.groups.size(), 1u);
  EXPECT_EQ(acks.groups[0].status, 'A');
  EXPECT_EQ(acks.groups[0].sets.size(), 2u);
}

TEST(X12Ack, StandaloneRejectingTa1) {
  const std::string bytes = std::string(k_isa) + "TA1*000000905*260101*1200*R*001~IEA*0*000000001~";
  const Acknowledgements acks = read_acknowledgements(bytes);
  EXPECT_TRUE(acks.problems.empty()) << dump(acks.problems);
  ASSERT_EQ(acks.ta1s.size(), 1u);
  EXPECT_FALSE(acks.ta1s[0].accepted());
  EXPECT_EQ(ta1_reason(acks.ta1s[0].note_code),
            "Interchange control numbers in header and trailer do not match");
}

TEST(X12Ack, Ik4ComponentAndRepetitionPositions) {
  const std::string bytes = group_999(
      "AK1*HS*7*005010X279A1~AK2*270*0001*005010X279A1~IK3*NM1*8*2100C*8~"
      "IK4*3:1:2*1035*5*AVERYLONGNAME~IK5*R*5~AK9*R*1*1*0~",
      8);
  const Acknowledgements acks = read_acknowledgements(bytes);
  EXPECT_TRUE(acks.problems.empty()) << dump(acks.problems);
  const ElementNote& e = acks.groups.at(0).sets.at(0).segments.at(0).elements.at(0);
  EXPECT_EQ(e.position, 3);
  EXPECT_EQ(e.component, 1);
  EXPECT_EQ(e.repetition, 2);
  EXPECT_EQ(e.bad_value, "AVERYLONGNAME");
  EXPECT_EQ(acks.groups[0].sets[0].segments[0].loop, "2100C");
}

TEST(X12Ack, MalformedAcknowledgementsAreProblemsNotCrashes) {
  const std::string bytes =
      group_999("IK3*NM1*8**8~AK1*HS*7~AK2*270*0001~IK4*3*1035*ZZ~IK3*NM1*X**99~IK5~AK9~", 9);
  const Acknowledgements acks = read_acknowledgements(bytes);
  ASSERT_GE(acks.problems.size(), 5u) << dump(acks.problems);
  EXPECT_EQ(acks.problems[0].segment_position, 4u);  // IK3 before AK1
  EXPECT_EQ(acks.problems[1].segment_id, "IK4");     // IK4 without IK3
  EXPECT_EQ(acks.problems[1].segment_position, 7u);

  std::string cut = read_data("999_x231_ik3_ik4.x12");
  cut.resize(cut.find("AK2*837*0003"));
  const Acknowledgements partial = read_acknowledgements(cut);
  EXPECT_EQ(partial.groups.at(0).sets.size(), 2u);
  ASSERT_FALSE(partial.problems.empty());
  EXPECT_EQ(partial.problems.back().code, ErrorCode::missing_iea);
}

TEST(X12Ack, NotesAreCapped) {
  std::string body = "AK1*HS*7*005010X279A1~AK2*270*0001~";
  for (int i = 0; i < 50; ++i) body += "IK3*NM1*8**8~IK4*3**5~";
  body += "IK5*R*5~AK9*R*1*1*0~";
  const Acknowledgements acks = read_acknowledgements(group_999(body, 106), 10);
  EXPECT_EQ(acks.groups.at(0).sets.at(0).segments.size(), 5u);
  EXPECT_EQ(acks.dropped_notes, 90u);
}
