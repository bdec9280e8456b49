#include <gtest/gtest.h>

#include <string>

#include "x12/validate.hpp"
#include "x12_test_util.hpp"

using namespace x12;
using x12::test::k_isa;
using x12::test::read_data;

namespace {

std::string dump(const Report& r) {
  std::string out;
  for (const Error& e : r.findings) out += to_string(e) + "\n";
  return out;
}

// The X279A1 example 270 with `from` replaced by `to` (first occurrence).
std::string edited(std::string bytes, std::string_view from, std::string_view to) {
  const std::size_t at = bytes.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) bytes.replace(at, from.size(), to);
  return bytes;
}

const std::string k_270 = read_data("270_x279a1_example1.x12");

}  // namespace

TEST(X12Validate, PublicExamplesPass) {
  for (const char* name :
       {"270_x279a1_example1.x12", "271_x279a1_example1b.x12", "276_x212_claim_request.x12",
        "277_x212_claim_response.x12", "999_ta1_inside.x12"}) {
    const Report r = validate(read_data(name));
    EXPECT_TRUE(r.ok()) << name << "\n" << dump(r);
    EXPECT_EQ(r.transactions, 1u);
  }
}

TEST(X12Validate, A999InTheUnamendedVersionHasNoGuide) {
  const std::string bytes = read_data("999_x231_ik3_ik4.x12");
  const Report r = validate(bytes);
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::version_not_supported);
  EXPECT_EQ(r.findings[0].segment_position, 3u);
  EXPECT_EQ(r.findings[0].element, 3);
}

