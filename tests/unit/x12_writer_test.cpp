#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"
#include "x12/control_numbers.hpp"
#include "x12/envelope.hpp"
#include "x12/reader.hpp"
#include "x12/writer.hpp"
#include "x12_test_util.hpp"

using namespace x12;
using x12::test::read_data;

namespace {

using namespace std::chrono;

InterchangeHeader example_header() {
  InterchangeHeader h;
  h.authorization = "Authorizat";
  h.security = "Security I";
  h.sender_id = "Interchange Sen";
  h.receiver_id = "Interchange Rec";
  h.time = sys_days{year{2014} / 10 / 1} + hours{10} + minutes{37};
  return h;
}

void write_example_270(Writer& w) {
  w.begin_interchange(example_header(), 31033);
  w.begin_group("HS", "Sample Sen", "Sample Rec", "005010X279A1", 123456);
  w.begin_transaction("270", 1234);
  w.segment({"BHT", "0022", "13", "10001234", "20060501", "1319"});
  w.segment({"HL", "1", "", "20", "1"});
  w.segment({"NM1", "PR", "2", "ABC COMPANY", "", "", "", "", "PI", "842610001"});
  w.segment({"HL", "2", "1", "21", "1"});
  w.segment({"NM1", "1P", "2", "BONE AND JOINT CLINIC", "", "", "", "", "SV", "2000035"});
  w.segment({"HL", "3", "2", "22", "0"});
  w.segment({"TRN", "1", "93175-012547", "9877281234"});
  w.segment({"NM1", "IL", "1", "SMITH", "ROBERT", "", "", "", "MI", "11122333301"});
  w.segment({"DMG", "D8", "19430519", "", ""});  // trailing empties are dropped
  w.segment({"DTP", "291", "D8", "20060501"});
  w.segment({"EQ", "30"});
  w.end_transaction();
  w.end_group();
  w.end_interchange();
}

std::vector<Error> envelope_findings(const std::string& bytes) {
  Reader reader = Reader::from_memory(bytes);
  EnvelopeChecker checker;
  while (const Segment* s = reader.next()) checker.on_segment(*s);
  if (reader.error()) checker.add(*reader.error());
  checker.on_end(reader.bytes_read());
  return checker.findings();
}

}  // namespace

TEST(X12Writer, RebuildsTheX279A1ExampleByteForByte) {
  Writer w(WriterOptions{.newline_after_segment = true});
  write_example_270(w);
  ASSERT_TRUE(w.status()) << to_string(w.status().error());
  EXPECT_EQ(w.out(), read_data("270_x279a1_example1.x12"));
  EXPECT_EQ(w.out().find('\n'), 106u);  // the ISA is fixed-width
}

TEST(X12Writer, CountsAndControlNumbersCheckOut) {
  Writer w;
  write_example_270(w);
  write_example_270(w);  // a second interchange in the same output
  ASSERT_TRUE(w.status());
  EXPECT_TRUE(envelope_findings(w.out()).empty());
  EXPECT_NE(w.out().find("SE*13*1234~GE*1*123456~IEA*1*000031033~"), std::string::npos);
}

TEST(X12Writer, OtherDelimitersAndCompositesReadBack) {
  Writer w(WriterOptions{.delimiters = {'|', '!', '>', '\n'}});
  w.begin_interchange(example_header(), 7);
  w.begin_group("HR", "S", "R", "005010X212", 8);
  w.begin_transaction("276", 9);
  w.begin_segment("SVC");
  w.element("HC");
  w.component("99203");
  w.element("150");
  w.end_segment();
  w.begin_segment("EB");
  w.element("1");
  w.element("");
  w.element("1");
  w.repetition("33");
  w.end_segment();
  w.end_transaction();
  w.end_group();
  w.end_interchange();
  ASSERT_TRUE(w.status()) << to_string(w.status().error());
  EXPECT_NE(w.out().find("SVC|HC>99203|150\nEB|1||1!33\nSE|4|0009\n"), std::string::npos)
      << w.out();
  Reader reader = Reader::from_memory(w.out());
  const Segment* s = nullptr;
  while ((s = reader.next()) && s->id() != "SVC") {
  }
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->component(1, 2), "99203");
  EXPECT_TRUE(envelope_findings(w.out()).empty());
}

