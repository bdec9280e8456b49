// Fault injection for `provportal-sandbox serve --faults SPEC`: on a random share of the requests
// to record endpoints, answer 429/503/500, drop the connection before or after applying the
// request, answer late, or cut the answer short. The server (server.cpp) acts on the decision;
// this part only parses the spec and decides, deterministically for a given seed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::sandbox {

enum class FaultKind {
  too_many_requests,  // "429": 429 with Retry-After: 1; the request is not applied
  unavailable,        // "503": 503 with Retry-After: 1; not applied
  internal_error,     // "500": 500; not applied
  reset,              // "reset": the connection is reset before the request is applied
  reset_after,        // "reset-after": the request is applied, then the connection is reset
  delay,              // "delay": the request is applied and answered after 0.2-1.5 s
  truncate,           // "truncate": the request is applied, half the answer is sent, then close
  // CAQH CORE (docs/core.md); on /core/* requests only (no fault elsewhere), not in "all":
  core_unavailable,  // "core-42": a 270 is answered with AAA*N**42*R (cannot respond now)
  core_slow,         // "core-slow": answered after 21-25 s, past CORE's 20 s real-time budget
};

// The spec's name of a kind ("429", "reset-after", ...).
std::string_view fault_kind_name(FaultKind kind);

struct FaultSpec {
  double rate = 0;               // share of eligible requests that get a fault, 0 to 1
  std::vector<FaultKind> kinds;  // chosen among with equal chances; never empty once parsed
  std::uint64_t seed = 0;
  // Path prefixes that may get faults ("/v1/cases" covers "/v1/cases/ORD1/documents"). Empty:
  // every path but the account ones (see fault_eligible_by_default).
  std::vector<std::string> paths;
};

// Parses "rate=0.1,kinds=429+503+reset+delay,seed=42,paths=/v1/eligibility+/v1/cases":
// comma-separated settings, '+' between the items of a list. rate is required; kinds defaults
// to all (the seven HTTP kinds; the CORE kinds are named on their own), seed to a random one
// (fault_spec_text shows it, to repeat a run).
Expected<FaultSpec> parse_fault_spec(std::string_view text);

// The spec in the syntax parse_fault_spec reads, every setting spelled out.
std::string fault_spec_text(const FaultSpec& spec);

// Without `paths=`: every path except the account ones, so signing in keeps working:
// /v1/health, /v1/auth/*, /v1/admin/*, /v1/registrations, /v1/email-verifications,
// /v1/password-resets and /v1/organizations.
bool fault_eligible_by_default(std::string_view path);

struct FaultDecision {
  FaultKind kind;
  // For FaultKind::delay: 200 to 1500 ms; for FaultKind::core_slow: 21 to 25 s.
  std::chrono::milliseconds delay{0};
};

// Whether `kind` acts only on CAQH CORE requests, and whether `path` is one (/core/...).
bool is_core_fault(FaultKind kind);
bool is_core_path(std::string_view path);

// Decides which requests get which fault. Thread-safe. The n-th eligible request's decision
// depends only on the seed and n, so a single-threaded client sees the same faults each run.
class FaultInjector {
 public:
  explicit FaultInjector(FaultSpec spec) : m_spec(std::move(spec)) {}

  bool applies_to(std::string_view path) const;
  // The decision for the next request to `path` (nullopt: serve it normally).
  std::optional<FaultDecision> next(std::string_view path);
  // The decision for the n-th eligible request (0-based), without counting it.
  std::optional<FaultDecision> decide(std::uint64_t n) const;
  const FaultSpec& spec() const { return m_spec; }

 private:
  FaultSpec m_spec;
  std::atomic<std::uint64_t> m_count{0};
};

}  // namespace portal::sandbox
