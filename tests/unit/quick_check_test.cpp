// The quick check must never accept what valijson refuses: its patterns are compared with
// std::regex, and its verdicts with valijson's, over many strings and records.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "portal/records/quick_check.hpp"
#include "portal/records/schema.hpp"

namespace json = boost::json;
using portal::records::Pattern;
using portal::records::QuickCheck;

namespace {

void collect_patterns(const json::value& schema, std::vector<std::string>& out) {
  if (schema.is_object()) {
    for (const auto& [key, value] : schema.get_object()) {
      if (key == "pattern" && value.is_string())
        out.emplace_back(value.get_string());
      else
        collect_patterns(value, out);
    }
  } else if (schema.is_array()) {
    for (const auto& e : schema.get_array()) collect_patterns(e, out);
  }
}

std::vector<std::string> schema_patterns() {
  std::vector<std::string> out;
  for (const auto& [name, text] : portal::records::embedded_schemas()) {
    collect_patterns(json::parse(text), out);
  }
  return out;
}

// Bytes that patterns treat specially: controls, whitespace of every kind, punctuation the
// schemas name, digits and letters at the edges of their ranges, and bytes above 0x7F.
const std::string k_alphabet =
    std::string("\0\t\n\v\f\r\x1f \x7f\x80\xa0\xc3\xa9\xff", 14) + "09AZaz_.-:@+()/Ii1M5";

// Strings to try a pattern on: every byte alone, the schemas' own examples and random mixes,
// some of them built from valid-looking pieces so both answers are exercised.
std::vector<std::string> probe_strings(const std::vector<std::string>& seeds) {
  std::vector<std::string> out;
  for (int b = 0; b < 256; ++b) out.emplace_back(1, static_cast<char>(b));
  std::mt19937 rng(20261123);
  for (const auto& s : seeds) {
    out.push_back(s);
    for (int i = 0; i < 200; ++i) {
      std::string m = s;
      std::size_t pos = rng() % (m.size() + 1);
      switch (rng() % 4) {
        case 0:
          m.insert(pos, 1, k_alphabet[rng() % k_alphabet.size()]);
          break;
        case 1:
          if (pos < m.size()) m.erase(pos, 1);
          break;
        case 2:
          if (pos < m.size()) m[pos] = k_alphabet[rng() % k_alphabet.size()];
          break;
        case 3:
          m += m.substr(0, rng() % (m.size() + 1));
          break;
      }
      out.push_back(std::move(m));
    }
  }
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    std::size_t n = rng() % 24;
    for (std::size_t k = 0; k < n; ++k) s += k_alphabet[rng() % k_alphabet.size()];
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> schema_examples() {
  std::vector<std::string> out = {"row-0001",
                                  "ACM100234",
                                  "James",
                                  "José Ángel",
                                  "1958-03-14",
                                  "acme-commercial",
                                  "1234567893",
                                  "36-1234567",
                                  "(312) 555-0142",
                                  "+1 312.555.0142",
                                  "jane@clinic.example",
                                  "M54.16",
                                  "70551",
                                  "E0601",
                                  "ORD-12345678",
                                  "q1"};
  return out;
}

bool valijson_accepts(const json::value& schema_doc, const json::value& record) {
  valijson::Schema schema;
  valijson::SchemaParser parser;
  valijson::adapters::BoostJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, schema);
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::BoostJsonAdapter target(record);
  return validator.validate(schema, target, nullptr);
}

}  // namespace

TEST(QuickCheckPattern, EverySchemaPatternCompiles) {
  auto patterns = schema_patterns();
  ASSERT_GT(patterns.size(), 5u);
  for (const auto& p : patterns) EXPECT_TRUE(Pattern::compile(p)) << p;
}

TEST(QuickCheckPattern, AgreesWithStdRegexOnEverySchemaPattern) {
  const auto probes = probe_strings(schema_examples());
  for (const auto& p : schema_patterns()) {
    auto fast = Pattern::compile(p);
    ASSERT_TRUE(fast) << p;
    const std::regex slow(p);
    for (const auto& s : probes) {
      auto got = fast->search(s);
      ASSERT_TRUE(got.has_value()) << p;
      ASSERT_EQ(*got, std::regex_search(s, slow))
          << "pattern " << p << " on " << json::serialize(json::value(json::string(s)));
    }
  }
}

