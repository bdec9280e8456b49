#include <gtest/gtest.h>

#include "portal/records/codes.hpp"

using namespace portal::records;

TEST(Codes, CptIsFourDigitsThenADigitOrLetter) {
  for (const char* c : {"70551", "72148", "0042T", "3008F", "99213", "0001U"}) {
    EXPECT_TRUE(is_cpt_code(c)) << c;
    EXPECT_TRUE(is_procedure_code(c)) << c;
  }
  for (const char* c : {"", "7055", "705511", "7055a", "A0551", "70 51", "0042t", "7055-"}) {
    EXPECT_FALSE(is_cpt_code(c)) << c;
  }
}

TEST(Codes, HcpcsIsALetterAToVThenFourDigits) {
  for (const char* c : {"E0601", "G0399", "K0001", "A4253", "V2020", "L1832"}) {
    EXPECT_TRUE(is_hcpcs_code(c)) << c;
    EXPECT_TRUE(is_procedure_code(c)) << c;
  }
  for (const char* c : {"W0601", "Z1234", "e0601", "E060", "E06011", "EE601", "E060A"}) {
    EXPECT_FALSE(is_hcpcs_code(c)) << c;
  }
  EXPECT_FALSE(is_procedure_code("W0601"));
  EXPECT_FALSE(is_procedure_code("0042"));
}

TEST(Codes, Icd10CmWithAndWithoutTheDot) {
  for (const char* c : {"M54.16", "M5416", "E11.9", "E119", "R51", "S72.001A", "S72001A", "Z79.4",
                        "C50.911", "U07.1", "G47.33", "I25.10"}) {
    EXPECT_TRUE(is_icd10cm_code(c)) << c;
  }
  for (const char* c : {"", "M5", "M54.", "m54.16", "5M4.16", "MM4.16", "M54.12345", "M5412345",
                        "M54..1", "M54-16", "M54.1 6", "M54.1a"}) {
    EXPECT_FALSE(is_icd10cm_code(c)) << c;
  }
}

TEST(Codes, CanonicalIcd10CmPutsTheDotAfterTheCategory) {
  EXPECT_EQ(canonical_icd10cm("M5416"), "M54.16");
  EXPECT_EQ(canonical_icd10cm("M54.16"), "M54.16");
  EXPECT_EQ(canonical_icd10cm("R51"), "R51");
  EXPECT_EQ(canonical_icd10cm("S72001A"), "S72.001A");
}