TEST(X12Validate, NameLongerThanSixtyIsReportedWithLoopAndElement) {
  const Report r = validate(edited(k_270, "SMITH*ROBERT", std::string(61, 'S') + "*ROBERT"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  const Error& e = r.findings[0];
  EXPECT_EQ(e.code, ErrorCode::element_too_long);
  EXPECT_EQ(e.segment_id, "NM1");
  EXPECT_EQ(e.segment_position, 11u);
  EXPECT_EQ(e.loop, "2100C");
  EXPECT_EQ(e.element, 3);
  EXPECT_EQ(ack_code(e.code).code, "5");
  // Sixty is allowed (5010 widened NM103 from 35), and NM104 stops at 35.
  EXPECT_TRUE(validate(edited(k_270, "SMITH*ROBERT", std::string(60, 'S') + "*ROBERT")).ok());
  const Report first = validate(edited(k_270, "SMITH*ROBERT", "SMITH*" + std::string(36, 'R')));
  ASSERT_EQ(first.findings.size(), 1u) << dump(first);
  EXPECT_EQ(first.findings[0].element, 4);
}

TEST(X12Validate, BadDatesByFormatQualifier) {
  Report r = validate(edited(k_270, "DTP*291*D8*20060501", "DTP*291*D8*20060231"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::invalid_date);
  EXPECT_EQ(r.findings[0].element, 3);
  EXPECT_EQ(r.findings[0].value, "20060231");

  r = validate(edited(k_270, "DTP*291*D8*20060501", "DTP*291*RD8*20060501-20060401"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::invalid_date);
  EXPECT_TRUE(validate(edited(k_270, "DTP*291*D8*20060501", "DTP*291*RD8*20060501-20060601")).ok());

  r = validate(edited(k_270, "DMG*D8*19430519", "DMG*D8*1943-05-19"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].segment_id, "DMG");
  EXPECT_EQ(r.findings[0].element, 2);
}

TEST(X12Validate, MissingRequiredLoopAndBadQualifier) {
  Report r = validate(edited(k_270, "NM1*PR*2*ABC COMPANY*****PI*842610001~\n", ""));
  ASSERT_GE(r.findings.size(), 1u) << dump(r);
  bool found = false;
  for (const Error& e : r.findings)
    found = found || (e.code == ErrorCode::missing_segment && e.segment_id == "NM1" &&
                      e.loop == "2000A" && e.segment_position == 6u);  // noticed at HL
  EXPECT_TRUE(found) << dump(r);

  r = validate(edited(k_270, "NM1*PR*2", "NM1*XX*2"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::invalid_code);
  EXPECT_EQ(r.findings[0].element, 1);
  EXPECT_EQ(r.findings[0].segment_position, 6u);
}

TEST(X12Validate, SegmentOutOfOrderAndUnrecognized) {
  Report r =
      validate(edited(k_270, "DTP*291*D8*20060501~", "DTP*291*D8*20060501~\nREF*SY*123456789~"));
  ASSERT_EQ(r.findings.size(), 2u) << dump(r);  // and SE01 no longer counts
  EXPECT_EQ(r.findings[0].code, ErrorCode::segment_out_of_order);
  EXPECT_EQ(r.findings[0].segment_position, 14u);
  EXPECT_EQ(ack_code(r.findings[0].code).code, "7");

  r = validate(edited(k_270, "EQ*30~\nSE*13*", "EQ*30~\nZZZ*1~\nSE*14*"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::unrecognized_segment);
  EXPECT_EQ(r.findings[0].segment_id, "ZZZ");
}

TEST(X12Validate, HlUnderTheWrongParentLevel) {
  const Report r = validate(edited(k_270, "HL*3*2*22*0", "HL*3*1*22*0"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::hl_invalid);
  EXPECT_EQ(r.findings[0].element, 2);
  EXPECT_NE(r.findings[0].reason.find("under level 21"), std::string::npos);
}

TEST(X12Validate, A270UnderGs01HbIsReported) {
  const Report r = validate(edited(k_270, "GS*HS*", "GS*HB*"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::transaction_not_supported);
  EXPECT_EQ(r.findings[0].segment_position, 3u);
}

TEST(X12Validate, CharacterSets) {
  const std::string lower = edited(k_270, "SMITH*ROBERT", "Smith*ROBERT");
  EXPECT_TRUE(validate(lower).ok());
  const Report r = validate(lower, ValidateOptions{.charset = Charset::basic});
  ASSERT_GE(r.findings.size(), 1u);
  bool found = false;
  for (const Error& e : r.findings)
    found = found ||
            (e.code == ErrorCode::invalid_character && e.segment_position == 11u && e.element == 3);
  EXPECT_TRUE(found) << dump(r);
}

TEST(X12Validate, RepeatedAndCompositeCodes) {
  const std::string r271 = read_data("271_x279a1_example1b.x12");
  Report r = validate(edited(r271, "EB*1**1>33>35", "EB*1**1>333>35"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::element_too_long);
  EXPECT_EQ(r.findings[0].element, 3);
  EXPECT_EQ(r.findings[0].loop, "2110C");

  r = validate(edited(read_data("277_x212_claim_response.x12"), "STC*P3:317", "STC*Z9:317"));
  ASSERT_EQ(r.findings.size(), 1u) << dump(r);
  EXPECT_EQ(r.findings[0].code, ErrorCode::invalid_code);
  EXPECT_EQ(r.findings[0].loop, "2200D");
}

TEST(X12Validate, ReaderErrorIsTheLastFindingAndFindingsAreCapped) {
  std::string nul = k_270;
  nul[nul.find("ROBERT")] = '\0';
  Report r = validate(nul);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings.back().code, ErrorCode::invalid_content);
  EXPECT_EQ(r.findings.back().segment_position, 11u);

  std::string many = std::string(k_isa) + "GS*HS*S*R*20260101*1200*1*X*005010X279A1~ST*270*0001~";
  for (int i = 0; i < 3000; ++i) many += "ZZ*1~";
  r = validate(many, ValidateOptions{.max_findings = 100});
  EXPECT_EQ(r.findings.size(), 100u);
  EXPECT_GT(r.dropped, 2900u);
  EXPECT_FALSE(r.ok());
}