TEST(QuickCheckPattern, EcmaScriptDetailsThatPcreReadsOtherwiseByDefault) {
  // $ is the very end (PCRE2 would also match before a final newline); '.' excludes CR as well
  // as LF; \uHHHH is a character; a byte above 0x7F is one character and never \s.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"^[a-z]+$", {"abc", "abc\n", "abc\r\n", "\nabc"}},
      {"^a.b$",
       {"axb", "a\nb", "a\rb",
        "a\xc3\xa9"
        "b",
        "a\x85"
        "b"}},
      {"^[^\\u0000-\\u001f\\u007f]+$",
       {"ok", "t\tab", std::string("n\0ul", 4), "d\x7f", "\xc3\xa9"}},
      {"^\\S+$",
       {"a", "a b",
        "a\xa0"
        "b",
        "a\x85"
        "b",
        "a\vb", "a\fb"}},
      {"^\\w+$", {"a_1", "\xc3\xa9", "a-b"}},
      {"^(ab|cd){2,3}$", {"abcd", "ab", "abcdabab", "abcdabcd"}},
  };
  for (const auto& [p, subjects] : cases) {
    auto fast = Pattern::compile(p);
    ASSERT_TRUE(fast) << p;
    const std::regex slow(p);
    for (const auto& s : subjects) EXPECT_EQ(*fast->search(s), std::regex_search(s, slow)) << p;
  }
}

TEST(QuickCheckPattern, AnchoredClassSequencesAgreeWithStdRegexOnEveryShortString) {
  // Patterns of classes and quantifiers between ^ and $ are matched without PCRE2 where taking
  // all each atom can cannot lose a match (the others by PCRE2): overlapping
  // classes, counted and open quantifiers, negated classes and \s, on every string of up to four
  // characters over a small alphabet (with a byte above 0x7F and control characters).
  const std::vector<std::string> patterns = {"^[a-c]*[b-d]{2,3}$",
                                             "^a?b+[0-9]{2,}$",
                                             "^[^\\s\\u0000-\\u001f]*[a-b]$",
                                             "^x{0}a{1,2}b*$",
                                             "^[ab-]+:[0-9]{1}$",
                                             "^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-"
                                             "\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$",
                                             "^[a-b]{2}-[0-9]?$",
                                             "^$",
                                             "^[\\d.]{1,3}a?$"};
  const std::string alphabet = std::string("ab9-: \t") + "\xc3" + "\x01" + "d.x";
  std::vector<std::string> strings = {""};
  for (std::size_t from = 0, length = 1; length <= 4; ++length) {
    const std::size_t to = strings.size();
    for (std::size_t i = from; i < to; ++i)
      for (char c : alphabet) strings.push_back(strings[i] + c);
    from = to;
  }
  for (const auto& p : patterns) {
    auto fast = Pattern::compile(p);
    ASSERT_TRUE(fast) << p;
    const std::regex slow(p);
    for (const auto& s : strings) {
      ASSERT_EQ(*fast->search(s), std::regex_search(s, slow))
          << "pattern " << p << " on " << json::serialize(json::value(json::string(s)));
    }
  }
}

TEST(QuickCheckPattern, SyntaxOutsideTheCommonCoreIsLeftToStdRegex) {
  for (const char* p :
       {"(?=a)b", "(?i)abc", "\\bword", "(a)\\1", "\\vx", "[]", "[^]", "[[:alpha:]]", "\\0", "\\cJ",
        "\\p{L}", "\\u12", "\\xZ1", "abc\\", "[abc"}) {
    EXPECT_FALSE(Pattern::compile(p)) << p;
  }
  EXPECT_TRUE(Pattern::compile("^[A-Za-z0-9._:-]+$"));
}

TEST(QuickCheck, CompilesFlatSchemasAndLeavesConditionalOnesToValijson) {
  const auto& schemas = portal::records::embedded_schemas();
  EXPECT_TRUE(QuickCheck::compile(json::parse(schemas.at("eligibility"))));
  EXPECT_TRUE(QuickCheck::compile(json::parse(schemas.at("document"))));
  // if/then/else: valijson alone.
  EXPECT_FALSE(QuickCheck::compile(json::parse(schemas.at("registration"))));
  EXPECT_FALSE(QuickCheck::compile(json::parse(schemas.at("claim_status"))));
  for (const char* unknown :
       {R"({"type":"object","oneOf":[]})", R"({"type":"string","format":"date"})",
        R"({"type":["string","null"]})", R"({"type":"string","const":"x"})", R"({"minLength":1})",
        R"({"type":"object","additionalProperties":{"type":"string"}})",
        R"({"type":"integer","exclusiveMinimum":0})"}) {
    EXPECT_FALSE(QuickCheck::compile(json::parse(unknown))) << unknown;
  }
}

