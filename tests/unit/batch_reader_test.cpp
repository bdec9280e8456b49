#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "portal/batch/reader.hpp"

using namespace portal;
using namespace portal::batch;
using namespace std::string_literals;

namespace {

struct ReadAll {
  std::vector<Record> records;
  std::optional<Error> error;  // the error that ended the reading, if one did
};

ReadAll read_all(Format format, std::istream& in, ReaderLimits limits = {},
                 std::string name = "batch") {
  ReadAll out;
  auto reader = make_reader(format, in, std::move(name), limits);
  for (;;) {
    auto next = reader->next();
    if (!next) {
      out.error = next.error();
      // The error sticks: asking again gives it again rather than reading on.
      auto again = reader->next();
      EXPECT_FALSE(again.has_value());
      break;
    }
    if (!*next) break;
    EXPECT_EQ((*next)->index, out.records.size());
    out.records.push_back(std::move(**next));
  }
  return out;
}

ReadAll read_all(Format format, const std::string& text, ReaderLimits limits = {},
                 std::string name = "batch") {
  std::istringstream in(text);
  return read_all(format, in, limits, std::move(name));
}

std::string str(const Record& r, const char* key) {
  const auto* v = r.fields.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : "<not a string>";
}

// A stream whose bytes are made on demand, piece by piece, and never held whole.
class GeneratedInput : public std::streambuf {
 public:
  explicit GeneratedInput(std::function<bool(std::string&)> next_piece)
      : m_next_piece(std::move(next_piece)) {}
  std::size_t produced() const { return m_produced; }
  std::size_t largest_piece() const { return m_largest; }

 protected:
  int_type underflow() override {
    m_piece.clear();
    if (!m_next_piece(m_piece) || m_piece.empty()) return traits_type::eof();
    m_produced += m_piece.size();
    m_largest = std::max(m_largest, m_piece.size());
    setg(m_piece.data(), m_piece.data(), m_piece.data() + m_piece.size());
    return traits_type::to_int_type(m_piece[0]);
  }

