#include "portal/api/retry.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "portal/api/outage_wait.hpp"
#include "portal/api/portal_api.hpp"
#include "portal/util/strings.hpp"

namespace portal::api {

namespace {

// A delta-seconds this long means "not before long": more digits than this are read as this
// (a value that overflows is no reason to retry at once).
constexpr std::chrono::seconds k_longest_retry_after{999'999};

std::mt19937_64& thread_rng() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int> number(std::string_view s) {
  int n = 0;
  if (!all_digits(s) || s.size() > 4) return std::nullopt;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

std::optional<unsigned> month_of(std::string_view s) {
  static constexpr std::array<std::string_view, 12> k_months = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < k_months.size(); ++i) {
    if (s == k_months[i]) return i + 1;
  }
  return std::nullopt;
}

// An HTTP-date (RFC 9110 5.6.7) in any of its three forms: IMF-fixdate "Sun, 06 Nov 1994
// 08:49:37 GMT", the obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6
// 08:49:37 1994".
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ' || text[i] == ',' || text[i] == '-' || text[i] == ':') {
      if (i > start) parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  std::optional<int> day, year, hour, minute, second;
  std::optional<unsigned> month;
  if (parts.size() == 8 && parts[7] == "GMT") {  // IMF-fixdate or RFC 850
    day = number(parts[1]);
    month = month_of(parts[2]);
    year = number(parts[3]);
    if (year && parts[3].size() == 2) *year += *year < 70 ? 2000 : 1900;
    hour = number(parts[4]);
    minute = number(parts[5]);
    second = number(parts[6]);
  } else if (parts.size() == 7) {  // asctime
    month = month_of(parts[1]);
    day = number(parts[2]);
    hour = number(parts[3]);
    minute = number(parts[4]);
    second = number(parts[5]);
    year = number(parts[6]);
  }
  if (!day || !month || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

}  // namespace

std::chrono::milliseconds RetryPolicy::backoff(int attempt,
                                               std::optional<std::chrono::seconds> retry_after,
                                               std::mt19937_64* rng) const {
  const std::int64_t cap = std::min<std::int64_t>(
      max_delay.count(), base_delay.count() << std::clamp(attempt - 1, 0, 20));
  std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(cap, 1));
  auto delay = std::chrono::milliseconds(jitter(rng ? *rng : thread_rng()));
  if (retry_after) {
    delay = std::min<std::chrono::milliseconds>(
        std::max<std::chrono::milliseconds>(delay, *retry_after), max_delay);
  }
  return delay;
}

// Every 5xx, as the README promises ("429, 5xx and connection faults"). The single-command path
// used to leave out 501 and the batch runner everything but 500, 502, 503 and 504; a 501 or 505
// will not change when asked again, but one rule for both paths costs such an answer only the
// attempts' backoff, and a proxy in front of a portal answers 5xx for passing troubles too.
bool retryable(int status) { return status == 429 || (status >= 500 && status < 600); }

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (all_digits(value)) {
    if (value.size() > 6) return k_longest_retry_after;
    long seconds = 0;
    std::from_chars(value.data(), value.data() + value.size(), seconds);
    return std::chrono::seconds(seconds);
  }
  auto at = parse_http_date(value);
  if (!at) return std::nullopt;
  if (*at <= now) return std::chrono::seconds(0);
  return std::min(std::chrono::ceil<std::chrono::seconds>(*at - now), k_longest_retry_after);
}

std::optional<std::chrono::seconds> retry_after(const http::Response& response,
                                                std::chrono::system_clock::time_point now) {
  return parse_retry_after(response.header("retry-after"), now);
}

bool repeatable(const http::Request& request) {
  if (request.method == "GET") return true;
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [](const auto& h) { return util::iequals(h.first, "idempotency-key"); });
}

Classification classify(const Expected<http::Response>& attempt, const RetryPolicy& policy,
                        bool repeatable) {
  Classification c;
  if (!attempt) {
    // A file that changed or vanished since it was checked, a request that cannot be written:
    // sending again cannot mend it. Anything else is the connection's fault: the request may or
    // may not have reached the portal, and sending it again is what the caller asked for.
    const auto kind = attempt.error().kind;
    c.error = attempt.error();
    c.verdict =
        kind == ErrorKind::input || kind == ErrorKind::usage ? Verdict::final : Verdict::retry;
    return c;
  }
  const int status = attempt->status;
  if (final_status(status) || (status < 400 && status != 401)) return c;  // final, body unread
  c.error = map_error(*attempt);
  if (status == 401) {
    c.verdict = Verdict::auth;
    return c;
  }
  c.retry_after = retry_after(*attempt);
  c.maintenance = c.error.code == "maintenance";
  if (c.maintenance) {
    // The window: the portal did nothing, whatever the request. It is waited out (--wait) or
    // stops the run; retrying within it only adds load until the announced end.
    c.verdict = Verdict::outage;
    return c;
  }
  const bool again =
      retryable(status) || (status == 409 && c.error.code == "idempotency_in_progress");
  if (!again || !repeatable) {
    c.verdict = Verdict::final;
    return c;
  }
  c.verdict = c.retry_after && *c.retry_after > policy.max_delay ? Verdict::outage : Verdict::retry;
  return c;
}

Expected<void> wait_out(OutageWait* wait, const Classification& c) {
  if (!wait || !c.retry_after) return fail(c.error);
  return wait->wait(*c.retry_after, c.maintenance, c.error);
}

}  // namespace portal::api
