#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "x12/reader.hpp"
#include "x12_test_util.hpp"

using namespace x12;
using x12::test::k_isa;
using x12::test::read_data;

namespace {

std::vector<std::string> ids_of(Reader& reader) {
  std::vector<std::string> ids;
  while (const Segment* s = reader.next()) ids.emplace_back(s->id());
  return ids;
}

// An istream of an ISA followed by `size` bytes of 'A' and no terminator, produced on the fly so
// the test itself stays small; counts what the reader pulled.
class EndlessSegment : public std::streambuf {
 public:
  explicit EndlessSegment(std::size_t size) : m_left(size), m_chunk(65536, 'A') {
    m_head = std::string(k_isa) + "NM1*";
    setg(m_head.data(), m_head.data(), m_head.data() + m_head.size());
  }
  std::size_t pulled = 0;

 protected:
  int_type underflow() override {
    if (m_left == 0) return traits_type::eof();
    const std::size_t n = std::min(m_left, m_chunk.size());
    m_left -= n;
    pulled += n;
    setg(m_chunk.data(), m_chunk.data(), m_chunk.data() + n);
    return traits_type::to_int_type(m_chunk[0]);
  }

 private:
  std::size_t m_left;
  std::string m_head, m_chunk;
};

}  // namespace

TEST(X12Reader, ReadsTheX279A1ExampleWithDelimitersFromTheIsa) {
  const std::string bytes = read_data("270_x279a1_example1.x12");
  Reader reader = Reader::from_memory(bytes);
  const std::vector<std::string> ids = ids_of(reader);
  ASSERT_FALSE(reader.error()) << to_string(*reader.error());
  ASSERT_EQ(ids.size(), 17u);
  EXPECT_EQ(ids.front(), "ISA");
  EXPECT_EQ(ids[5], "NM1");
  EXPECT_EQ(ids.back(), "IEA");
  EXPECT_EQ(reader.delimiters().repetition, '^');
  EXPECT_EQ(reader.delimiters().component, ':');
}

TEST(X12Reader, SplitsElementsComponentsAndRepetitions) {
  const std::string bytes = read_data("271_x279a1_example1b.x12");
  Reader reader = Reader::from_memory(bytes);
  const Segment* s = nullptr;
  while ((s = reader.next()) && !(s->id() == "EB" && s->element(1) == "B")) {
  }
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->position(), 19u);  // ISA = 1
  EXPECT_EQ(s->size(), 12u);
  EXPECT_EQ(s->element(5), "GOLD 123 PLAN");
  EXPECT_EQ(s->repetition(3, 1), "1");
  EXPECT_EQ(s->repetition(3, 10), "UC");
  EXPECT_EQ(s->repetition(3, 11), "");
  EXPECT_EQ(s->element(12), "Y");
  EXPECT_EQ(s->element(13), "");
  EXPECT_EQ(bytes.substr(s->offset(), 4), "EB*B");
}

TEST(X12Reader, ComponentsOfAComposite) {
  const std::string bytes = read_data("277_x212_claim_response.x12");
  Reader reader = Reader::from_memory(bytes);
  const Segment* s = nullptr;
  while ((s = reader.next()) && s->id() != "STC") {
  }
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->component(1, 1), "P3");
  EXPECT_EQ(s->component(1, 2), "317");
  EXPECT_EQ(s->component(1, 3), "");
  EXPECT_EQ(s->component(2, 1), "20050913");
}

TEST(X12Reader, ReadsAFileDescriptorInSmallChunks) {
  const std::string path = std::string(PORTAL_TEST_DATA_DIR) + "/x12/276_x212_claim_request.x12";
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  Reader reader(fd, ReaderOptions{.max_segment_length = 200, .chunk_size = 7});
  const std::vector<std::string> ids = ids_of(reader);
  ::close(fd);
  ASSERT_FALSE(reader.error()) << to_string(*reader.error());
  EXPECT_EQ(ids.size(), 40u);  // ST..SE is 36
  EXPECT_EQ(ids.back(), "IEA");
}

TEST(X12Reader, ToleratesCrLfAndABomAndTakesNewDelimitersPerInterchange) {
  std::string two =
      "\xEF\xBB\xBF" + std::string(k_isa) + "\r\nGS*HS*A*B*20260101*1200*1*X*005010X279A1~\r\n";
  std::string isa2(k_isa);
  for (char& c : isa2)
    if (c == '*') c = '|';
  isa2[104] = '>';
  isa2[105] = '\n';
  two += isa2 + "GS|HS|A\r\nIEA|1|000000001\n";
  Reader reader = Reader::from_memory(two);
  std::vector<std::string> seen;
  while (const Segment* s = reader.next())
    seen.push_back(std::string(s->id()) + "@" + std::to_string(s->position()) + ":" +
                   std::string(s->element(2)));
  ASSERT_FALSE(reader.error()) << to_string(*reader.error());
  EXPECT_EQ(seen, (std::vector<std::string>{"ISA@1:          ", "GS@2:A",
                                            "ISA@1:          ", "GS@2:A", "IEA@3:000000001"}));
}

TEST(X12Reader, ShortIsaIsAnErrorAtByteZero) {
  Reader reader = Reader::from_memory("ISA*00*   *00*~GS*HS~");
  EXPECT_EQ(reader.next(), nullptr);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->code, ErrorCode::isa_malformed);
  EXPECT_EQ(reader.error()->segment_position, 1u);
  EXPECT_EQ(reader.error()->byte_offset, 0u);
  EXPECT_NE(reader.error()->reason.find("106"), std::string::npos) << reader.error()->reason;
}

