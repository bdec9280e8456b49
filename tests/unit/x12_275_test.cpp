// The 275 (005010X210): its guide, writer and reader, and the Reader's BIN segment read by its
// length (binary data holding delimiters, NUL and 0xFF bytes; hostile lengths).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "x12/transactions.hpp"
#include "x12/validate.hpp"
#include "x12_test_util.hpp"

using namespace x12;

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
  h.time = sys_days{year{2026} / 12 / 7} + hours{15} + minutes{4};
  return h;
}

std::string write(const std::function<void(Writer&)>& body, WriterOptions options = {}) {
  Writer w(options);
  w.begin_interchange(header(), 42);
  w.begin_group("PI", "SUBMITTER", "PAYER", "005010X210", 7);
  body(w);
  w.end_group();
  w.end_interchange();
  EXPECT_TRUE(w.status()) << to_string(w.status().error());
  return w.out();
}

Error write_error(const Attachment& a, std::string_view bytes) {
  Writer w;
  w.begin_interchange(header(), 42);
  w.begin_group("PI", "SUBMITTER", "PAYER", "005010X210", 7);
  write_275(w, 1, a, bytes);
  EXPECT_FALSE(w.status()) << "the writer accepted it:\n" << w.out();
  return w.status() ? Error{} : w.status().error();
}

