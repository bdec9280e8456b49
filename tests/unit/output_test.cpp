#include <sstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "portal/output/output.hpp"

namespace json = boost::json;
using portal::output::csv_cell;
using portal::output::Format;
using portal::output::render;

namespace {

std::string rendered(const json::value& v, Format f, bool color = false) {
  std::ostringstream out;
  render(out, v, f, {color});
  return out.str();
}

}  // namespace

TEST(CsvCell, PlainTextIsUnchanged) {
  EXPECT_EQ(csv_cell("Lakeshore Family Medicine"), "Lakeshore Family Medicine");
  EXPECT_EQ(csv_cell(""), "");
}

TEST(CsvCell, QuotesSeparatorsQuotesAndLineBreaks) {
  EXPECT_EQ(csv_cell("Lopez, Maria"), "\"Lopez, Maria\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("a\nb"), "\"a\nb\"");
}

TEST(CsvCell, NeutralisesFormulas) {
  EXPECT_EQ(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_cell("+1 312 555 0142"), "'+1 312 555 0142");
  EXPECT_EQ(csv_cell("-5+3"), "'-5+3");
  EXPECT_EQ(csv_cell("-1.5E3"), "'-1.5E3");
  EXPECT_EQ(csv_cell("-"), "'-");
  EXPECT_EQ(csv_cell("-.5"), "'-.5");
  EXPECT_EQ(csv_cell("+"), "'+");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_cell("\tx"), "'\tx");
  EXPECT_EQ(csv_cell("\rx"), "\"'\rx\"");
  EXPECT_EQ(csv_cell("a=b"), "a=b");
}

TEST(CsvCell, LeavesPlainNumbersAsTheyAre) {
  // A reversal's -160.00 must load as a number in a payment-posting system.
  EXPECT_EQ(csv_cell("-160.00"), "-160.00");
  EXPECT_EQ(csv_cell("-5"), "-5");
  EXPECT_EQ(csv_cell("+12"), "+12");
  EXPECT_EQ(csv_cell("-0.01"), "-0.01");
}

TEST(Render, CsvHasHeaderAndFlattenedColumnsInFirstSeenOrder) {
  json::value v = json::parse(R"([{"id":"1","org":{"name":"A, Inc"}},{"id":"2","extra":"=x"}])");
  EXPECT_EQ(rendered(v, Format::csv), "id,org.name,extra\r\n1,\"A, Inc\",\r\n2,,'=x\r\n");
}

TEST(Render, TableAlignsColumns) {
  json::value v = json::parse(R"([{"id":"a","status":"active"},{"id":"longer","status":"x"}])");
  EXPECT_EQ(rendered(v, Format::table),
            "ID      STATUS\n"
            "a       active\n"
            "longer  x\n");
}

TEST(Render, TableShowsAnObjectAsKeyValueLines) {
  json::value v =
      json::parse(R"({"email":"m@x.example","totp_enrolled":false,"organization":{"id":"o1"}})");
  EXPECT_EQ(rendered(v, Format::table),
            "EMAIL            m@x.example\n"
            "TOTP ENROLLED    false\n"
            "ORGANIZATION.ID  o1\n");
}

TEST(Render, TableColourOnlyWhenAsked) {
  json::value v = json::parse(R"([{"id":"a"}])");
  EXPECT_EQ(rendered(v, Format::table).find('\x1b'), std::string::npos);
  EXPECT_NE(rendered(v, Format::table, true).find("\x1b[1mID\x1b[0m"), std::string::npos);
}

TEST(Render, TableReplacesLineBreaksInCells) {
  json::value v = json::parse(R"([{"note":"a\nb"}])");
  EXPECT_EQ(rendered(v, Format::table), "NOTE\na b\n");
}

TEST(Render, JsonlIsOneObjectPerLine) {
  json::value v = json::parse(R"([{"a":1},{"a":2}])");
  EXPECT_EQ(rendered(v, Format::jsonl), "{\"a\":1}\n{\"a\":2}\n");
}

TEST(Render, JsonIsPrettyAndParsesBack) {
  json::value v = json::parse(R"({"a":[1,2],"b":{"c":"d"},"e":{}})");
  std::string text = rendered(v, Format::json);
  EXPECT_NE(text.find("\n  \"a\": [\n    1,"), std::string::npos);
  EXPECT_EQ(json::parse(text), v);
}

TEST(Yaml, QuotesWhatYamlWouldMisread) {
  json::value v = json::parse(
      R"({"npi":"1234567893","flag":"yes","on":true,"empty":"","colon":"a: b","name":"Maria","n":null,"date":"2026-03-08"})");
  EXPECT_EQ(portal::output::to_yaml(v),
            "npi: \"1234567893\"\n"
            "flag: \"yes\"\n"
            "\"on\": true\n"
            "empty: \"\"\n"
            "colon: \"a: b\"\n"
            "name: Maria\n"
            "\"n\": null\n"
            "date: \"2026-03-08\"\n");
}

TEST(Yaml, NestsObjectsAndLists) {
  json::value v =
      json::parse(R"([{"id":"a","org":{"id":"o"},"tags":["x","y"]},{"id":"b","e":[]}])");
  EXPECT_EQ(portal::output::to_yaml(v),
            "- id: a\n"
            "  org:\n"
            "    id: o\n"
            "  tags:\n"
            "  - x\n"
            "  - \"y\"\n"  // YAML 1.1 reads a bare y as true
            "- id: b\n"
            "  e: []\n");
}

TEST(Format, ParsesKnownNames) {
  EXPECT_EQ(portal::output::parse_format("yaml"), Format::yaml);
  EXPECT_EQ(portal::output::parse_format("csv"), Format::csv);
  EXPECT_FALSE(portal::output::parse_format("xml"));
}
