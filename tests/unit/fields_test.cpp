// --fields: choosing fields (output::choose_fields), projecting records onto them
// (output::project), rendering only them, and the field lists of ops/fields.hpp held to the
// answers' schemas in schemas/openapi.yaml.
#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include "portal/ops/fields.hpp"
#include "portal/output/output.hpp"

namespace json = boost::json;
using portal::ErrorKind;
using portal::output::choose_fields;
using portal::output::FieldChoice;
using portal::output::Format;
using portal::output::project;

namespace {

const std::vector<std::string> k_valid = {"claim_number",    "paid_amount",       "check_number",
                                          "organization.id", "organization.name", "lines"};

FieldChoice chosen(std::string_view list) {
  auto c = choose_fields(list, k_valid);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : FieldChoice{};
}

std::string rendered(const json::value& v, Format f, const FieldChoice& fields) {
  std::ostringstream out;
  portal::output::RenderOptions o;
  o.fields = &fields;
  portal::output::render(out, v, f, o);
  return out.str();
}

const json::value k_claims = json::parse(R"([
  {"claim_number":"C1","status":"finalized-paid","paid_amount":"120.00","check_number":"EFT1",
   "organization":{"id":"o1","name":"Lakeshore"},"lines":[{"line":1}]},
  {"claim_number":"C2","status":"pending-in-process","paid_amount":null}])");

}  // namespace

TEST(ChooseFields, KeepsTheOrderGivenAndDropsRepeats) {
  auto c = chosen(" check_number, claim_number ,check_number,");
  EXPECT_EQ(c.names, (std::vector<std::string>{"check_number", "claim_number"}));
  EXPECT_EQ(c.columns, c.names);
}

TEST(ChooseFields, ANestedObjectsNameStandsForItsFields) {
  auto c = chosen("organization,claim_number");
  EXPECT_EQ(c.names, (std::vector<std::string>{"organization", "claim_number"}));
  EXPECT_EQ(c.columns,
            (std::vector<std::string>{"organization.id", "organization.name", "claim_number"}));
}

TEST(ChooseFields, AnUnknownNameIsAUsageErrorListingTheValidOnes) {
  auto c = choose_fields("claim_number,paid", k_valid);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::usage);
  EXPECT_NE(c.error().message.find("\"paid\""), std::string::npos);
  EXPECT_EQ(c.error().hint,
            "the fields here are: claim_number, paid_amount, check_number, organization.id, "
            "organization.name, lines");
  // A prefix of a name is not a name; neither is a field of a list.
  EXPECT_FALSE(choose_fields("organization.na", k_valid));
  EXPECT_FALSE(choose_fields("lines.line", k_valid));
}

TEST(ChooseFields, AListWithoutNamesIsAUsageError) {
  auto c = choose_fields(" , ,", k_valid);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::usage);
}

TEST(Project, KeepsOnlyTheNamesInOrderAndNestsDottedOnes) {
  json::object claim = k_claims.as_array()[0].as_object();
  EXPECT_EQ(json::serialize(project(claim, {"paid_amount", "organization.name", "claim_number"})),
            R"({"paid_amount":"120.00","organization":{"name":"Lakeshore"},"claim_number":"C1"})");
  // A nested object named whole keeps all of it.
  EXPECT_EQ(json::serialize(project(claim, {"organization"})),
            R"({"organization":{"id":"o1","name":"Lakeshore"}})");
}

TEST(Project, AFieldARecordLacksIsNull) {
  json::object claim = k_claims.as_array()[1].as_object();
  EXPECT_EQ(json::serialize(project(claim, {"claim_number", "check_number", "organization.id"})),
            R"({"claim_number":"C2","check_number":null,"organization":{"id":null}})");
}

TEST(Project, AnArrayIsProjectedItemByItem) {
  auto v = project(k_claims, {"claim_number"});
  EXPECT_EQ(json::serialize(v), R"([{"claim_number":"C1"},{"claim_number":"C2"}])");
}