std::vector<Attachment> read_all(const std::string& bytes, ReadSummary* summary = nullptr) {
  std::vector<Attachment> items;
  Reader reader = Reader::from_memory(bytes);
  ReadSummary s = read_275(reader, [&](Attachment&& item, const Segment& st) {
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

// The clinical notes of a radiology case, announced by its 278's PWK06 K7F3A9-1.
Attachment sample() {
  Attachment a;
  a.reference = "K7F3A9-1";
  a.payer = {"PR", '2', "ACME COMMERCIAL", "", "", "PI", "ACMEC"};
  a.provider = {"1P", '2', "ORDERING PROVIDER", "", "", "XX", "1234567893"};
  a.patient = {"QC", '1', "CHEN", "ROBERT", "", "MI", "ACM100552"};
  a.control = {"1", "K7F3A9-1", "", ""};
  return a;
}

// Bytes no text segment could carry: every delimiter, NUL, 0xFF, CR/LF, and the ISA's letters.
std::string hostile_bytes() {
  std::string b = "%PDF-1.4\n*~^:";
  b += '\0';
  b += "\xFF\xFE~~**\r\nISA*00*~BIN*5*";
  b += '\0';
  b += "SE*1*0001~";
  for (int c = 0; c < 256; ++c) b += static_cast<char>(c);
  return b;
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

// A 275 interchange whose BIN segment is `bin` (its text from "BIN" to the terminator, included).
std::string with_bin(std::string_view bin) {
  std::string bytes = write([&](Writer& w) { write_275(w, 1, sample(), "X"); });
  const std::size_t at = bytes.find("BIN*1*X~");
  return bytes.substr(0, at) + std::string(bin) + bytes.substr(at + 8);
}

}  // namespace

TEST(X12_275, RoundTripsAndValidates) {
  Attachment a = sample();
  a.patient_account = "PA-77";
  a.service = {"", "2026-12-01", "2027-02-28"};
  a.submitted_date = "2026-12-07";
  const std::string pdf = "%PDF-1.4 clinical notes";
  const std::string bytes = write([&](Writer& w) { write_275(w, 1, a, pdf); });
  EXPECT_NE(bytes.find("GS*PI*"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("ST*275*0001*005010X210~BGN*02*K7F3A9-1*20261207*1504~"), std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("NM1*PR*2*ACME COMMERCIAL*****PI*ACMEC~"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("NM1*41*2*ORDERING PROVIDER*****XX*1234567893~"), std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find("NM1*QC*1*CHEN*ROBERT****MI*ACM100552~REF*EJ*PA-77~"
                       "DTP*472*RD8*20261201-20270228~LX*1~TRN*1*K7F3A9-1~DTP*368*D8*20261207~"
                       "CAT*AE*MB~EFI*05~BIN*23*%PDF-1.4 clinical notes~SE*15*0001~"),
            std::string::npos)
      << bytes;
  const Report report = validate(bytes);
  EXPECT_TRUE(report.ok()) << dump(report.findings) << bytes;

  const std::vector<Attachment> items = read_all(bytes);
  ASSERT_EQ(items.size(), 1u);
  Attachment expected = a;
  expected.purpose = "02";
  expected.created_date = "2026-12-07";
  expected.created_time = "1504";
  expected.submitter = a.provider;
  expected.submitter.entity_code = "41";
  expected.service.qualifier = "472";
  expected.category = "AE";
  expected.format = "MB";
  expected.file_format = "05";
  expected.data = pdf;
  EXPECT_EQ(items[0], expected);
  EXPECT_EQ(items[0].control_number(), "K7F3A9-1");
}

TEST(X12_275, ABinHoldingDelimitersNulAnd0xFFRoundTripsByItsLength) {
  const std::string data = hostile_bytes();
  const std::string bytes = write([&](Writer& w) {
    write_275(w, 1, sample(), data);
    write_275(w, 2, sample(), "second");
  });
  EXPECT_NE(bytes.find("BIN*" + std::to_string(data.size()) + "*%PDF-1.4"), std::string::npos);
  const Report report = validate(bytes);
  EXPECT_TRUE(report.ok()) << dump(report.findings);
  EXPECT_EQ(report.transactions, 2u);
  const std::vector<Attachment> items = read_all(bytes);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].data, data);
  EXPECT_EQ(items[1].data, "second");

  // The same through a stream reader with a buffer far smaller than the BIN (it grows for it),
  // and with a line break after every terminator.
  WriterOptions lines;
  lines.newline_after_segment = true;
  const std::string big(300000, '~');
  const std::string text = write([&](Writer& w) { write_275(w, 1, sample(), big + data); }, lines);
  std::istringstream in(text);
  ReaderOptions small;
  small.max_segment_length = 200;
  small.chunk_size = 7;
  Reader reader(in, small);
  std::vector<Attachment> streamed;
  const ReadSummary summary = read_275(reader, [&](Attachment&& a, const Segment&) {
    streamed.push_back(std::move(a));
    return true;
  });
  EXPECT_TRUE(summary.problems.empty()) << dump(summary.problems);
  ASSERT_EQ(streamed.size(), 1u);
  EXPECT_EQ(streamed[0].data, big + data);
}

TEST(X12_275, OtherSegmentsAreNotReadAsBinary) {
  // "BINX" or a BIN without an element separator is an ordinary segment.
  const std::string bytes =
      std::string(x12::test::k_isa) + "GS*PI*A*B*20260101*1200*1*X*005010X210~BINX*1~BIN~";
  Reader reader = Reader::from_memory(bytes);
  int seen = 0;
  while (const Segment* s = reader.next()) {
    ++seen;
    if (seen == 3) {
      EXPECT_EQ(s->text(), "BINX*1");
    }
    if (seen == 4) {
      EXPECT_EQ(s->text(), "BIN");
    }
  }
  EXPECT_EQ(seen, 4);
  EXPECT_FALSE(reader.error());
}

struct HostileBin {
  const char* name;
  std::string bin;
  const char* reason;
};

TEST(X12_275, AHostileBin01IsAPositionedError) {
  ReaderOptions tight;
  tight.max_binary_length = 1000;
  const std::vector<HostileBin> cases = {
      {"not a number", "BIN*1A*X~", "BIN01 must be the length"},
      {"no digits", "BIN**X~", "BIN01 must be the length"},
      {"16 digits", "BIN*0000000000000001*X~", "BIN01 must be the length"},
      {"over the limit", "BIN*1001*X~", "the limit is 1000 bytes"},
      {"longer than the data", "BIN*999*X~", "but the input holds"},
      {"shorter than the data", "BIN*1*XY~", "not followed by the segment terminator"},
  };
  for (const HostileBin& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string bytes = with_bin(c.bin);
    const std::size_t at = bytes.find("BIN*");
    Reader reader = Reader::from_memory(bytes, tight);
    std::size_t segments = 0;
    while (reader.next() != nullptr) ++segments;
    ASSERT_TRUE(reader.error());
    const Error& e = *reader.error();
    EXPECT_NE(e.reason.find(c.reason), std::string::npos) << e.reason;
    EXPECT_EQ(e.segment_id, "BIN");
    EXPECT_EQ(e.segment_position, segments + 1);
    EXPECT_GE(e.byte_offset, at);
    EXPECT_NE(e.reason.find("byte " + std::to_string(at)), std::string::npos) << e.reason;
    // validate() and read_275() report it too.
    const Report report = validate(bytes);
    EXPECT_FALSE(report.ok());
  }
  // The input ends inside BIN01.
  std::string cut = with_bin("BIN*12");
  cut.resize(cut.find("BIN*12") + 6);
  Reader reader = Reader::from_memory(cut);
  while (reader.next() != nullptr) {
  }
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->segment_id, "BIN");
}

TEST(X12_275, ValidateFindsWhatTheGuideForbids) {
  const std::string good = write([&](Writer& w) { write_275(w, 1, sample(), "notes"); });
  ASSERT_TRUE(validate(good).ok()) << dump(validate(good).findings);
  struct Case {
    std::string from, to;
    std::string segment;
    int element;
  };
  const std::vector<Case> cases = {
      {"BGN*02*", "BGN*05*", "BGN", 1},        // not 02 or 11
      {"TRN*1*K7F3A9-1~", "", "TRN", 0},       // the control number is required
      {"CAT*AE*MB~", "CAT*XX*MB~", "CAT", 1},  // CAT01 AE
      {"EFI*05~", "", "EFI", 0},               // EFI required in 2110B
      {"NM1*QC*1*", "NM1*QC*2*", "NM1", 2},    // the patient is a person
      {"DTP*368*D8*20261207~", "DTP*368*D8*2026~", "DTP", 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.from + " -> " + c.to);
    std::string bad = good;
    const std::size_t at = bad.find(c.from);
    ASSERT_NE(at, std::string::npos);
    bad.replace(at, c.from.size(), c.to);
    if (c.to.empty()) {  // one segment fewer: keep SE01 right
      const std::size_t se = bad.find("SE*");
      const std::size_t star = bad.find('*', se + 3);
      const int n = std::stoi(bad.substr(se + 3, star - se - 3));
      bad.replace(se + 3, star - se - 3, std::to_string(n - 1));
    }
    const Report report = validate(bad);
    bool found = false;
    for (const Error& e : report.findings)
      found = found || (e.segment_id == c.segment && (c.element == 0 || e.element == c.element));
    EXPECT_TRUE(found) << dump(report.findings);
  }
}

TEST(X12_275, TheWriterRefusesWhatTheGuideForbids) {
  Attachment a = sample();
  EXPECT_EQ(write_error(a, "").segment_id, "BIN");
  a.control.number.clear();
  EXPECT_EQ(write_error(a, "x").segment_id, "TRN");
  a = sample();
  a.purpose = "13";
  const Error e = write_error(a, "x");
  EXPECT_EQ(e.segment_id, "BGN");
  EXPECT_EQ(e.element, 1);
  a = sample();
  a.patient.entity_type = '2';
  EXPECT_EQ(write_error(a, "x").segment_id, "NM1");
}

TEST(X12_275, ReadsEveryDocumentOfASetAndSkipsOtherKinds) {
  std::string bytes = write([&](Writer& w) { write_275(w, 1, sample(), "one"); });
  // A second 2000A/2100B in the same set.
  const std::size_t se = bytes.find("SE*");
  const std::string more = "LX*2~TRN*1*K7F3A9-2~DTP*368*D8*20261207~CAT*AE*TX~EFI*05~BIN*3*two~";
  bytes.insert(se, more);
  bytes.replace(bytes.find("SE*13*"), 6, "SE*19*");
  EXPECT_TRUE(validate(bytes).ok()) << dump(validate(bytes).findings) << bytes;
  const std::vector<Attachment> items = read_all(bytes);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].control_number(), "K7F3A9-1");
  EXPECT_EQ(items[0].data, "one");
  EXPECT_EQ(items[1].control_number(), "K7F3A9-2");
  EXPECT_EQ(items[1].format, "TX");
  EXPECT_EQ(items[1].data, "two");
  EXPECT_EQ(items[1].patient, items[0].patient);
}

// node-x12 (scripts/x12_check.js) parses the 275s the writer writes. node-x12 splits an
// interchange on its terminator before it looks at segments, so it cannot read a BIN whose data
// holds a delimiter: it is given text-only documents (what the codec alone checks is above).
TEST(X12Interop, NodeX12ParsesThe275s) {
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
  const std::filesystem::path file = temp.path() / "275.x12";
  std::ofstream(file, std::ios::binary) << write([&](Writer& w) {
    write_275(w, 1, sample(), "CLINICAL NOTES: LOW BACK PAIN FOR 8 WEEKS.");
    write_275(w, 2, sample(), "SECOND DOCUMENT");
  });
  ASSERT_EQ(run("node " + quoted(checker) + " " + quoted(file), output), 0) << output;
  EXPECT_NE(output.find("set 275 0001"), std::string::npos) << output;
  EXPECT_NE(output.find("set 275 0002"), std::string::npos) << output;
}
