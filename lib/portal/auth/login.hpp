// The login flow: password, then the second factor (email passcode or TOTP) from whichever
// source the caller allows, then the expired-password change when the portal asks for one.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "portal/api/portal_api.hpp"
#include "portal/auth/totp_steps.hpp"
#include "portal/util/error.hpp"

namespace portal::auth {

enum class MfaChoice { automatic, email, totp };

// Where one-time codes may come from; empty/null members are unavailable.
struct CodeSources {
  std::string otp_code;     // given up front (--otp-code)
  std::string otp_command;  // run with /bin/sh -c; its trimmed stdout is the code
  std::string totp_secret;  // Base32 secret: codes are computed on the portal's clock
  // Asks the person at the terminal; null when there is no terminal (or --no-input).
  std::function<Expected<std::string>(const std::string& prompt)> prompt;
};

struct LoginRequest {
  std::string email;
  std::string password;
  MfaChoice mfa = MfaChoice::automatic;
  CodeSources codes;
  // Supplies a new password when the portal says the current one expired; returns the error to
  // report when none can be had (no terminal, no --new-password-file).
  std::function<Expected<std::string>()> new_password;
  // Progress messages for the person (stderr).
  std::function<void(const std::string&)> notice;
  // The TOTP steps already spent (codes computed from totp_secret skip them); optional.
  std::optional<TotpStepMemory> totp_steps;
  // Sleeps until a step not yet spent is within the portal's reach (tests shorten it).
  std::function<void(std::chrono::seconds)> sleep;
};

struct LoginOutcome {
  api::SessionGrant session;
  std::string factor;  // "email" or "totp"
  bool password_changed = false;
  // The portal's clock minus this machine's at login: expiry times the portal sends are on its
  // clock, so deciding when a session needs refreshing must add this to ours.
  std::chrono::seconds clock_offset{0};
};

// Runs the whole login against `api`. Fails before sending anything (ErrorKind::usage) when no
// source of a one-time code is available.
Expected<LoginOutcome> run_login(api::PortalApi& api, const LoginRequest& request);

// Runs `command` with /bin/sh -c (stdin /dev/null, stderr passed through, `env` added) and
// returns its trimmed stdout: a one-time code, a password or a TOTP secret from a secret
// manager's CLI. It is registered for redaction. ErrorKind::auth on a nonzero exit, empty output
// or timeout, naming the command by `what` ("--otp-command", "the profile's password_command").
Expected<std::string> run_secret_command(const std::string& command, const std::string& what,
                                         const std::map<std::string, std::string>& env = {},
                                         std::chrono::seconds timeout = std::chrono::seconds{120});

// The Base32 secret in the text of a TOTP secret file: the secret itself or an otpauth:// URI.
// ErrorKind::input when it is neither.
Expected<std::string> parse_totp_secret(std::string_view text);

}  // namespace portal::auth