TEST(RenderFields, CsvHasExactlyTheColumnsInOrder) {
  EXPECT_EQ(rendered(k_claims, Format::csv, chosen("claim_number,paid_amount,check_number")),
            "claim_number,paid_amount,check_number\r\n"
            "C1,120.00,EFT1\r\n"
            "C2,,\r\n");
}

TEST(RenderFields, CsvOfNothingStillHasTheHeader) {
  EXPECT_EQ(rendered(json::array(), Format::csv, chosen("claim_number,check_number")),
            "claim_number,check_number\r\n");
}

TEST(RenderFields, TableShowsTheColumnsInOrderEvenWhenEmpty) {
  EXPECT_EQ(rendered(k_claims, Format::table, chosen("check_number,organization.name")),
            "CHECK NUMBER  ORGANIZATION.NAME\n"
            "EFT1          Lakeshore\n"
            "              \n");
}

TEST(RenderFields, ListsOfObjectsAreOneJsonCell) {
  EXPECT_EQ(rendered(k_claims, Format::csv, chosen("lines")),
            "lines\r\n\"[{\"\"line\"\":1}]\"\r\n\r\n");
}

TEST(RenderFields, TableOfOneObjectIsKeyValueLinesOfTheFields) {
  EXPECT_EQ(rendered(k_claims.as_array()[0], Format::table, chosen("paid_amount,claim_number")),
            "PAID AMOUNT   120.00\n"
            "CLAIM NUMBER  C1\n");
}

TEST(RenderFields, JsonlAndYamlKeepTheNestedStructure) {
  EXPECT_EQ(rendered(k_claims, Format::jsonl, chosen("claim_number,organization.name")),
            "{\"claim_number\":\"C1\",\"organization\":{\"name\":\"Lakeshore\"}}\n"
            "{\"claim_number\":\"C2\",\"organization\":{\"name\":null}}\n");
  EXPECT_EQ(rendered(k_claims.as_array()[0], Format::yaml, chosen("organization.name")),
            "organization:\n  name: Lakeshore\n");
}

// The field lists a command declares are the leaves of its answer's schema: a field the portal
// adds (or drops) in schemas/openapi.yaml must be added here too.
namespace {

YAML::Node resolve(const YAML::Node& root, YAML::Node node) {
  while (node["$ref"]) {
    std::string ref = node["$ref"].as<std::string>();
    const std::string prefix = "#/components/schemas/";
    node = root["components"]["schemas"][ref.substr(prefix.size())];
  }
  return node;
}

void leaves(const YAML::Node& root, const YAML::Node& schema, const std::string& prefix,
            std::vector<std::string>& out) {
  YAML::Node s = resolve(root, schema);
  if (s["properties"] && s["properties"].IsMap()) {
    for (const auto& p : s["properties"]) {
      std::string name = (prefix.empty() ? "" : prefix + ".") + p.first.as<std::string>();
      leaves(root, p.second, name, out);
    }
    return;
  }
  out.push_back(prefix);
}

std::set<std::string> schema_fields(const std::string& name) {
  YAML::Node root =
      YAML::LoadFile(std::string(PORTAL_TEST_DATA_DIR) + "/../../schemas/openapi.yaml");
  std::vector<std::string> out;
  leaves(root, root["components"]["schemas"][name], "", out);
  return {out.begin(), out.end()};
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST(OpsFields, FollowTheAnswersSchemas) {
  EXPECT_EQ(as_set(portal::ops::eligibility_fields()), schema_fields("EligibilityResult"));
  EXPECT_EQ(as_set(portal::ops::claim_fields()), schema_fields("Claim"));
  EXPECT_EQ(as_set(portal::ops::order_fields()), schema_fields("Order"));
  EXPECT_EQ(as_set(portal::ops::document_fields()), schema_fields("DocumentUploaded"));
  EXPECT_EQ(as_set(portal::ops::profile_fields()), schema_fields("Profile"));
  auto case_fields = schema_fields("Order");
  case_fields.insert("documents_uploaded");
  EXPECT_EQ(as_set(portal::ops::case_fields()), case_fields);
}
