#include <gtest/gtest.h>

#include "portal/records/npi.hpp"

using namespace portal::records;

TEST(Npi, AcceptsValidCheckDigits) {
  // 1234567893 is CMS's published example; the others are generated with npi_check_digit.
  for (const char* npi : {"1234567893", "1245319599", "1679576722"})
    EXPECT_TRUE(npi_is_valid(npi)) << npi;
}

TEST(Npi, RefusesWrongCheckDigitLengthAndNonDigits) {
  EXPECT_FALSE(npi_is_valid("1234567890"));
  EXPECT_FALSE(npi_is_valid("1234567894"));
  EXPECT_FALSE(npi_is_valid("123456789"));
  EXPECT_FALSE(npi_is_valid("12345678933"));
  EXPECT_FALSE(npi_is_valid("12345678a3"));
  EXPECT_FALSE(npi_is_valid(""));
}

TEST(Npi, CheckDigitDetectsEverySingleDigitTypo) {
  const std::string good = "1234567893";
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (char c = '0'; c <= '9'; ++c) {
      if (c == good[i]) continue;
      std::string typo = good;
      typo[i] = c;
      EXPECT_FALSE(npi_is_valid(typo)) << typo;
    }
  }
}

TEST(Npi, CheckDigitCompletesPrefix) { EXPECT_EQ(npi_check_digit("123456789"), '3'); }

TEST(Phone, NormalizesCommonSpellings) {
  EXPECT_EQ(normalize_us_phone("312-555-0142"), "3125550142");
  EXPECT_EQ(normalize_us_phone("(312) 555-0142"), "3125550142");
  EXPECT_EQ(normalize_us_phone("+1 312 555 0142"), "3125550142");
  EXPECT_EQ(normalize_us_phone("3125550142"), "3125550142");
  EXPECT_EQ(normalize_us_phone("112-555-0142"), "");
  EXPECT_EQ(normalize_us_phone("555-0142"), "");
  EXPECT_EQ(normalize_us_phone("312x555x0142"), "");
}

TEST(TaxId, NormalizesEin) {
  EXPECT_EQ(normalize_tax_id("36-1234567"), "361234567");
  EXPECT_EQ(normalize_tax_id("361234567"), "361234567");
  EXPECT_EQ(normalize_tax_id("3612-34567"), "");
  EXPECT_EQ(normalize_tax_id("36123456"), "");
}

TEST(Email, NormalizesCaseAndSpace) {
  EXPECT_EQ(normalize_email("  Jane.Doe@Clinic.Example \n"), "jane.doe@clinic.example");
}
