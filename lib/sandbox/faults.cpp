#include "sandbox/faults.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>

#include "portal/util/strings.hpp"

namespace portal::sandbox {

namespace {

constexpr FaultKind k_all_kinds[] = {FaultKind::too_many_requests, FaultKind::unavailable,
                                     FaultKind::internal_error,    FaultKind::reset,
                                     FaultKind::reset_after,       FaultKind::delay,
                                     FaultKind::truncate};

// Named only: "all" means the HTTP kinds above.
constexpr FaultKind k_core_kinds[] = {FaultKind::core_unavailable, FaultKind::core_slow};

constexpr std::string_view k_syntax =
    "rate=R[,kinds=K+K...][,seed=N][,paths=/P+/P...] where R is 0 to 1 and K is one of 429, "
    "503, 500, reset, reset-after, delay, truncate, all, core-42 or core-slow";

// SplitMix64: a good 64-bit mix of a counter, enough for reproducible coin flips.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform double in [0, 1) from 53 bits of `x`.
double unit(std::uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::optional<FaultKind> kind_of(std::string_view name) {
  for (auto k : k_all_kinds) {
    if (fault_kind_name(k) == name) return k;
  }
  for (auto k : k_core_kinds) {
    if (fault_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

tl::unexpected<Error> bad(const std::string& what) {
  return fail(
      ErrorKind::usage, "--faults: " + what,
      "the syntax is " + std::string(k_syntax) + ", e.g. rate=0.1,kinds=429+503+reset,seed=42");
}

bool has_prefix(std::string_view path, std::string_view prefix) {
  if (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix == "/";
}

}  // namespace

std::string_view fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::too_many_requests:
      return "429";
    case FaultKind::unavailable:
      return "503";
    case FaultKind::internal_error:
      return "500";
    case FaultKind::reset:
      return "reset";
    case FaultKind::reset_after:
      return "reset-after";
    case FaultKind::delay:
      return "delay";
    case FaultKind::truncate:
      return "truncate";
    case FaultKind::core_unavailable:
      return "core-42";
    case FaultKind::core_slow:
      return "core-slow";
  }
  return "?";
}

bool is_core_fault(FaultKind kind) {
  return kind == FaultKind::core_unavailable || kind == FaultKind::core_slow;
}

bool is_core_path(std::string_view path) { return has_prefix(path, "/core"); }

Expected<FaultSpec> parse_fault_spec(std::string_view text) {
  FaultSpec spec;
  bool have_rate = false, have_seed = false;
  for (std::string_view part : split(util::trim(text), ',')) {
    part = util::trim(part);
    auto eq = part.find('=');
    if (eq == std::string_view::npos)
      return bad("expected NAME=VALUE, got \"" + std::string(part) + "\"");
    std::string_view name = util::trim(part.substr(0, eq));
    std::string_view value = util::trim(part.substr(eq + 1));
    if (name == "rate") {
      double rate = -1;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), rate);
      if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(rate) ||
          rate < 0 || rate > 1) {
        return bad("rate must be a number from 0 to 1, got \"" + std::string(value) + "\"");
      }
      spec.rate = rate;
      have_rate = true;
    } else if (name == "kinds") {
      spec.kinds.clear();
      for (std::string_view k : split(value, '+')) {
        k = util::trim(k);
        if (k == "all") {
          spec.kinds.assign(std::begin(k_all_kinds), std::end(k_all_kinds));
        } else if (auto kind = kind_of(k)) {
          if (std::find(spec.kinds.begin(), spec.kinds.end(), *kind) == spec.kinds.end())
            spec.kinds.push_back(*kind);
        } else {
          return bad("unknown fault kind \"" + std::string(k) + "\"");
        }
      }
    } else if (name == "seed") {
      std::uint64_t seed = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seed);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return bad("seed must be a whole number, got \"" + std::string(value) + "\"");
      }
      spec.seed = seed;
      have_seed = true;
    } else if (name == "paths") {
      spec.paths.clear();
      for (std::string_view p : split(value, '+')) {
        p = util::trim(p);
        if (p.empty() || p.front() != '/')
          return bad("paths must start with /, got \"" + std::string(p) + "\"");
        spec.paths.emplace_back(p);
      }
    } else {
      return bad("unknown setting \"" + std::string(name) + "\"");
    }
  }
  if (!have_rate) return bad("rate is required");
  if (spec.kinds.empty()) spec.kinds.assign(std::begin(k_all_kinds), std::end(k_all_kinds));
  if (!have_seed) spec.seed = std::random_device{}();
  return spec;
}

std::string fault_spec_text(const FaultSpec& spec) {
  char rate[32];
  auto [end, ec] = std::to_chars(rate, rate + sizeof rate, spec.rate);
  std::string out = "rate=" + std::string(rate, ec == std::errc() ? end : rate) + ",kinds=";
  for (std::size_t i = 0; i < spec.kinds.size(); ++i) {
    out += (i ? "+" : "") + std::string(fault_kind_name(spec.kinds[i]));
  }
  out += ",seed=" + std::to_string(spec.seed);
  if (!spec.paths.empty()) {
    out += ",paths=";
    for (std::size_t i = 0; i < spec.paths.size(); ++i) out += (i ? "+" : "") + spec.paths[i];
  }
  return out;
}

bool fault_eligible_by_default(std::string_view path) {
  for (std::string_view account :
       {"/v1/health", "/v1/auth", "/v1/admin", "/v1/registrations", "/v1/email-verifications",
        "/v1/password-resets", "/v1/organizations"}) {
    if (has_prefix(path, account)) return false;
  }
  return true;
}

bool FaultInjector::applies_to(std::string_view path) const {
  if (m_spec.paths.empty()) return fault_eligible_by_default(path);
  return std::any_of(m_spec.paths.begin(), m_spec.paths.end(),
                     [&](const std::string& p) { return has_prefix(path, p); });
}

std::optional<FaultDecision> FaultInjector::next(std::string_view path) {
  if (m_spec.rate <= 0 || !applies_to(path)) return std::nullopt;
  return decide(m_count.fetch_add(1, std::memory_order_relaxed));
}

std::optional<FaultDecision> FaultInjector::decide(std::uint64_t n) const {
  if (m_spec.kinds.empty()) return std::nullopt;
  std::uint64_t a = mix(m_spec.seed ^ mix(n));
  if (unit(a) >= m_spec.rate) return std::nullopt;
  std::uint64_t b = mix(a);
  FaultDecision d{m_spec.kinds[b % m_spec.kinds.size()]};
  if (d.kind == FaultKind::delay) d.delay = std::chrono::milliseconds(200 + mix(b) % 1301);
  if (d.kind == FaultKind::core_slow) d.delay = std::chrono::milliseconds(21000 + mix(b) % 4001);
  return d;
}

}  // namespace portal::sandbox