 private:
  std::function<bool(std::string&)> m_next_piece;
  std::string m_piece;
  std::size_t m_produced = 0;
  std::size_t m_largest = 0;
};

ReaderLimits small_limits() {
  ReaderLimits limits;
  limits.max_record_bytes = 64 * 1024;
  return limits;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Formats

TEST(BatchFormat, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(parse_format("csv"), Format::csv);
  EXPECT_EQ(parse_format("CSV"), Format::csv);
  EXPECT_EQ(parse_format("yaml"), Format::yaml);
  EXPECT_EQ(parse_format("Yml"), Format::yaml);
  EXPECT_EQ(parse_format("jsonl"), Format::jsonl);
  EXPECT_EQ(parse_format("NDJSON"), Format::jsonl);
  EXPECT_EQ(parse_format("json"), std::nullopt);
  EXPECT_EQ(parse_format(""), std::nullopt);
}

TEST(BatchFormat, TellsTheFormatFromTheExtension) {
  EXPECT_EQ(format_of("dir/eligibility.csv").value(), Format::csv);
  EXPECT_EQ(format_of("ELIG.CSV").value(), Format::csv);
  EXPECT_EQ(format_of("cases.yaml").value(), Format::yaml);
  EXPECT_EQ(format_of("cases.yml").value(), Format::yaml);
  EXPECT_EQ(format_of("rows.jsonl").value(), Format::jsonl);
  EXPECT_EQ(format_of("rows.ndjson").value(), Format::jsonl);
}

TEST(BatchFormat, UnknownExtensionIsAUsageErrorNamingThePathAndTheFlag) {
  for (const char* path : {"rows.txt", "rows", "rows.json", "-"}) {
    auto format = format_of(path);
    ASSERT_FALSE(format) << path;
    EXPECT_EQ(format.error().kind, ErrorKind::usage);
    const std::string all = format.error().message + " " + format.error().hint;
    EXPECT_NE(all.find("--batch-format"), std::string::npos) << all;
    if (std::string(path) != "-") {
      EXPECT_NE(all.find(path), std::string::npos) << all;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

TEST(CsvReader, ReadsRowsAsStringsKeyedByTheHeader) {
  auto out = read_all(Format::csv, "ref,member_id,units\nr1,ACM100234,3\nr2,ACM100235,4\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].line, 2u);
  EXPECT_EQ(out.records[1].line, 3u);
  EXPECT_FALSE(out.records[0].problem);
  EXPECT_EQ(str(out.records[0], "ref"), "r1");
  EXPECT_EQ(str(out.records[0], "member_id"), "ACM100234");
  EXPECT_EQ(str(out.records[1], "units"), "4");  // cells are strings
}

TEST(CsvReader, LastRecordNeedsNoLineBreak) {
  auto out = read_all(Format::csv, "a,b\n1,2");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(str(out.records[0], "b"), "2");
}

TEST(CsvReader, QuotedCellsHoldCommasQuotesAndLineBreaksWithCorrectLineNumbers) {
  const std::string text =
      "ref,notes,plan\n"                      // line 1
      "r1,\"one\ntwo, with a comma\",acme\n"  // lines 2-3
      "r2,\"he said \"\"hi\"\"\",acme\n"      // line 4
      "r3,\"a\r\nb\rc\",x\n"                  // lines 5-7 (CRLF and a lone CR inside quotes)
      "\"r4\",\"\",\"y\"\n";                  // line 8
  auto out = read_all(Format::csv, text);
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 4u);
  EXPECT_EQ(out.records[0].line, 2u);
  EXPECT_EQ(str(out.records[0], "notes"), "one\ntwo, with a comma");
  EXPECT_EQ(str(out.records[0], "plan"), "acme");
  EXPECT_EQ(out.records[1].line, 4u);
  EXPECT_EQ(str(out.records[1], "notes"), "he said \"hi\"");
  EXPECT_EQ(out.records[2].line, 5u);
  EXPECT_EQ(str(out.records[2], "notes"), "a\r\nb\rc");
  EXPECT_EQ(out.records[3].line, 8u);
  EXPECT_EQ(str(out.records[3], "ref"), "r4");
  EXPECT_FALSE(out.records[3].fields.contains("notes"));  // "" is empty, hence absent
  for (const auto& r : out.records) EXPECT_FALSE(r.problem) << *r.problem;
}

TEST(CsvReader, CrlfLineEndsByteOrderMarkAndBlankLines) {
  const std::string text = "\xEF\xBB\xBFref,name\r\n\r\nr1,A\r\n\r\n\r\nr2,B\r\n\r\n";
  auto out = read_all(Format::csv, text);
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(str(out.records[0], "ref"), "r1");  // not "\xEF\xBB\xBFref"
  EXPECT_EQ(str(out.records[0], "name"), "A");  // no stray CR
  EXPECT_EQ(out.records[0].line, 3u);
  EXPECT_EQ(out.records[1].line, 6u);
}

TEST(CsvReader, HeaderNamesAreTrimmed) {
  auto out = read_all(Format::csv, " ref ,\tmember_id \nr1,M1\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(str(out.records[0], "member_id"), "M1");
}

TEST(CsvReader, EmptyCellsAndMissingCellsAreAbsent) {
  auto out = read_all(Format::csv, "a,b,c,d\n1,,3\n,,,\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].fields.size(), 2u);
  EXPECT_FALSE(out.records[0].fields.contains("b"));
  EXPECT_FALSE(out.records[0].fields.contains("d"));
  EXPECT_TRUE(out.records[1].fields.empty());
  EXPECT_FALSE(out.records[1].problem);
}

TEST(CsvReader, MoreCellsThanTheHeaderIsAProblemOfThatRowOnly) {
  auto out = read_all(Format::csv, "ref,name\nr1,A\nr2,Zebulon, Jr.\nr3,C\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 3u);
  ASSERT_TRUE(out.records[1].problem);
  const std::string& p = *out.records[1].problem;
  EXPECT_EQ(p.rfind("line 3:", 0), 0u) << p;
  EXPECT_NE(p.find("3 cells"), std::string::npos) << p;
  EXPECT_NE(p.find("2 columns"), std::string::npos) << p;
  EXPECT_EQ(p.find("Zebulon"), std::string::npos) << p;  // never the values
  // The row still says who it is (its result carries its ref), though it is not sent.
  EXPECT_EQ(out.records[1].fields.at("ref"), "r2");
  EXPECT_FALSE(out.records[2].problem);
  EXPECT_EQ(out.records[2].line, 4u);
}

TEST(CsvReader, InvalidUtf8NamesLineAndColumnButNotTheValue) {
  auto out = read_all(Format::csv, "ref,last_name\nr1,Zebulon\xC3\x28\nr2,ok\n");
  ASSERT_EQ(out.records.size(), 2u);
  ASSERT_TRUE(out.records[0].problem);
  const std::string& p = *out.records[0].problem;
  EXPECT_EQ(p.rfind("line 2, column \"last_name\":", 0), 0u) << p;
  EXPECT_NE(p.find("UTF-8"), std::string::npos) << p;
  EXPECT_EQ(p.find("Zebulon"), std::string::npos) << p;
  // The readable cells go with the row (its ref), the unreadable one does not.
  EXPECT_EQ(out.records[0].fields.at("ref"), "r1");
  EXPECT_FALSE(out.records[0].fields.contains("last_name"));
  EXPECT_FALSE(out.records[1].problem);
}

TEST(CsvReader, ARecordCutShortCarriesNoCells) {
  auto out = read_all(Format::csv, "ref,name\nr1,\"never closed\n");
  ASSERT_EQ(out.records.size(), 1u);
  ASSERT_TRUE(out.records[0].problem);
  EXPECT_TRUE(out.records[0].fields.empty());
}

TEST(CsvReader, RefusesOverlongAndSurrogateEncodings) {
  for (const std::string& bad : {"\xC0\xAF"s, "\xED\xA0\x80"s, "\xF4\x90\x80\x80"s, "\xE2\x82"s}) {
    auto out = read_all(Format::csv, "a\nx" + bad + "\n");
    ASSERT_EQ(out.records.size(), 1u);
    EXPECT_TRUE(out.records[0].problem);
  }
  auto good = read_all(Format::csv, "a\n\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n");
  ASSERT_EQ(good.records.size(), 1u);
  EXPECT_FALSE(good.records[0].problem);
}

TEST(CsvReader, NulByteIsAProblem) {
  auto out = read_all(Format::csv, "ref,notes\nr1,a\0b\nr2,c\n"s);
  ASSERT_EQ(out.records.size(), 2u);
  ASSERT_TRUE(out.records[0].problem);
  EXPECT_NE(out.records[0].problem->find("line 2, column \"notes\""), std::string::npos);
  EXPECT_NE(out.records[0].problem->find("NUL"), std::string::npos);
  EXPECT_FALSE(out.records[1].problem);
}

TEST(CsvReader, UnterminatedQuoteAtTheEndIsAProblemOfTheLastRecord) {
  auto out = read_all(Format::csv, "ref,notes\nr1,ok\nr2,\"never closed\nmore\nlines\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_FALSE(out.records[0].problem);
  const Record& last = out.records[1];
  EXPECT_EQ(last.line, 3u);
  ASSERT_TRUE(last.problem);
  EXPECT_EQ(last.problem->rfind("line 3, column \"notes\":", 0), 0u) << *last.problem;
  EXPECT_NE(last.problem->find("never closed"), std::string::npos) << *last.problem;
}

TEST(CsvReader, TextAfterAClosingQuoteIsAProblem) {
  auto out = read_all(Format::csv, "a,b\n\"x\"y,z\nr2,ok\n");
  ASSERT_EQ(out.records.size(), 2u);
  ASSERT_TRUE(out.records[0].problem);
  EXPECT_NE(out.records[0].problem->find("closing quote"), std::string::npos);
  EXPECT_FALSE(out.records[1].problem);
}

TEST(CsvReader, QuoteInsideAnUnquotedCellIsText) {
  auto out = read_all(Format::csv, "a,b\n5'10\",x\n");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(str(out.records[0], "a"), "5'10\"");
}

TEST(CsvReader, HeaderProblemsAreInputErrorsNamingFileLineAndColumn) {
  struct Case {
    std::string text;
    std::string expect;
  };
  for (const Case& c : std::vector<Case>{
           {"ref,,name\nr1,a,b\n", "eligibility.csv: line 1, column 2:"},
           {"ref,name,\nr1,a,b\n", "eligibility.csv: line 1, column 3:"},
           {"ref,member_id, member_id\n", "eligibility.csv: line 1, column 3:"},
           {"", "eligibility.csv: line 1:"},
           {"\n\n", "eligibility.csv: line 1:"},
           {"ref,\"name\n", "eligibility.csv: line 1:"},
           {"ref,na\xFFme\n", "eligibility.csv: line 1, column 2:"},
       }) {
    auto out = read_all(Format::csv, c.text, {}, "eligibility.csv");
    ASSERT_TRUE(out.error) << c.text;
    EXPECT_TRUE(out.records.empty());
    EXPECT_EQ(out.error->kind, ErrorKind::input);
    EXPECT_EQ(out.error->message.rfind(c.expect, 0), 0u) << out.error->message;
    EXPECT_FALSE(out.error->hint.empty());
  }
  auto dup = read_all(Format::csv, "ref,member_id,member_id\n", {}, "e.csv");
  ASSERT_TRUE(dup.error);
  EXPECT_NE(dup.error->message.find("\"member_id\""), std::string::npos);
  EXPECT_NE(dup.error->message.find("column 2"), std::string::npos);
}

TEST(CsvReader, AFiveMegabyteLineIsSkippedAndTheNextRecordRead) {
  const std::string text = "ref,notes\nr1,a\nr2," + std::string(5 << 20, 'x') + "\nr3,c\n";
  auto out = read_all(Format::csv, text, small_limits());
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 3u);
  ASSERT_TRUE(out.records[1].problem);
  EXPECT_EQ(out.records[1].problem->rfind("line 3: the record is longer than 64 KiB", 0), 0u)
      << *out.records[1].problem;
  EXPECT_TRUE(out.records[1].fields.empty());
  EXPECT_EQ(out.records[2].line, 4u);
  EXPECT_EQ(str(out.records[2], "notes"), "c");
}

TEST(CsvReader, ALongQuotedRecordIsSkippedToItsRealEnd) {
  // The quoted value spans many lines; the skip must follow the quotes, not the line breaks.
  std::string big = "\"";
  for (int i = 0; i < 20000; ++i) big += "line, with \"\"quotes\"\"\n";
  big += "\"";
  const std::string text = "ref,notes\nr1," + big + "\nr2,after\n";
  auto out = read_all(Format::csv, text, small_limits());
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_TRUE(out.records[0].problem);
  EXPECT_EQ(out.records[1].line, 2u + 20000u + 1u);
  EXPECT_EQ(str(out.records[1], "notes"), "after");
}

TEST(CsvReader, ACommaOnlyLineOverTheLimitIsSkipped) {
  const std::string text = "a,b\n" + std::string(300000, ',') + "\n1,2\n";
  auto out = read_all(Format::csv, text, small_limits());
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_TRUE(out.records[0].problem);
  EXPECT_EQ(str(out.records[1], "b"), "2");
}

TEST(CsvReader, StreamsAGeneratedMillionCharacterLineAndTwoHundredThousandRows) {
  // 200,000 rows made on the fly, in pieces of one row: the reader never sees the whole input.
  const std::size_t rows = 200'000;
  std::size_t made = 0;
  GeneratedInput source([&](std::string& piece) {
    if (made == 0) piece = "ref,member_id,first_name,last_name,date_of_birth\r\n";
    if (made == rows) return false;
    ++made;
    piece += "row-" + std::to_string(made) + ",ACM" + std::to_string(100000 + made) +
             ",\"Jane\",Doe,1980-01-01\r\n";
    if (made == 1000) piece += std::string(3 << 20, 'z') + "\r\n";  // a 3 MB record, skipped
    return true;
  });
  std::istream in(&source);
  auto reader = make_reader(Format::csv, in, "generated.csv");
  std::size_t count = 0, problems = 0;
  std::string last_ref;
  for (;;) {
    auto next = reader->next();
    ASSERT_TRUE(next) << next.error().message;
    if (!*next) break;
    ++count;
    if ((*next)->problem) {
      ++problems;
      EXPECT_EQ((*next)->line, 1002u);
      continue;
    }
    last_ref = str(**next, "ref");
  }
  EXPECT_EQ(count, rows + 1);
  EXPECT_EQ(problems, 1u);
  EXPECT_EQ(last_ref, "row-200000");
  EXPECT_LT(source.largest_piece(), 4u << 20);
  EXPECT_GT(source.produced(), 10u << 20);
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

TEST(JsonlReader, ReadsObjectsKeepingTheirTypes) {
  const std::string text =
      "\xEF\xBB\xBF{\"ref\":\"r1\",\"units\":3,\"ok\":true,\"codes\":[\"A\"]}\r\n"
      "\n"
      "   \r\n"
      "{\"ref\":\"r2\",\"rate\":1.5,\"x\":null}\n";
  auto out = read_all(Format::jsonl, text);
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].line, 1u);
  EXPECT_EQ(str(out.records[0], "ref"), "r1");
  EXPECT_EQ(out.records[0].fields.at("units").as_int64(), 3);
  EXPECT_TRUE(out.records[0].fields.at("ok").as_bool());
  EXPECT_TRUE(out.records[0].fields.at("codes").is_array());
  EXPECT_EQ(out.records[1].line, 4u);
  EXPECT_DOUBLE_EQ(out.records[1].fields.at("rate").as_double(), 1.5);
  EXPECT_TRUE(out.records[1].fields.at("x").is_null());
}

TEST(JsonlReader, InvalidJsonIsAProblemWithLineAndBoostsReason) {
  auto out = read_all(Format::jsonl, "{\"a\":1}\n{\"name\": \"Zebulon\", oops}\n{\"a\":2}\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 3u);
  ASSERT_TRUE(out.records[1].problem);
  const std::string& p = *out.records[1].problem;
  EXPECT_EQ(p.rfind("line 2, column ", 0), 0u) << p;
  EXPECT_NE(p.find("syntax error"), std::string::npos) << p;
  EXPECT_EQ(p.find("Zebulon"), std::string::npos) << p;
  EXPECT_EQ(out.records[2].fields.at("a").as_int64(), 2);
}

TEST(JsonlReader, ALineThatIsNotAnObjectIsAProblem) {
  auto out = read_all(Format::jsonl, "[1,2]\n\"text\"\n42\n{\"a\":{}} {}\n");
  ASSERT_EQ(out.records.size(), 4u);
  EXPECT_NE(out.records[0].problem->find("line 1: the line is a JSON array"), std::string::npos);
  EXPECT_NE(out.records[1].problem->find("a JSON string"), std::string::npos);
  EXPECT_NE(out.records[2].problem->find("a JSON number"), std::string::npos);
  EXPECT_NE(out.records[3].problem->find("extra data"), std::string::npos)
      << *out.records[3].problem;
}

TEST(JsonlReader, JsonNestedOneHundredThousandDeepIsAProblemNotACrash) {
  const std::size_t depth = 100'000;
  std::string deep_array = std::string(depth, '[') + std::string(depth, ']');
  std::string deep_object;
  for (std::size_t i = 0; i < depth; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(depth, '}');
  auto out = read_all(Format::jsonl, deep_array + "\n" + deep_object + "\n{\"ok\":1}\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 3u);
  ASSERT_TRUE(out.records[0].problem);
  EXPECT_NE(out.records[0].problem->find("nested more than 64 levels"), std::string::npos)
      << *out.records[0].problem;
  ASSERT_TRUE(out.records[1].problem);
  EXPECT_EQ(out.records[1].problem->rfind("line 2:", 0), 0u);
  EXPECT_FALSE(out.records[2].problem);
}

TEST(JsonlReader, InvalidUtf8AndOverlongLinesAreProblems) {
  const std::string text =
      "{\"a\":\"\xFF\"}\n{\"a\":\"" + std::string(5 << 20, 'x') + "\"}\n{\"a\":\"ok\"}";
  auto out = read_all(Format::jsonl, text, small_limits());
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_NE(out.records[0].problem->find("line 1, column 7"), std::string::npos)
      << *out.records[0].problem;
  EXPECT_NE(out.records[0].problem->find("UTF-8"), std::string::npos);
  EXPECT_EQ(out.records[1].problem->rfind("line 2: the record is longer than 64 KiB", 0), 0u);
  EXPECT_EQ(str(out.records[2], "a"), "ok");
  EXPECT_EQ(out.records[2].line, 3u);
}

// ---------------------------------------------------------------------------------------------
// YAML

TEST(YamlReader, ReadsAListOfMappingsWithLines) {
  const std::string text =
      "# eligibility checks\n"
      "- ref: r1\n"
      "  member_id: ACM100234\n"
      "\n"
      "- ref: r2\n"
      "  member_id: ACM100235\n"
      "-\n"
      "  ref: r3\n";
  auto out = read_all(Format::yaml, text);
  ASSERT_FALSE(out.error) << out.error->message;
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[0].line, 2u);
  EXPECT_EQ(out.records[1].line, 5u);
  EXPECT_EQ(out.records[2].line, 8u);
  EXPECT_EQ(str(out.records[1], "member_id"), "ACM100235");
}

TEST(YamlReader, PlainScalarsFollowTheCoreSchemaAndQuotedOnesStayText) {
  const std::string text =
      "\xEF\xBB\xBF"
      "- units: 3\n"
      "  zip: \"02134\"\n"
      "  ref: 0001\n"
      "  active: true\n"
      "  quoted_bool: 'true'\n"
      "  nothing: ~\n"
      "  empty:\n"
      "  ratio: 1.5\n"
      "  exp: -1e3\n"
      "  hex: 0x1F\n"
      "  octal: 0o17\n"
      "  name: Jane Doe\n"
      "  yes_is_text: yes\n"
      "  big: 123456789012345678901234567890\n"
      "  unsigned: 18446744073709551615\n"
      "  inf: .inf\n"
      "  block: |\n"
      "    two\n"
      "    lines\n"
      "  list: [1, \"2\", three]\n"
      "  nested: {a: {b: null}}\n"
      "  tagged_str: !!str 42\n"
      "  tagged_float: !!float 2\n"
      "  date: 2024-01-31\n";
  auto out = read_all(Format::yaml, text);
  ASSERT_FALSE(out.error) << out.error->message;
  ASSERT_EQ(out.records.size(), 1u);
  ASSERT_FALSE(out.records[0].problem) << *out.records[0].problem;
  const auto& f = out.records[0].fields;
  EXPECT_EQ(f.at("units").as_int64(), 3);
  EXPECT_EQ(f.at("zip").as_string(), "02134");
  EXPECT_EQ(f.at("ref").as_string(), "0001");  // a leading zero keeps identifiers as text
  EXPECT_EQ(f.at("active").as_bool(), true);
  EXPECT_EQ(f.at("quoted_bool").as_string(), "true");
  EXPECT_TRUE(f.at("nothing").is_null());
  EXPECT_TRUE(f.at("empty").is_null());
  EXPECT_DOUBLE_EQ(f.at("ratio").as_double(), 1.5);
  EXPECT_DOUBLE_EQ(f.at("exp").as_double(), -1000.0);
  EXPECT_EQ(f.at("hex").as_int64(), 31);
  EXPECT_EQ(f.at("octal").as_int64(), 15);
  EXPECT_EQ(f.at("name").as_string(), "Jane Doe");
  EXPECT_EQ(f.at("yes_is_text").as_string(), "yes");
  EXPECT_EQ(f.at("big").as_string(), "123456789012345678901234567890");
  EXPECT_EQ(f.at("unsigned").as_uint64(), 18446744073709551615ull);
  EXPECT_EQ(f.at("inf").as_string(), ".inf");
  EXPECT_EQ(f.at("block").as_string(), "two\nlines\n");
  EXPECT_EQ(f.at("list"), boost::json::parse(R"([1, "2", "three"])"));
  EXPECT_TRUE(f.at("nested").at("a").at("b").is_null());
  EXPECT_EQ(f.at("tagged_str").as_string(), "42");
  EXPECT_DOUBLE_EQ(f.at("tagged_float").as_double(), 2.0);
  EXPECT_EQ(f.at("date").as_string(), "2024-01-31");
}

TEST(YamlReader, EmptyInputsHaveNoRecords) {
  for (const std::string& text : {""s, "# nothing\n\n"s, "[]\n"s, "---\n"s, "--- []\n...\n"s}) {
    auto out = read_all(Format::yaml, text);
    EXPECT_FALSE(out.error) << text << ": " << out.error->message;
    EXPECT_TRUE(out.records.empty()) << text;
  }
}

TEST(YamlReader, ADocumentThatIsNotAListIsAnInputError) {
  auto mapping = read_all(Format::yaml, "# one record\nref: r1\nmember_id: M1\n", {}, "c.yaml");
  ASSERT_TRUE(mapping.error);
  EXPECT_EQ(mapping.error->kind, ErrorKind::input);
  EXPECT_EQ(mapping.error->message.rfind("c.yaml: line 2:", 0), 0u) << mapping.error->message;
  EXPECT_NE(mapping.error->message.find("mapping"), std::string::npos);
  EXPECT_NE(mapping.error->hint.find("- "), std::string::npos);

  auto scalar = read_all(Format::yaml, "hello\n", {}, "c.yaml");
  ASSERT_TRUE(scalar.error);
  EXPECT_EQ(scalar.error->message.rfind("c.yaml: line 1:", 0), 0u) << scalar.error->message;
}

TEST(YamlReader, SyntaxErrorNamesFileLineAndLibyamlsProblemAfterEarlierRecords) {
  const std::string text =
      "- ref: r1\n"
      "- ref: r2\n"
      "  member_id: M2\n"
      " bad: indentation\n"
      "- ref: r3\n";
  auto out = read_all(Format::yaml, text, {}, "cases.yaml");
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->kind, ErrorKind::input);
  EXPECT_EQ(out.records.size(), 2u);  // libyaml sees the fault only after the second item
  EXPECT_EQ(out.error->message.rfind("cases.yaml: line 4, column 2: ", 0), 0u)
      << out.error->message;
  EXPECT_NE(out.error->message.find("YAML syntax error: did not find expected"), std::string::npos)
      << out.error->message;
}

TEST(YamlReader, UnclosedQuoteIsASyntaxError) {
  auto out = read_all(Format::yaml, "- ref: r1\n- ref: \"r2\n", {}, "c.yaml");
  ASSERT_TRUE(out.error);
  EXPECT_NE(out.error->message.find("c.yaml: line "), std::string::npos);
  EXPECT_NE(out.error->message.find("quoted scalar"), std::string::npos) << out.error->message;
}

TEST(YamlReader, InvalidUtf8IsAnInputErrorWithItsLine) {
  auto out = read_all(Format::yaml, "- ref: r1\n- ref: r2\n  name: Zeb\xFF\n", {}, "c.yaml");
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->message.rfind("c.yaml: line 3, column 12:", 0), 0u) << out.error->message;
  EXPECT_EQ(out.error->message.find("Zeb"), std::string::npos);
}

TEST(YamlReader, ItemsThatAreNotMappingsAndDuplicateKeysAreProblems) {
  const std::string text =
      "- just text\n"
      "- [1, 2]\n"
      "- ref: r3\n"
      "  ref: again\n"
      "- {[a]: b}\n"
      "- ref: r5\n";
  auto out = read_all(Format::yaml, text);
  ASSERT_FALSE(out.error) << out.error->message;
  ASSERT_EQ(out.records.size(), 5u);
  EXPECT_NE(out.records[0].problem->find("line 1: the item is a single value"), std::string::npos);
  EXPECT_NE(out.records[1].problem->find("line 2: the item is a list"), std::string::npos);
  EXPECT_EQ(*out.records[2].problem,
            "line 4: the key \"ref\" appears twice in this item; keep one");
  EXPECT_EQ(out.records[2].line, 3u);
  EXPECT_NE(out.records[3].problem->find("keys must be field names"), std::string::npos);
  EXPECT_FALSE(out.records[4].problem);
  EXPECT_EQ(str(out.records[4], "ref"), "r5");
}

TEST(YamlReader, AnchorsAndAliasesAreExpandedAcrossItems) {
  const std::string text =
      "- ref: r1\n"
      "  provider: &prov {npi: \"1234567893\", plan: acme}\n"
      "  codes: &codes [A1, B2]\n"
      "- ref: r2\n"
      "  provider: *prov\n"
      "  codes: *codes\n"
      "- ref: r3\n"
      "  provider: *nowhere\n"
      "- *prov\n"
      "- *codes\n";
  auto out = read_all(Format::yaml, text);
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 5u);
  EXPECT_EQ(out.records[1].fields.at("provider"), out.records[0].fields.at("provider"));
  EXPECT_EQ(out.records[1].fields.at("codes"), boost::json::parse(R"(["A1","B2"])"));
  ASSERT_TRUE(out.records[2].problem);
  EXPECT_NE(out.records[2].problem->find("line 8: the alias *nowhere"), std::string::npos);
  EXPECT_FALSE(out.records[3].problem);  // a whole item may be an alias to a mapping
  EXPECT_EQ(out.records[3].fields.at("plan").as_string(), "acme");
  ASSERT_TRUE(out.records[4].problem);
  EXPECT_NE(out.records[4].problem->find("line 10: the item is an alias to a list"),
            std::string::npos);
}

TEST(YamlReader, BillionLaughsIsAProblemOfItsItemAndReadingGoesOn) {
  const std::string text =
      "- ref: lol\n"
      "  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
      "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "- ref: next\n"
      "  b: *b\n";
  ReaderLimits limits;
  limits.max_yaml_nodes = 1000;
  auto out = read_all(Format::yaml, text, limits);
  ASSERT_FALSE(out.error) << out.error->message;
  ASSERT_EQ(out.records.size(), 2u);
  ASSERT_TRUE(out.records[0].problem);
  EXPECT_NE(out.records[0].problem->find("line 4: the item expands to more than 1000 values"),
            std::string::npos)
      << *out.records[0].problem;
  EXPECT_FALSE(out.records[1].problem) << *out.records[1].problem;
  EXPECT_EQ(out.records[1].fields.at("b").as_array().size(), 10u);

  // The classic nine levels with the default limits: stopped early, not after 10^9 copies.
  std::string laughs = "- lol0: &l0 lol\n";
  for (int i = 1; i <= 9; ++i) {
    laughs += "  lol" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) laughs += (k ? ", *l" : "*l") + std::to_string(i - 1);
    laughs += "]\n";
  }
  auto classic = read_all(Format::yaml, laughs);
  ASSERT_FALSE(classic.error);
  ASSERT_EQ(classic.records.size(), 1u);
  EXPECT_TRUE(classic.records[0].problem);
}

TEST(YamlReader, DeepNestingIsAProblemAndExtremeNestingStopsCleanly) {
  const std::string deep = "- a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  auto out = read_all(Format::yaml, deep + "- ref: ok\n");
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), 2u);
  ASSERT_TRUE(out.records[0].problem);
  EXPECT_NE(out.records[0].problem->find("nested more than 64 levels"), std::string::npos);
  EXPECT_EQ(str(out.records[1], "ref"), "ok");

  const std::string extreme =
      "- ref: r1\n- a: " + std::string(100'000, '[') + std::string(100'000, ']') + "\n";
  auto stopped = read_all(Format::yaml, extreme, {}, "deep.yaml");
  ASSERT_TRUE(stopped.error);
  EXPECT_EQ(stopped.records.size(), 1u);
  EXPECT_EQ(stopped.error->message.rfind("deep.yaml: line 2:", 0), 0u) << stopped.error->message;
}

TEST(YamlReader, AValueOverTheLimitStopsReadingWithAnInputError) {
  const std::string text =
      "- ref: r1\n- ref: r2\n  notes: " + std::string(5 << 20, 'x') + "\n- ref: r3\n";
  auto out = read_all(Format::yaml, text, small_limits(), "big.yaml");
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->kind, ErrorKind::input);
  EXPECT_NE(out.error->message.find("longer than 64 KiB"), std::string::npos) << out.error->message;
  EXPECT_GE(out.records.size(), 1u);
}

TEST(YamlReader, AnItemOfManySmallValuesOverTheLimitIsSkipped) {
  std::string text = "- ref: r1\n  codes:\n";
  for (int i = 0; i < 20000; ++i) text += "    - code" + std::to_string(i) + "\n";
  text += "- ref: r2\n";
  auto out = read_all(Format::yaml, text, small_limits());
  ASSERT_FALSE(out.error) << out.error->message;
  ASSERT_EQ(out.records.size(), 2u);
  ASSERT_TRUE(out.records[0].problem);
  EXPECT_NE(out.records[0].problem->find("longer than 64 KiB"), std::string::npos);
  EXPECT_EQ(str(out.records[1], "ref"), "r2");
  EXPECT_EQ(out.records[1].line, 20003u);
}

TEST(YamlReader, ASecondDocumentIsAnInputError) {
  auto out = read_all(Format::yaml, "- ref: r1\n---\n- ref: r2\n", {}, "two.yaml");
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.error->message.rfind("two.yaml: line 2:", 0), 0u) << out.error->message;
}

TEST(YamlReader, StreamsManyItemsFromAGeneratedInput) {
  const std::size_t items = 50'000;
  std::size_t made = 0;
  GeneratedInput source([&](std::string& piece) {
    if (made == items) return false;
    ++made;
    piece = "- ref: row-" + std::to_string(made) + "\n  units: " + std::to_string(made) + "\n";
    return true;
  });
  std::istream in(&source);
  auto out = read_all(Format::yaml, in);
  ASSERT_FALSE(out.error);
  ASSERT_EQ(out.records.size(), items);
  EXPECT_EQ(out.records.back().fields.at("units").as_int64(), static_cast<std::int64_t>(items));
  EXPECT_EQ(out.records.back().line, 2 * items - 1);
}

// ---------------------------------------------------------------------------------------------
// All formats

TEST(BatchReader, AnIoErrorIsAnInputErrorAfterTheRecordsBeforeIt) {
  for (Format format : {Format::csv, Format::jsonl, Format::yaml}) {
    const std::string good = format == Format::csv     ? "ref\nr1\nr2\n"
                             : format == Format::jsonl ? "{\"ref\":\"r1\"}\n{\"ref\":\"r2\"}\n"
                                                       : "- ref: r1\n- ref: r2\n";
    int calls = 0;
    // The first piece is whole records; then the device fails (istream turns the throw into
    // badbit).
    GeneratedInput source([&](std::string& piece) {
      if (calls++ > 0) throw std::runtime_error("EIO");
      piece = good + std::string(100'000, '\n');
      return true;
    });
    std::istream in(&source);
    auto out = read_all(format, in, {}, "flaky");
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.error->kind, ErrorKind::input);
    EXPECT_NE(out.error->message.find("flaky: "), std::string::npos);
    EXPECT_NE(out.error->message.find("I/O error"), std::string::npos) << out.error->message;
  }
}
