#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "x12/envelope.hpp"
#include "x12/reader.hpp"
#include "x12_test_util.hpp"

using namespace x12;
using x12::test::k_isa;
using x12::test::read_data;

namespace {

std::vector<Error> check(const std::string& bytes) {
  Reader reader = Reader::from_memory(bytes);
  EnvelopeChecker checker;
  while (const Segment* s = reader.next()) checker.on_segment(*s);
  if (reader.error()) checker.add(*reader.error());
  checker.on_end(reader.bytes_read());
  return checker.findings();
}

std::string dump(const std::vector<Error>& errors) {
  std::string out;
  for (const Error& e : errors) out += to_string(e) + "\n";
  return out;
}

// An interchange around one 270 whose body (BHT..before SE) is `body` and SE01 is `se01`.
std::string interchange_270(const std::string& body, int se01, const std::string& gs01 = "HS") {
  return std::string(k_isa) + "GS*" + gs01 + "*S*R*20260101*1200*7*X*005010X279A1~" +
         "ST*270*0001*005010X279A1~" + body + "SE*" + std::to_string(se01) + "*0001~GE*1*7~" +
         "IEA*1*000000001~";
}

const std::string k_body =
    "BHT*0022*13*1*20260101*1200~HL*1**20*1~NM1*PR*2*PAYER*****PI*1~HL*2*1*21*1~"
    "NM1*1P*2*CLINIC*****XX*1234567893~HL*3*2*22*0~NM1*IL*1*DOE*JANE****MI*M1~EQ*30~";

}  // namespace

TEST(X12Envelope, PublicExamplesAreClean) {
  for (const char* name :
       {"270_x279a1_example1.x12", "271_x279a1_example1b.x12", "276_x212_claim_request.x12",
        "277_x212_claim_response.x12", "999_x231_ik3_ik4.x12", "999_ta1_inside.x12"}) {
    EXPECT_EQ(dump(check(read_data(name))), "") << name;
  }
}

TEST(X12Envelope, WellFormedBuiltInterchangeIsClean) {
  EXPECT_EQ(dump(check(interchange_270(k_body, 10))), "");
}

TEST(X12Envelope, WrongSe01NamesTheSeSegmentAndElement) {
  const auto errors = check(interchange_270(k_body, 11));
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].code, ErrorCode::segment_count_mismatch);
  EXPECT_EQ(errors[0].segment_id, "SE");
  EXPECT_EQ(errors[0].segment_position, 12u);
  EXPECT_EQ(errors[0].element, 1);
  EXPECT_EQ(errors[0].value, "11");
  EXPECT_EQ(ack_code(errors[0].code).code, "4");
}

TEST(X12Envelope, IeaControlNumberDifferentFromIsa13) {
  std::string bytes = interchange_270(k_body, 10);
  bytes.replace(bytes.find("IEA*1*000000001"), 15, "IEA*1*000000002");
  const auto errors = check(bytes);
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].code, ErrorCode::interchange_control_mismatch);
  EXPECT_EQ(errors[0].segment_position, 14u);
  EXPECT_EQ(errors[0].element, 2);
  EXPECT_EQ(ack_code(errors[0].code).code, "001");
}

TEST(X12Envelope, GroupAndInterchangeCounts) {
  std::string bytes = interchange_270(k_body, 10);
  bytes.replace(bytes.find("GE*1*7"), 6, "GE*2*8");
  bytes.replace(bytes.find("IEA*1"), 5, "IEA*3");
  const auto errors = check(bytes);
  ASSERT_EQ(errors.size(), 3u) << dump(errors);
  EXPECT_EQ(errors[0].code, ErrorCode::group_control_mismatch);
  EXPECT_EQ(errors[1].code, ErrorCode::group_count_mismatch);
  EXPECT_EQ(errors[1].segment_position, 13u);
  EXPECT_EQ(errors[2].code, ErrorCode::interchange_count_mismatch);
}

TEST(X12Envelope, A270UnderGs01HbIsNotSupportedThere) {
  const auto errors = check(interchange_270(k_body, 10, "HB"));
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].code, ErrorCode::transaction_not_supported);
  EXPECT_EQ(errors[0].segment_position, 3u);
  EXPECT_EQ(errors[0].segment_id, "ST");
  EXPECT_EQ(errors[0].element, 1);
  EXPECT_NE(errors[0].reason.find("HS"), std::string::npos);
}

TEST(X12Envelope, HlPointingAtItself) {
  std::string body = k_body;
  body.replace(body.find("HL*3*2*22"), 9, "HL*3*3*22");
  const auto errors = check(interchange_270(body, 10));
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].code, ErrorCode::hl_invalid);
  EXPECT_EQ(errors[0].segment_position, 9u);
  EXPECT_EQ(errors[0].element, 2);
  EXPECT_NE(errors[0].reason.find("itself"), std::string::npos);
}

TEST(X12Envelope, HlParentLaterOrOffThePathOrChildless) {
  std::string later = k_body;
  later.replace(later.find("HL*2*1*21"), 9, "HL*2*3*21");
  auto errors = check(interchange_270(later, 10));
  ASSERT_GE(errors.size(), 1u);
  EXPECT_EQ(errors[0].segment_position, 7u);
  EXPECT_NE(errors[0].reason.find("does not come before"), std::string::npos) << dump(errors);

  std::string childless = k_body;
  childless.replace(childless.find("HL*2*1*21*1"), 11, "HL*2*1*21*0");
  errors = check(interchange_270(childless, 10));
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_NE(errors[0].reason.find("no children"), std::string::npos);

  std::string sequence = k_body;
  sequence.replace(sequence.find("HL*3*2"), 6, "HL*4*2");
  errors = check(interchange_270(sequence, 10));
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].element, 1);
}

TEST(X12Envelope, MissingTrailersAtTheEnd) {
  std::string bytes = interchange_270(k_body, 10);
  bytes.resize(bytes.find("SE*"));
  const auto errors = check(bytes);
  ASSERT_EQ(errors.size(), 3u) << dump(errors);
  EXPECT_EQ(errors[0].code, ErrorCode::missing_se);
  EXPECT_EQ(errors[1].code, ErrorCode::missing_ge);
  EXPECT_EQ(errors[2].code, ErrorCode::missing_iea);
  EXPECT_EQ(errors[2].byte_offset, bytes.size());
}

TEST(X12Envelope, SecondIsaBeforeIeaClosesTheFirst) {
  std::string bytes = interchange_270(k_body, 10);
  bytes.resize(bytes.find("IEA*"));
  bytes += interchange_270(k_body, 10);
  const auto errors = check(bytes);
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].code, ErrorCode::missing_iea);
  EXPECT_EQ(errors[0].segment_id, "ISA");
}
