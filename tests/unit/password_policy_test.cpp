#include <gtest/gtest.h>

#include "portal/records/password_policy.hpp"

using portal::records::password_problem;

TEST(PasswordPolicy, AcceptsPassphrasesWithoutCompositionRules) {
  EXPECT_FALSE(password_problem("correct horse battery staple"));
  EXPECT_FALSE(password_problem("lowercaseonlyisfine"));
  EXPECT_FALSE(password_problem("ünïcødé pässwörd"));
  EXPECT_FALSE(password_problem(std::string(64, 'x') + "y"));  // 65 characters are allowed
}

TEST(PasswordPolicy, LengthIsCountedInCharacters) {
  EXPECT_TRUE(password_problem("short7!"));
  EXPECT_TRUE(password_problem("éééé"));  // 8 bytes but 4 characters
  EXPECT_FALSE(password_problem("ééééabcx"));
  EXPECT_TRUE(password_problem(std::string(129, 'q') + "z"));
}

TEST(PasswordPolicy, RefusesCommonRepetitiveAndSequential) {
  EXPECT_TRUE(password_problem("password"));
  EXPECT_TRUE(password_problem("Password1"));
  EXPECT_TRUE(password_problem("qwertyuiop"));
  EXPECT_TRUE(password_problem("aaaaaaaaaa"));
  EXPECT_TRUE(password_problem("abcdefghij"));
  EXPECT_TRUE(password_problem("98765432"));
}

TEST(PasswordPolicy, RefusesContextWordsAndBadBytes) {
  EXPECT_TRUE(password_problem("my jane.doe secret", "jane.doe@clinic.example"));
  EXPECT_TRUE(password_problem("hello Morrison 2026", "x@y.z", "Ann", "Morrison"));
  EXPECT_TRUE(password_problem("tab\tinside pass"));
  EXPECT_TRUE(password_problem("bad utf8 \xff\xfe here"));
}
