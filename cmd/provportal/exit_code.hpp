// The process's exit status, decided here and nowhere else (as restic's ComputeExitCode): from
// the error that ended the run, or from a batch's outcome. The table is SPEC.md's and the
// README's; `provportal --help` prints it (k_exit_codes_help).
#pragma once

#include "portal/batch/runner.hpp"
#include "portal/util/error.hpp"

namespace portal::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_partial = 1;  // a batch finished with rejected or invalid rows
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_input = 3;
inline constexpr int k_exit_auth = 4;
inline constexpr int k_exit_unavailable = 5;
inline constexpr int k_exit_refused = 6;
// A batch finished, part of it done, and some rows got no final answer after every retry: run
// it again with --resume to send only those (rsync's "partial transfer" beside 5's "nothing").
inline constexpr int k_exit_rows_failed = 7;
inline constexpr int k_exit_internal = 70;  // a bug or an unexpected local failure (EX_SOFTWARE)
inline constexpr int k_exit_interrupted = 130;
// stdout was closed by its reader: main raises SIGPIPE, the shell shows 128 + 13.
inline constexpr int k_exit_output_closed = 141;

// What a run came to: the error that ended it (null: none), the batch it ran (null: none).
struct Outcome {
  const Error* error = nullptr;
  const batch::Summary* batch = nullptr;
};

// The exit status of `outcome`. An error decides by its kind; a batch by precedence:
// interrupted (130) > a fatal error that stopped it (its kind's code) > rows that failed after
// every retry (7 when other rows were done, 5 when none was) > rows rejected or invalid, or
// --fail-fast (1) > 0.
int compute_exit_code(const Outcome& outcome);

// The exit-status section of `provportal --help`.
extern const char* const k_exit_codes_help;

}  // namespace portal::cli
