// A 277's answers as JSON text (write_claim_status_answer, output::JsonText): the same bytes as
// claim_status_result()'s answers serialized by Boost.JSON, for every 277 of the test data and a
// generated interchange of several sets whose values need escaping; and the 277 reader, which
// reuses an answer's memory for the next, reads the same answers as when each is taken away.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "portal/output/json_text.hpp"
#include "portal/wire/x12/payers.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "x12/reader.hpp"
#include "x12/transactions.hpp"
#include "x12_test_util.hpp"

namespace {

namespace json = boost::json;
using portal::output::JsonText;
using portal::wire::Result;
using namespace portal::wire::x12w;

Payers payers() {
  auto p = Payers::parse("payers:\n  acme-commercial: {payer_id: ACMEC, name: ACME HEALTH}\n",
                         "payers.yaml");
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return *p;
}

// The answer's as_of (the time of the call) made the same.
std::string without_as_of(std::string text) {
  static const std::regex k_as_of(R"("as_of":"[^"]*")");
  return std::regex_replace(text, k_as_of, R"("as_of":"")");
}

std::string as_text(std::span<const x12::ClaimStatusResponse> responses, const Payers& p) {
  JsonText text;
  text.begin_object();
  write_claim_status_answer(text, responses, p);
  text.end_object();
  return std::string(text.view());
}

// Checks every answer of `interchange` one by one and all together; the number of ok answers.
std::size_t expect_same_answers(std::string_view interchange, const Payers& p) {
  std::vector<x12::ClaimStatusResponse> all;
  std::size_t ok = 0;
  auto reader = x12::Reader::from_memory(interchange);
  x12::read_277(reader, [&](x12::ClaimStatusResponse&& r, const x12::Segment&) {
    all.push_back(r);
    const std::vector<x12::ClaimStatusResponse> one{r};
    const Result result = claim_status_result(one, p, {});
    EXPECT_EQ(claim_status_matched(one), result.outcome == "ok") << json::serialize(result.answer);
    if (result.outcome == "ok") {
      ++ok;
      EXPECT_EQ(without_as_of(as_text(one, p)), without_as_of(json::serialize(result.answer)));
    }
    return true;
  });
  const Result whole = claim_status_result(all, p, {});
  EXPECT_EQ(claim_status_matched(all), whole.outcome == "ok");
  if (whole.outcome == "ok") {
    EXPECT_EQ(without_as_of(as_text(all, p)), without_as_of(json::serialize(whole.answer)));
  }
  return ok;
}

// One 277 set (ST..SE) around `body`, with its segment count.
std::string set_277(std::string_view st02, std::string_view body) {
  std::string set = "ST*277*" + std::string(st02) + "*005010X212~" + std::string(body);
  const auto count = std::count(set.begin(), set.end(), '~') + 1;
  return set + "SE*" + std::to_string(count) + "*" + std::string(st02) + "~";
}

constexpr std::string_view k_header =
    "BHT*0010*08*BATCH1*20261116*1200*DG~HL*1**20*1~NM1*PR*2*ACME HEALTH*****PI*ACMEC~"
    "HL*2*1*21*1~NM1*41*2*PROVPORTAL SUBMITTER*****46*PROVPORTAL01~"
    "HL*3*2*19*1~NM1*1P*2*PROVIDER*****XX*1234567893~";

// Several sets: values with quotes, backslashes, control characters and bytes beyond ASCII;
// odd amounts; a subscriber answering two inquiries; one with a claim not found, a dependent
// refused, a status at the provider's level, and patients of more and fewer claims than the
// one before them (the reader reuses their memory).
std::string generated_277() {
  std::string sets;
  sets +=
      set_277("0001", std::string(k_header) +
                          "HL*4*3*22*0~NM1*IL*1*O\"NEIL*ZO\xC3\x8B****MI*ACM\"1\\2~"
                          "TRN*2*TRACE\"A\\~"
                          "STC*F1:65:PR*20261110**150.5*120*20261110*CHK*20261112*CHK\t1\x01~"
                          "REF*1K*C7\"0001/\x7F~REF*EJ*ACCT\x1F\xC3\xA9\xFF~DTP*472*D8*20261005~"
                          "SVC*HC:99213*150.5****2~STC*F1:65*20261110~REF*FJ*1~DTP*472*D8*20261005~"
                          "SVC*HC:99214*abc****0~STC*F1:65*20261110~"
                          "SVC*HC:99215*0012.3456****-4~STC*F1:65*20261110~"
                          "TRN*2*TRACE\"A\\~STC*F2:1:PR*20261110**1e3*~REF*1K*C70002~"
                          "DTP*472*RD8*20261001-20261003~"
                          "TRN*2*TRACE2~STC*P1:20*20261110**x1.5~REF*1K*C70003~"
                          "HL*5*3*22*1~NM1*IL*1*SMITH*JOHN****MI*ACM2~TRN*2*T5~STC*A4:35~"
                          "HL*6*5*23~NM1*QC*1*SMITH*JANE~TRN*2*T6~STC*E0:33~"
                          "HL*7*3*22*0~NM1*IL*1*LEE*ANN****MI*ACM3~"
                          "TRN*2*T7~STC*F4:104~REF*1K*C70007~TRN*2*T7~STC*F3:101*20261110**99*0~"
                          "TRN*2*T7~STC*D0:1~TRN*2*T7~STC*ZZ:9*20261110**1.00*1.00~REF*EJ*E~"
                          "TRN*2*T7~STC*F1:65~"
                          "HL*8*3*22*0~NM1*IL*1*LEE*BOB****MI*ACM4~TRN*2*T8~STC*P3:21:1P~");
  sets += set_277("0002",
                  "BHT*0010*08*BATCH2*20261116*1200*DG~HL*1**20*1~"
                  "NM1*PR*2*OTHER PAYER*****PI*OTHR~HL*2*1*21*1~"
                  "NM1*41*2*SUBMITTER*****46*PROVPORTAL01~HL*3*2*19*1~"
                  "NM1*1P*2*PROVIDER*****XX*1234567893~TRN*2*LEVEL~STC*A3:21~"
                  "HL*4*3*22*0~NM1*IL*1*KIM*JO****MI*OT1~TRN*2*K1~"
                  "STC*A2:20:PR*20261110**10~REF*1K*K1~SVC*HC:1****~STC*A2:20~");
  return std::string(x12::test::k_isa) + "GS*HN*SENDER*RECEIVER*20261116*1200*1*X*005010X212~" +
         sets + "GE*2*1~IEA*1*000000001~";
}

TEST(X12ClaimStatusText, EscapesStringsAsBoostJsonDoes) {
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  for (std::string_view s :
       {std::string_view(every_byte), std::string_view("a\"b\\c/d\x7f"),
        std::string_view("\xC3\x8B\xFF\xFE"), std::string_view(""), std::string_view("\0x", 2)}) {
    JsonText text;
    text.string(s);
    EXPECT_EQ(text.view(), json::serialize(json::string(s)));
  }
  // Plain runs (copied a word at a time) with one byte of each kind anywhere in them.
  for (const char odd :
       {'\0', '\x1f', '"', '\\', '\x7f', '\x80', '\xff', ' ', '!', '#', '[', ']'}) {
    for (std::size_t at = 0; at < 24; ++at) {
      std::string s(24, 'a');
      s[at] = odd;
      JsonText text;
      text.string(s);
      EXPECT_EQ(text.view(), json::serialize(json::string(s))) << at;
    }
  }
}

TEST(X12ClaimStatusText, WritesNestedValuesWithTheirCommas) {
  JsonText text;
  text.begin_object();
  text.key("a");
  text.integer(-9223372036854775807LL - 1);
  text.key("b");
  text.begin_array();
  text.begin_object();
  text.end_object();
  text.begin_array();
  text.end_array();
  text.null();
  text.boolean(true);
  text.string("x");
  text.integer(0);
  text.end_array();
  text.key("c");
  text.literal("{\"d\":[1,2]}");
  text.end_object();
  text.newline();
  text.begin_array();
  text.end_array();
  const json::value v = {{"a", -9223372036854775807LL - 1},
                         {"b", json::array{json::object{}, json::array{}, nullptr, true, "x", 0}},
                         {"c", json::object{{"d", json::array{1, 2}}}}};
  EXPECT_EQ(text.view(), json::serialize(v) + "\n[]");
}

TEST(X12ClaimStatusText, EveryTestData277GivesTheSameAnswers) {
  const Payers p = payers();
  for (const char* name :
       {"277_x212_claim_response.x12", "guide/x212_277_provider_response.x12",
        "guide/x212_277_info_receiver_response.x12", "guide/x212_277_ncpdp_response.x12"}) {
    SCOPED_TRACE(name);
    const std::string data = x12::test::read_data(name);
    ASSERT_FALSE(data.empty());
    expect_same_answers(data, p);
  }
}

TEST(X12ClaimStatusText, AGenerated277OfSeveralSetsGivesTheSameAnswers) {
  const std::string data = generated_277();
  EXPECT_GE(expect_same_answers(data, payers()), 4u);
  EXPECT_GE(expect_same_answers(data, Payers{}), 4u);
}

TEST(X12ClaimStatusText, TheReaderReusingAnAnswersMemoryReadsTheSame) {
  const std::string data = generated_277();
  std::vector<x12::ClaimStatusResponse> taken, left;
  auto a = x12::Reader::from_memory(data);
  x12::read_277(a, [&](x12::ClaimStatusResponse&& r, const x12::Segment&) {
    taken.push_back(std::move(r));
    return true;
  });
  auto b = x12::Reader::from_memory(data);
  x12::read_277(b, [&](x12::ClaimStatusResponse&& r, const x12::Segment&) {
    left.push_back(r);  // a copy: `r` stays the reader's
    return true;
  });
  ASSERT_EQ(taken.size(), 7u);
  EXPECT_EQ(taken, left);
  EXPECT_EQ(taken[0].claims.size(), 3u);
  EXPECT_EQ(taken[0].claims[0].lines.size(), 3u);
  EXPECT_EQ(taken[3].claims.size(), 5u);
  EXPECT_EQ(taken[4].claims.size(), 1u);
  EXPECT_EQ(taken[4].claims[0].payer_claim_number, "");
  EXPECT_TRUE(taken[4].claims[0].lines.empty());
}

}  // namespace