TEST(X12Writer, DelimiterInsideDataIsRefusedWithItsPosition) {
  Writer w;
  w.begin_interchange(example_header(), 1);
  w.begin_group("HS", "S", "R", "005010X279A1", 1);
  w.begin_transaction("270", 1);
  w.segment({"BHT", "0022", "13", "1", "20060501", "1319"});
  w.segment({"NM1", "IL", "1", "O*BRIEN"});
  ASSERT_FALSE(w.status());
  EXPECT_EQ(w.status().error().code, ErrorCode::invalid_character);
  EXPECT_EQ(w.status().error().segment_position, 5u);
  EXPECT_EQ(w.status().error().segment_id, "NM1");
  EXPECT_EQ(w.status().error().element, 3);
  w.segment({"EQ", "30"});  // ignored after the first problem
  EXPECT_EQ(w.status().error().segment_id, "NM1");
}

TEST(X12Writer, BasicCharsetRefusesLowerCase) {
  Writer w(WriterOptions{.charset = Charset::basic});
  w.begin_interchange(example_header(), 1);
  ASSERT_FALSE(w.status());  // "Authorizat" has lower case
  EXPECT_EQ(w.status().error().element, 2);
}

TEST(X12Writer, IsaFieldTooWideAndTrailersOutOfOrder) {
  InterchangeHeader h = example_header();
  h.sender_id = "SIXTEEN CHARS 16";
  Writer w;
  w.begin_interchange(h, 1);
  ASSERT_FALSE(w.status());
  EXPECT_EQ(w.status().error().element, 6);

  Writer w2;
  w2.begin_interchange(example_header(), 1);
  w2.begin_group("HS", "S", "R", "005010X279A1", 1);
  w2.begin_transaction("270", 1);
  w2.end_group();
  ASSERT_FALSE(w2.status());
  EXPECT_NE(w2.status().error().reason.find("GE"), std::string::npos);
}

TEST(X12ControlNumbers, UniqueAndPersistedAcrossRuns) {
  portal::test::TempDir dir;
  {
    auto store = ControlNumbers::open(dir.path(), "SENDER 1");
    ASSERT_TRUE(store) << to_string(store.error());
    auto a = store->reserve(1, 1, 3);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->interchange, 1u);
    EXPECT_EQ(a->transaction, 1u);
    auto b = store->reserve(1, 1, 1);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->interchange, 2u);
    EXPECT_EQ(b->transaction, 4u);
  }
  auto again = ControlNumbers::open(dir.path(), "SENDER 1");  // the next run
  ASSERT_TRUE(again);
  auto c = again->reserve(1, 0, 0);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->interchange, 3u);
  auto other = ControlNumbers::open(dir.path(), "SENDER/2");  // its own sequence and file
  ASSERT_TRUE(other);
  EXPECT_EQ(other->reserve(1, 1, 1)->interchange, 1u);
  EXPECT_EQ(other->path().filename(), "SENDER%2F2.ctl");
}

TEST(X12ControlNumbers, WrapsAfterNineDigits) {
  portal::test::TempDir dir;
  std::ofstream(dir.path() / "S.ctl") << "isa 999999998\ngs 5\nst 999999999\n";
  auto store = ControlNumbers::open(dir.path(), "S");
  auto a = store->reserve(2, 1, 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->interchange, 999999999u);
  EXPECT_EQ(a->transaction, 1u);
  EXPECT_EQ(store->reserve(1, 1, 1)->interchange, 2u);  // the block above held 999999999 and 1
}

TEST(X12ControlNumbers, DamagedFileIsAnError) {
  portal::test::TempDir dir;
  std::ofstream(dir.path() / "S.ctl") << "isa twelve\n";
  auto store = ControlNumbers::open(dir.path(), "S");
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->reserve(1, 1, 1));
}

TEST(X12ControlNumbers, ConcurrentReservationsNeverRepeat) {
  portal::test::TempDir dir;
  std::vector<std::vector<std::uint32_t>> seen(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto store = ControlNumbers::open(dir.path(), "S");  // its own descriptor per thread
      for (int i = 0; i < 25; ++i) seen[t].push_back(store->reserve(1, 1, 2)->transaction);
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::uint32_t> all;
  for (const auto& v : seen) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(*all.rbegin(), 199u);
}