// Every record of a family of good and broken ones: the quick check never accepts what valijson
// refuses, and accepts what valijson accepts (or the quick path would not be quick).
TEST(QuickCheck, AgreesWithValijsonOnGoodAndBrokenRecords) {
  const auto& schemas = portal::records::embedded_schemas();
  auto text = [](std::string s) { return json::value(json::string(s)); };
  const std::vector<json::value> values = {text(""),
                                           text(" "),
                                           text("a"),
                                           text("A1"),
                                           text("row-0001"),
                                           text("ACM100234"),
                                           text("James"),
                                           text("José Ángel"),
                                           text("1958-03-14"),
                                           text("2026-02-30"),
                                           text("1234567893"),
                                           text("1234567890"),
                                           text("acme-commercial"),
                                           text("-acme"),
                                           text("clinical_notes"),
                                           text("ORD-12345678"),
                                           text("x\ty"),
                                           text("x\ny"),
                                           text(std::string("x\0y", 3)),
                                           text("x\x7fy"),
                                           text(std::string(50, 'x')),
                                           text(std::string(51, 'x')),
                                           text(std::string(64, 'r')),
                                           text(std::string(65, 'r')),
                                           text("\xc3\xa9\xc3\xa9"),
                                           json::value(0),
                                           json::value(-1),
                                           json::value(1),
                                           json::value(1.5),
                                           json::value(true),
                                           json::value(false),
                                           json::value(nullptr),
                                           json::value(json::array{"a"}),
                                           json::value(json::object{{"a", "b"}}),
                                           json::value(static_cast<std::uint64_t>(1) << 63)};
  struct Family {
    const char* schema;
    json::object good;
  };
  const std::vector<Family> families = {
      {"eligibility",
       {{"ref", "row-0001"},
        {"member_id", "ACM100234"},
        {"first_name", "James"},
        {"last_name", "Whitaker"},
        {"date_of_birth", "1958-03-14"},
        {"health_plan", "acme-commercial"},
        {"provider_npi", "1234567893"},
        {"service_date", "2026-06-01"}}},
      {"document",
       {{"ref", "doc-1"},
        {"order_id", "ORD-12345678"},
        {"file", "notes.pdf"},
        {"document_type", "clinical_notes"},
        {"description", "MRI report"}}},
  };
  std::size_t accepted = 0, refused = 0;
  for (const auto& family : families) {
    const auto doc = json::parse(schemas.at(family.schema));
    auto quick = QuickCheck::compile(doc);
    ASSERT_TRUE(quick) << family.schema;
    std::vector<json::object> records = {family.good};
    for (const auto& [key, _] : family.good) {
      json::object without = family.good;
      without.erase(key);
      records.push_back(without);
      for (const auto& v : values) {
        json::object changed = family.good;
        changed[key] = v;
        records.push_back(changed);
      }
    }
    json::object extra = family.good;
    extra["favourite_colour"] = "blue";
    records.push_back(extra);
    records.push_back({});
    for (const auto& r : records) {
      const bool slow = valijson_accepts(doc, r);
      const bool fast = quick->accepts(r);
      if (fast) {
        EXPECT_TRUE(slow) << family.schema << ": " << json::serialize(r);
      }
      // valijson reads a string only up to its first NUL byte, so it accepts "x\0y" where a
      // pattern refuses the NUL: the quick check refuses it and leaves the verdict to valijson.
      const bool has_nul = json::serialize(r).find("\\u0000") != std::string::npos;
      if (slow && !has_nul) {
        EXPECT_TRUE(fast) << family.schema << ": " << json::serialize(r);
      }
      ++(slow ? accepted : refused);
    }
    EXPECT_FALSE(quick->accepts(json::value("not an object")));
    EXPECT_FALSE(quick->accepts(json::array{}));
  }
  EXPECT_GT(accepted, 20u);
  EXPECT_GT(refused, 100u);
}
