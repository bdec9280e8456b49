// The one retry policy of every request sent to the portal, by single commands (PortalApi) and by
// the batch runner alike: which answers and faults are tried again, Retry-After, and exponential
// backoff with full jitter. Depends on nothing above api/ (never on batch/).
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "portal/http/client.hpp"
#include "portal/util/error.hpp"

namespace portal::api {

// What to do when the session ended in the middle of a run and could not be renewed
// (Verdict::auth with no session to go on with).
inline constexpr const char* k_session_ended_hint =
    "run `provportal login --if-needed`, or let runs log in again by themselves: set the "
    "profile's password_file (or password_command) and totp_secret_file (or "
    "totp_secret_command, or otp_command)";

class OutageWait;

// How often and how patiently to retry a request that may be repeated safely.
struct RetryPolicy {
  int max_attempts = 4;                       // including the first
  std::chrono::milliseconds base_delay{300};  // doubled per attempt, with full jitter
  std::chrono::milliseconds max_delay{
      10'000};  // cap of one wait; a longer Retry-After is an outage

  // The wait after failed attempt `attempt` (1-based): uniform in [0, min(max_delay,
  // base_delay * 2^(attempt-1))] ("full jitter"), but at least `retry_after` (within max_delay).
  std::chrono::milliseconds backoff(int attempt,
                                    std::optional<std::chrono::seconds> retry_after = std::nullopt,
                                    std::mt19937_64* rng = nullptr) const;
};

// Whether an answer with HTTP `status` is worth sending again: 429 and every 5xx.
bool retryable(int status);

// Whether an answer with `status` is final whatever its body says: 2xx, or a 4xx other than 401
// (the session), 409 (maybe an idempotency key in progress) and 429. Cheap, for a hot path that
// settles such answers without the retry loop; classify() decides the others.
inline bool final_status(int status) {
  return (status >= 200 && status < 300) ||
         (status >= 400 && status < 500 && status != 401 && status != 409 && status != 429);
}

// The wait a Retry-After header value asks for: delta-seconds, or an HTTP-date counted from
// `now` (a past date: zero). nullopt when empty or unreadable.
std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// parse_retry_after() of the answer's Retry-After header.
std::optional<std::chrono::seconds> retry_after(
    const http::Response& response,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// What the send loop does with one attempt.
enum class Verdict {
  final,   // keep it: a final answer, or a fault sending again cannot mend (input, usage)
  retry,   // send again after RetryPolicy::backoff()
  outage,  // an announced outage (the maintenance window, or a Retry-After beyond max_delay):
           // wait it out with --wait (wait_out), else stop with `error`
  auth,    // 401: the session was refused
};

// One attempt as the retry policy sees it.
struct Classification {
  Verdict verdict = Verdict::final;
  std::optional<std::chrono::seconds> retry_after;  // the answer's Retry-After, if any
  bool maintenance = false;                         // the answer is the maintenance window's
  Error error;  // for retry, outage and auth: the answer mapped (map_error) or the fault
};

// Classifies an attempt's answer or transport fault. `repeatable`: the request may be sent again
// after the portal answered it (see repeatable()); a connection fault is retried and the
// maintenance window waited out whatever the request, as both send paths always did.
Classification classify(const Expected<http::Response>& attempt, const RetryPolicy& policy,
                        bool repeatable);

// Whether `request` may be sent again after an answer: a GET, or it carries an Idempotency-Key.
bool repeatable(const http::Request& request);

// Waits out the outage `c` announced (Verdict::outage) through `wait` (--wait; not owned): ok
// when the request may go again (no attempt used up). Otherwise the error to stop with: the
// wait's (ErrorKind::interrupted when cancelled), or c.error when there is no `wait` or no
// Retry-After to wait for.
Expected<void> wait_out(OutageWait* wait, const Classification& c);

}  // namespace portal::api