TEST(X12Reader, IsaNotFixedWidthNamesTheCharacter) {
  std::string isa(k_isa);
  isa.erase(40, 1);  // ISA06 one character short
  isa += "GS*HS~IEA*0*000000001~";
  Reader reader = Reader::from_memory(isa);
  EXPECT_EQ(reader.next(), nullptr);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->code, ErrorCode::isa_malformed);
  EXPECT_NE(reader.error()->reason.find("character 51"), std::string::npos)
      << reader.error()->reason;
}

TEST(X12Reader, WrongDelimitersAreRefused) {
  std::string isa(k_isa);
  isa[82] = 'U';  // a 4010-style ISA11
  isa += "IEA*0*000000001~";
  Reader reader = Reader::from_memory(isa);
  EXPECT_EQ(reader.next(), nullptr);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->code, ErrorCode::bad_delimiters);
}

TEST(X12Reader, InputThatIsNotX12) {
  Reader reader = Reader::from_memory("hello, world\n");
  EXPECT_EQ(reader.next(), nullptr);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->code, ErrorCode::isa_malformed);
  Reader empty = Reader::from_memory("");
  EXPECT_EQ(empty.next(), nullptr);
  EXPECT_TRUE(empty.error());
}

TEST(X12Reader, NulByteIsAnErrorWithItsOffset) {
  std::string bytes = std::string(k_isa) + "GS*HS*A";
  bytes += '\0';
  bytes += "B~IEA*1*000000001~";
  Reader reader = Reader::from_memory(bytes);
  ASSERT_NE(reader.next(), nullptr);
  EXPECT_EQ(reader.next(), nullptr);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->code, ErrorCode::invalid_content);
  EXPECT_EQ(reader.error()->segment_position, 2u);
  EXPECT_EQ(reader.error()->byte_offset, 113u);
  EXPECT_EQ(reader.next(), nullptr);
}

TEST(X12Reader, UnterminatedLastSegment) {
  const std::string bytes = std::string(k_isa) + "GS*HS~IEA*1*000000001";
  Reader reader = Reader::from_memory(bytes);
  ids_of(reader);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->code, ErrorCode::invalid_content);
  EXPECT_EQ(reader.error()->segment_position, 3u);
  EXPECT_EQ(reader.error()->segment_id, "IEA");
  EXPECT_EQ(reader.error()->byte_offset, 112u);
}

TEST(X12Reader, HundredMegabyteSegmentStopsAtTheLimitInFlatMemory) {
  EndlessSegment source(100u << 20);
  std::istream in(&source);
  Reader reader(in);  // default limit: 1 MiB
  const Segment* isa = reader.next();
  ASSERT_NE(isa, nullptr);
  EXPECT_EQ(reader.next(), nullptr);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->code, ErrorCode::segment_too_long);
  EXPECT_EQ(reader.error()->segment_position, 2u);
  EXPECT_EQ(reader.error()->byte_offset, 106u);
  EXPECT_EQ(reader.error()->segment_id, "NM1");
  // It stopped after about the limit, not after reading (or holding) 100 MB.
  EXPECT_LT(source.pulled, (1u << 20) + (256u << 10));
}

TEST(X12Reader, LongInputOfShortSegmentsStreams) {
  // 200,000 segments through a 256-byte limit: the buffer is reused, not grown.
  std::string bytes = std::string(k_isa) + "GS*HS*A*B*20260101*1200*1*X*005010X279A1~";
  for (int i = 0; i < 200000; ++i) bytes += "REF*EJ*" + std::to_string(i) + "~\n";
  std::istringstream in(bytes);
  Reader reader(in, ReaderOptions{.max_segment_length = 256, .chunk_size = 4096});
  std::size_t n = 0;
  std::string_view last;
  while (const Segment* s = reader.next()) {
    ++n;
    last = s->element(2);
    EXPECT_EQ(s->position(), n);
  }
  ASSERT_FALSE(reader.error()) << to_string(*reader.error());
  EXPECT_EQ(n, 200002u);
  EXPECT_EQ(reader.bytes_read(), bytes.size());
}

TEST(X12Reader, MemoryIsReadInPlaceAndItsLimitStillHolds) {
  const std::string bytes = read_data("270_x279a1_example1.x12");
  Reader reader = Reader::from_memory(bytes);
  const Segment* isa = reader.next();
  ASSERT_NE(isa, nullptr);
  // Segments view into the caller's bytes: nothing was copied.
  EXPECT_EQ(isa->text().data(), bytes.data());
  const Segment* gs = reader.next();
  ASSERT_NE(gs, nullptr);
  EXPECT_EQ(gs->text().data(), bytes.data() + gs->offset());

  // A segment longer than the limit is refused in memory as it is from a file.
  const std::string big = std::string(k_isa) + "NM1*" + std::string(4096, 'A') + "~";
  Reader limited = Reader::from_memory(big, ReaderOptions{.max_segment_length = 1024});
  ASSERT_NE(limited.next(), nullptr);
  EXPECT_EQ(limited.next(), nullptr);
  ASSERT_TRUE(limited.error());
  EXPECT_EQ(limited.error()->code, ErrorCode::segment_too_long);
  EXPECT_EQ(limited.error()->byte_offset, 106u);
}
