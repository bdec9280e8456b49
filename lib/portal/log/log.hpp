// Logging for the CLI: spdlog to stderr as text or JSON lines, behind a redaction layer that
// keeps passwords, one-time codes, TOTP secrets, session tokens and PHI out of every line.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

namespace portal::log {

enum class Format { text, json };

struct Options {
  int verbosity = 0;   // 0: warn, 1: info, 2 or more: debug
  bool quiet = false;  // errors only
  Format format = Format::text;
};

// Installs the process-wide default logger (stderr, redacting) at the level `options` asks for.
// Safe to call again (the last call wins).
void setup(const Options& options);

// Remembers a secret so that redact() and every log line replace it; empty strings are ignored.
void register_secret(std::string secret);

// Forgets a secret again: for a new password the local policy refused, which is never sent and
// may be an ordinary word (redacting "password" everywhere would garble messages).
void forget_secret(std::string_view secret);

// `text` with every registered secret, every "Bearer <token>", and the values of JSON members
// named like secrets (password, code, token, mfa_token, secret, ...) or PHI (member_id,
// date_of_birth, first_name, last_name) replaced by "[REDACTED]".
std::string redact(std::string_view text);

// The path and query of an HTTP target with every query value replaced by "…", since a
// query can carry PHI ("/v1/orders?member_id=X" -> "/v1/orders?member_id=…").
std::string safe_target(std::string_view target);

// The format selected by the last setup() (main prints errors in the same format).
Format current_format();

// The ID of this process's run: 16 random hex digits, drawn once. It is in every JSON log line,
// in the audit log and in the metrics, so the three can be joined.
const std::string& run_id();

// A line for the person on stderr whatever the log level (notices, batch summaries, bad rows):
// the text as it is, or with --log-format json one object {ts, level, run_id, msg, ...fields}.
// Redacted like every log line, unless `redact_text` is false: for text built only from field
// names and the project's own words (a bad row's report), which the JSON-member redaction could
// garble.
void message(std::string_view text, std::string_view level = "info",
             const boost::json::object* fields = nullptr, bool redact_text = true);

}  // namespace portal::log
