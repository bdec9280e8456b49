#include "exit_code.hpp"

namespace portal::cli {

namespace {

int code_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
      return k_exit_usage;
    case ErrorKind::input:
      return k_exit_input;
    case ErrorKind::auth:
      return k_exit_auth;
    case ErrorKind::unavailable:
      return k_exit_unavailable;
    case ErrorKind::refused:
      return k_exit_refused;
    case ErrorKind::interrupted:
      return k_exit_interrupted;
    case ErrorKind::internal:
      return k_exit_internal;
    case ErrorKind::output_closed:
      return k_exit_output_closed;
  }
  return k_exit_internal;
}

}  // namespace

int compute_exit_code(const Outcome& outcome) {
  if (const auto* s = outcome.batch) {
    if (s->interrupted) return k_exit_interrupted;
    if (s->fatal) return code_of(s->fatal->kind);
  }
  if (outcome.error) return code_of(outcome.error->kind);
  if (const auto* s = outcome.batch) {
    if (s->failed > 0) {
      // Nothing done at all is an outage (5); a batch partly done is told apart (7).
      return s->ok + s->rejected + s->invalid > 0 ? k_exit_rows_failed : k_exit_unavailable;
    }
    if (s->rejected > 0 || s->invalid > 0 || s->stopped_early) return k_exit_partial;
  }
  return k_exit_ok;
}

const char* const k_exit_codes_help =
    "Exit status:\n"
    "  0    everything asked for succeeded\n"
    "  1    a batch finished but some rows were rejected or invalid\n"
    "  2    usage error: bad flags or arguments, or a needed input cannot be asked for\n"
    "  3    input error: a record or file cannot be used (nothing was sent)\n"
    "  4    authentication: not logged in, session expired, MFA failed, account locked,\n"
    "       inactive, disabled, pending review or email not verified\n"
    "  5    unavailable: network or TLS failure, server errors after retries, maintenance\n"
    "  6    the portal refused the operation (not found, duplicate, conflict, forbidden)\n"
    "  7    a batch finished partly: some rows got no answer after every retry (the others\n"
    "       were done); --resume sends only those. submit-case --wait-decision: the case\n"
    "       was submitted but --max-wait passed before its decision; run it again to wait on\n"
    "  70   internal error: a bug (please report it with the command and -vv output)\n"
    "  130  interrupted (a batch saves its journal: run it again with --resume)\n"
    "  A batch that meets several of these exits with the first of 130, the error that\n"
    "  stopped it, 7 (5 when no row was done), 1. When stdout is closed early\n"
    "  (`provportal ... | head -1`) the command stops quietly and dies of SIGPIPE, as\n"
    "  `cat` and `yes` do (the shell shows 141).\n";

}  // namespace portal::cli
