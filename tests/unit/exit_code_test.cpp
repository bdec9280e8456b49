// The CLI's exit status is decided in one function (cmd/provportal/exit_code.cpp).
#include "provportal/exit_code.hpp"

#include <gtest/gtest.h>

namespace {

using portal::Error;
using portal::ErrorKind;
using portal::batch::Summary;
using portal::cli::compute_exit_code;

TEST(ExitCode, EachErrorKindHasItsCode) {
  const std::pair<ErrorKind, int> table[] = {
      {ErrorKind::usage, 2},         {ErrorKind::input, 3},           {ErrorKind::auth, 4},
      {ErrorKind::unavailable, 5},   {ErrorKind::refused, 6},         {ErrorKind::internal, 70},
      {ErrorKind::interrupted, 130}, {ErrorKind::output_closed, 141},
  };
  for (const auto& [kind, code] : table) {
    Error e(kind, "x");
    EXPECT_EQ(compute_exit_code({.error = &e}), code) << portal::kind_name(kind);
  }
}

TEST(ExitCode, NothingWentWrongIsZero) {
  EXPECT_EQ(compute_exit_code({}), 0);
  Summary s;
  s.total = s.ok = 3;
  EXPECT_EQ(compute_exit_code({.batch = &s}), 0);
}

TEST(ExitCode, ABatchFollowsItsPrecedence) {
  Summary s;
  s.rejected = 1;
  EXPECT_EQ(compute_exit_code({.batch = &s}), 1);
  s.rejected = 0;
  s.invalid = 1;
  EXPECT_EQ(compute_exit_code({.batch = &s}), 1);
  s.invalid = 0;
  s.stopped_early = true;  // --fail-fast
  EXPECT_EQ(compute_exit_code({.batch = &s}), 1);
  s.rejected = 2;
  s.failed = 1;  // failed rows outrank rejected ones: a batch partly done
  EXPECT_EQ(compute_exit_code({.batch = &s}), 7);
  s.ok = 5;
  s.rejected = 0;
  EXPECT_EQ(compute_exit_code({.batch = &s}), 7);
  s.fatal = Error(ErrorKind::auth, "session expired");  // the error that stopped the run, next
  EXPECT_EQ(compute_exit_code({.batch = &s}), 4);
  EXPECT_EQ(compute_exit_code({.error = &*s.fatal, .batch = &s}), 4);
  s.interrupted = true;  // an interrupt outranks everything
  EXPECT_EQ(compute_exit_code({.batch = &s}), 130);
  EXPECT_EQ(compute_exit_code({.error = &*s.fatal, .batch = &s}), 130);
}

TEST(ExitCode, ABatchOfWhichNoRowWasDoneIsUnavailable) {
  Summary s;
  s.total = s.failed = 4;  // every row failed after its retries: the portal was not there
  EXPECT_EQ(compute_exit_code({.batch = &s}), 5);
  s.invalid = 1;  // one row was checked and refused here: the batch was partly done
  EXPECT_EQ(compute_exit_code({.batch = &s}), 7);
}

TEST(ExitCode, AnErrorOutranksTheRowsOfABatchThatWasNotStopped) {
  Summary s;
  s.failed = 3;
  Error e(ErrorKind::input, "cannot write the results file");
  EXPECT_EQ(compute_exit_code({.error = &e, .batch = &s}), 3);
}

}  // namespace
