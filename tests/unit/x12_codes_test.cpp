// The X12 code tables compiled in from data/x12/*.tsv: sound, complete where the wires need
// them, and read by name as the CLI and the X12 wires ask.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "x12/codes.hpp"

namespace codes = x12::codes;
using codes::List;
using codes::Retry;

namespace {

void expect_codes(List list, std::initializer_list<const char*> wanted) {
  for (const char* c : wanted) {
    const codes::Code* code = codes::find(list, c);
    ASSERT_NE(code, nullptr) << codes::info(list).name << " " << c;
    EXPECT_EQ(code->code, c);
    EXPECT_FALSE(code->title.empty()) << c;
    EXPECT_FALSE(code->meaning.empty()) << c;
  }
}

}  // namespace

TEST(X12Codes, TablesAreSoundAndNoneIsEmpty) {
  for (const auto& problem : codes::detail::table_problems()) ADD_FAILURE() << problem;
  for (const auto& l : codes::lists()) {
    EXPECT_FALSE(codes::all(l.list).empty()) << l.name;
    EXPECT_EQ(&codes::info(l.list), &l);
  }
}

TEST(X12Codes, EveryRowHasAFieldOfTheRecordsAndAnActionWhenItAsksForOne) {
  const std::set<std::string> fields = {"",
                                        "member_id",
                                        "date_of_birth",
                                        "first_name/last_name",
                                        "provider_npi",
                                        "service_date",
                                        "health_plan"};
  for (const auto& l : codes::lists()) {
    for (const auto& c : codes::all(l.list)) {
      EXPECT_EQ(c.list_name, l.name) << c.code;
      EXPECT_TRUE(fields.count(std::string(c.field))) << l.name << " " << c.code << " " << c.field;
      if (c.retry != Retry::none) {
        EXPECT_FALSE(c.action.empty()) << l.name << " " << c.code;
      }
      // A code names its list back: what `x12 explain LIST CODE` prints can be typed again.
      EXPECT_EQ(codes::list_named(c.list_name), l.list);
    }
  }
}

TEST(X12Codes, AaaRejectReasonsOfTheEligibilityAnswer) {
  expect_codes(List::aaa, {"15", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51",
                           "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "69",
                           "70", "71", "72", "73", "74", "75", "76", "77", "78", "79", "80"});
  expect_codes(List::aaa, {"04", "33", "35", "64", "65", "66", "67", "68", "97", "AA", "T4"});
}

TEST(X12Codes, AaaRetryClassesAndTheFieldToFix) {
  struct Want {
    const char* code;
    Retry retry;
    const char* field;
  };
  for (const Want& w :
       {Want{"42", Retry::later, ""}, Want{"80", Retry::later, ""},
        Want{"72", Retry::fix, "member_id"}, Want{"75", Retry::fix, "member_id"},
        Want{"73", Retry::fix, "first_name/last_name"}, Want{"58", Retry::fix, "date_of_birth"},
        Want{"71", Retry::fix, "date_of_birth"}, Want{"43", Retry::fix, "provider_npi"},
        Want{"57", Retry::fix, "service_date"}, Want{"62", Retry::fix, "service_date"},
        Want{"78", Retry::fix, "health_plan"}, Want{"41", Retry::never, ""},
        Want{"50", Retry::never, ""}, Want{"79", Retry::never, "health_plan"}}) {
    const auto* c = codes::find(List::aaa, w.code);
    ASSERT_NE(c, nullptr) << w.code;
    EXPECT_EQ(c->retry, w.retry) << w.code;
    EXPECT_EQ(c->field, w.field) << w.code;
  }
  // Only "cannot answer now" is retried unchanged: every other AAA03 is a fix or a refusal.
  for (const auto& c : codes::all(List::aaa)) {
    EXPECT_NE(c.retry, Retry::none) << c.code;
    EXPECT_EQ(c.retry == Retry::later, c.code == "42" || c.code == "80") << c.code;
  }
  EXPECT_NE(codes::find(List::aaa, "42")->action.find("retries"), std::string_view::npos);
}

TEST(X12Codes, AaaFollowUpActions) {
  expect_codes(List::aaa_follow_up, {"C", "N", "P", "R", "S", "W", "X", "Y"});
  EXPECT_EQ(codes::find(List::aaa_follow_up, "C")->retry, Retry::fix);
  EXPECT_EQ(codes::find(List::aaa_follow_up, "N")->retry, Retry::never);
  EXPECT_EQ(codes::find(List::aaa_follow_up, "Y")->retry, Retry::never);
  EXPECT_EQ(codes::find(List::aaa_follow_up, "W")->retry, Retry::later);
}

