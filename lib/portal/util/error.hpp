// The one error type of the project and the expected<> alias every fallible function returns.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace portal {

// What kind of failure happened; the CLI maps each kind to one exit code
// (cmd/provportal/exit_code.hpp).
enum class ErrorKind {
  usage,        // bad flags or arguments (exit 2)
  input,        // a record or file cannot be used; nothing was sent (exit 3)
  auth,         // not logged in, MFA failed, locked, pending, ... (exit 4)
  unavailable,  // network, TLS, 5xx after retries, maintenance window (exit 5)
  refused,      // the portal refused the operation: not found, duplicate, conflict (exit 6)
  interrupted,  // SIGINT/SIGTERM (exit 130)
  internal,     // a bug or an unexpected local failure (exit 70)
  // stdout's reader went away (`provportal ... | head -1`): stop quietly and die of SIGPIPE,
  // as cat and yes do.
  output_closed,
};

// One offending field of a record, for validation reports.
struct FieldError {
  std::string field;
  std::string message;
};

// A typed error: kind, human message, an optional hint (the next command to run), and,
// when it came from the portal, its HTTP status and stable error code.
struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  std::string hint;
  int http_status = 0;
  std::string code;
  std::vector<FieldError> fields;

  Error() = default;
  Error(ErrorKind k, std::string msg, std::string h = {})
      : kind(k), message(std::move(msg)), hint(std::move(h)) {}
};

template <typename T>
using Expected = tl::expected<T, Error>;

// Builds the unexpected value of an Expected<T> in one call.
inline tl::unexpected<Error> fail(ErrorKind kind, std::string message, std::string hint = {}) {
  return tl::unexpected<Error>(Error(kind, std::move(message), std::move(hint)));
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

// A short lower-case name of the kind ("auth", "input", ...), for JSON error output.
const char* kind_name(ErrorKind kind);

}  // namespace portal
