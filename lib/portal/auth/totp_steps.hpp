// The TOTP time steps this machine has spent. A portal takes each step's code once (RFC 6238
// section 5.2), so a login in the same 30 seconds as an enrolment or as another login must use a
// later step; knowing which steps were spent, the CLI never sends a code the portal will refuse,
// and never spends one of the five failed attempts before a lockout on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "portal/util/clock.hpp"
#include "portal/util/error.hpp"

namespace portal::auth {

// The last step used per secret, one small file per secret in `dir` (the sessions directory,
// 0700): totp-<first 16 hex digits of SHA-256(secret)>.step, 0600, holding the step number. The
// name and content say nothing about the secret; a second process updates it under flock.
class TotpStepMemory {
 public:
  explicit TotpStepMemory(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  // The last step a code of `secret` was sent for; nullopt when none is known (or the file is
  // unreadable: the portal then refuses a spent code, which costs one attempt, as without it).
  std::optional<std::uint64_t> last(std::string_view secret) const;
  // Records that `step` was used; a lower step than the one on file leaves the file as it is.
  Expected<void> remember(std::string_view secret, std::uint64_t step) const;

  std::filesystem::path file_of(std::string_view secret) const;

 private:
  std::filesystem::path m_dir;
};

// Which step to send a code for, on the portal's clock `portal_now`: this step, unless it (or
// a later one) was spent, then the one after the last spent. The portal accepts the codes of the
// steps just before and after its own, so when even the next step was spent, `wait` says how
// long until the chosen step is within reach (at most one step, 30 s). A spent step further ahead
// (a clock set back since) is not waited for: this step's code is sent and the portal judges it.
struct TotpChoice {
  std::uint64_t step = 0;
  std::chrono::seconds wait{0};
};
TotpChoice choose_totp_step(SysTime portal_now, std::optional<std::uint64_t> last_spent);

// The code of `base32_secret` for time step `step`; nullopt when the secret is not Base32.
std::optional<std::string> totp_code_at_step(std::string_view base32_secret, std::uint64_t step);

}  // namespace portal::auth
