#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "portal/records/schema.hpp"

namespace json = boost::json;
using portal::FieldError;
using portal::records::validate_record;

namespace {

json::object good_registration() {
  return {{"provider_type", "physician"}, {"npi", "1234567893"},   {"tax_id", "36-1234567"},
          {"first_name", "Jane"},         {"last_name", "Doe"},    {"email", "jane@clinic.example"},
          {"phone", "312-555-0142"},      {"fax", "312-555-0143"}, {"accept_terms", true}};
}

const FieldError* find(const std::vector<FieldError>& errors, const std::string& field) {
  for (const auto& e : errors) {
    if (e.field == field) return &e;
  }
  return nullptr;
}

}  // namespace

TEST(Schema, EveryRecordSchemaIsEmbedded) {
  for (const char* name :
       {"registration", "profile", "eligibility", "case", "document", "claim_status"}) {
    EXPECT_TRUE(portal::records::embedded_schemas().count(name)) << name;
  }
}

TEST(Schema, ValidRegistrationPasses) {
  EXPECT_TRUE(validate_record("registration", good_registration()).empty());
}

TEST(Schema, BadNpiCheckDigitIsReportedOnTheField) {
  auto r = good_registration();
  r["npi"] = "1234567890";
  auto errors = validate_record("registration", r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "npi");
  EXPECT_NE(errors[0].message.find("check digit"), std::string::npos);
}

TEST(Schema, FormatEnumMissingAndUnknownFieldsAreEachNamed) {
  auto r = good_registration();
  r["npi"] = "12345";
  r["provider_type"] = "wizard";
  r.erase("email");
  r["favourite_colour"] = "blue";
  r["accept_terms"] = false;
  auto errors = validate_record("registration", r);
  ASSERT_TRUE(find(errors, "npi"));
  EXPECT_NE(find(errors, "npi")->message.find("wrong format"), std::string::npos);
  ASSERT_TRUE(find(errors, "provider_type"));
  EXPECT_NE(find(errors, "provider_type")->message.find("office_staff"), std::string::npos);
  ASSERT_TRUE(find(errors, "email"));
  EXPECT_EQ(find(errors, "email")->message, "is required");
  ASSERT_TRUE(find(errors, "favourite_colour"));
  EXPECT_TRUE(find(errors, "accept_terms"));
}

TEST(Schema, TaxIdIsRequiredExceptForOfficeStaff) {
  auto r = good_registration();
  r.erase("tax_id");
  EXPECT_TRUE(find(validate_record("registration", r), "tax_id"));
  r["provider_type"] = "office_staff";
  EXPECT_TRUE(validate_record("registration", r).empty());
}

TEST(Schema, ProfileUpdateNeedsAtLeastOneValidField) {
  EXPECT_FALSE(validate_record("profile", json::object{}).empty());
  EXPECT_TRUE(validate_record("profile", json::object{{"phone", "(312) 555-0199"}}).empty());
  EXPECT_FALSE(validate_record("profile", json::object{{"phone", "555-0199"}}).empty());
}

// valijson reads a string only up to its first NUL byte; such a value must not pass (a JSONL or
// YAML batch can carry "\u0000", which CSV refuses as it reads).
TEST(Schema, ANulByteInAnyFieldIsRefused) {
  json::object row{{"ref", "r1"},
                   {"member_id", "ACM100234"},
                   {"first_name", "James"},
                   {"last_name", "Whitaker"},
                   {"date_of_birth", "1958-03-14"},
                   {"health_plan", "acme-commercial"},
                   {"provider_npi", "1234567893"},
                   {"service_date", "2026-11-16"}};
  ASSERT_TRUE(validate_record("eligibility", row).empty());
  row["first_name"] = json::string(std::string("Ja\0\t!", 5));
  auto errors = validate_record("eligibility", row);
  ASSERT_TRUE(find(errors, "first_name"));
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("NUL"), std::string::npos);
  EXPECT_FALSE(validate_record("eligibility", json::value(row)).empty());
}