TEST(X12Codes, ClaimStatusCategories) {
  expect_codes(List::stc_category,
               {"A0",  "A1",  "A2",  "A3",  "A4",  "A5", "A6", "A7", "A8",  "P0",  "P1",
                "P2",  "P3",  "P4",  "P5",  "F0",  "F1", "F2", "F3", "F3F", "F3N", "F4",
                "R0",  "R1",  "R3",  "R4",  "R5",  "R6", "R7", "R8", "R9",  "R10", "R11",
                "R12", "R13", "R14", "R15", "R16", "E0", "E1", "E2", "E3",  "E4",  "D0"});
  EXPECT_EQ(codes::find(List::stc_category, "A7")->retry, Retry::fix);
  EXPECT_EQ(codes::find(List::stc_category, "E1")->retry, Retry::later);
  EXPECT_EQ(codes::find(List::stc_category, "F1")->retry, Retry::none);
}

TEST(X12Codes, ClaimStatusCodesA277Carries) {
  expect_codes(List::stc_status,
               {"0",  "1",  "3",  "15",  "16",  "17",  "18",  "19",  "20",  "21",
                "22", "23", "24", "25",  "26",  "27",  "29",  "33",  "35",  "65",
                "66", "85", "88", "101", "187", "247", "248", "252", "562", "688"});
}

TEST(X12Codes, EntitiesOfStc013) {
  expect_codes(List::entity, {"PR", "1P", "85", "82", "IL", "QC", "41", "40", "77", "FA"});
}

TEST(X12Codes, AdjustmentReasonsGroupsAndRemarks) {
  expect_codes(List::carc,
               {"1",   "2",   "3",   "4",   "5",   "6",   "11",  "16",  "18",  "22", "23",
                "26",  "27",  "29",  "31",  "35",  "39",  "45",  "50",  "96",  "97", "109",
                "119", "129", "167", "170", "181", "197", "198", "204", "242", "253"});
  expect_codes(List::carc_group, {"CO", "PR", "OA", "PI", "CR"});
  expect_codes(List::rarc, {"M15", "M51", "M80", "MA04", "MA130", "N4", "N130", "N290", "N362",
                            "N381", "N657"});
  EXPECT_EQ(codes::find(List::carc, "18")->retry, Retry::never);
  EXPECT_EQ(codes::find(List::carc, "16")->retry, Retry::fix);
}

TEST(X12Codes, FindIgnoresCaseAndAnswersNullForUnknownCodes) {
  EXPECT_EQ(codes::find(List::rarc, "n130"), codes::find(List::rarc, "N130"));
  EXPECT_EQ(codes::find(List::stc_category, "a7")->code, "A7");
  EXPECT_EQ(codes::find(List::aaa, "99"), nullptr);
  EXPECT_EQ(codes::find(List::aaa, ""), nullptr);
  EXPECT_EQ(codes::find(List::aaa, "7"), nullptr);  // codes are matched whole: 7 is not 75
  EXPECT_EQ(codes::find(List::carc, "N130"), nullptr);
  // find() points into all(): one copy of each table.
  const auto aaa = codes::all(List::aaa);
  const auto* c = codes::find(List::aaa, "75");
  EXPECT_TRUE(c >= aaa.data() && c < aaa.data() + aaa.size());
}

TEST(X12Codes, ListsByNameInAnyCase) {
  EXPECT_EQ(codes::list_named("AAA"), List::aaa);
  EXPECT_EQ(codes::list_named("aaa03"), List::aaa);
  EXPECT_EQ(codes::list_named("AAA04"), List::aaa_follow_up);
  EXPECT_EQ(codes::list_named("stc"), List::stc_category);
  EXPECT_EQ(codes::list_named("Status"), List::stc_status);
  EXPECT_EQ(codes::list_named("CARC"), List::carc);
  EXPECT_EQ(codes::list_named("rarc"), List::rarc);
  EXPECT_EQ(codes::list_named("Entity"), List::entity);
  EXPECT_EQ(codes::list_named("group"), List::carc_group);
  EXPECT_EQ(codes::list_named("IK3"), std::nullopt);
  EXPECT_EQ(codes::list_named(""), std::nullopt);
  EXPECT_EQ(codes::retry_name(Retry::later), "later");
  EXPECT_EQ(codes::retry_name(Retry::none), "none");
}
