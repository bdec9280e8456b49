// The one retry policy (api/retry.hpp): backoff with full jitter, Retry-After, and which answers
// and faults are tried again.
#include "portal/api/retry.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "portal/api/outage_wait.hpp"

using namespace portal;
using namespace std::chrono_literals;
using api::Verdict;

namespace {

http::Response answer(int status, std::string body = {}, std::string retry_after = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  if (!retry_after.empty()) r.headers.emplace_back("Retry-After", std::move(retry_after));
  return r;
}

api::Classification classify(const http::Response& r, bool repeatable = true) {
  return api::classify(Expected<http::Response>(r), api::RetryPolicy{}, repeatable);
}

}  // namespace

TEST(RetryBackoff, FullJitterSpansZeroToTheCap) {
  api::RetryPolicy p{5, 250ms, 30'000ms};
  std::mt19937_64 rng(42);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    const auto cap = std::min(30'000ms, 250ms * (1 << (attempt - 1)));
    auto lo = cap, hi = 0ms;
    for (int i = 0; i < 2000; ++i) {
      auto d = p.backoff(attempt, std::nullopt, &rng);
      ASSERT_GE(d, 0ms);
      ASSERT_LE(d, cap);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter, not "equal jitter" ([cap/2, cap]): the draws reach down near zero.
    EXPECT_LT(lo, cap / 4) << "attempt " << attempt;
    EXPECT_GT(hi, cap * 3 / 4) << "attempt " << attempt;
  }
}

TEST(RetryBackoff, TheCapIsMaxDelayAndRetryAfterIsAFloorWithinIt) {
  api::RetryPolicy p{5, 250ms, 1'000ms};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) ASSERT_LE(p.backoff(30, std::nullopt, &rng), 1'000ms);
  for (int i = 0; i < 200; ++i) {
    auto d = p.backoff(1, 1s, &rng);
    ASSERT_EQ(d, 1'000ms);  // Retry-After: 1 beats any jitter of a 250 ms cap
  }
  EXPECT_EQ(p.backoff(1, 5s, &rng), 1'000ms) << "never beyond max_delay";
}

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(api::parse_retry_after("0"), 0s);
  EXPECT_EQ(api::parse_retry_after("120"), 120s);
  EXPECT_EQ(api::parse_retry_after(" 7 "), 7s);
  EXPECT_EQ(api::parse_retry_after("99999999999999999999"), 999'999s) << "long, not unreadable";
  EXPECT_FALSE(api::parse_retry_after(""));
  EXPECT_FALSE(api::parse_retry_after("-1"));
  EXPECT_FALSE(api::parse_retry_after("1.5"));
  EXPECT_FALSE(api::parse_retry_after("soon"));
}

TEST(RetryAfter, HttpDateInItsThreeForms) {
  // 1994-11-06T08:49:37Z, less 90 s.
  const auto now = std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + 8h + 48min + 7s;
  EXPECT_EQ(api::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 90s);
  EXPECT_EQ(api::parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), 90s);
  EXPECT_EQ(api::parse_retry_after("Sun Nov  6 08:49:37 1994", now), 90s);
  EXPECT_EQ(api::parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0s) << "in the past";
  EXPECT_FALSE(api::parse_retry_after("Sun, 31 Feb 1994 08:49:37 GMT", now));
  EXPECT_FALSE(api::parse_retry_after("Sun, 06 Nov 1994 08:49:37 CET", now));
  http::Response r = answer(503, {}, "Sun, 06 Nov 1994 08:50:07 GMT");
  EXPECT_EQ(api::retry_after(r, now), 120s);
}

TEST(RetryClassify, TheRetryableAnswers) {
  EXPECT_TRUE(api::retryable(429));
  for (int s : {500, 501, 502, 503, 504, 505, 599}) EXPECT_TRUE(api::retryable(s)) << s;
  for (int s : {200, 301, 400, 401, 404, 409, 422, 600}) EXPECT_FALSE(api::retryable(s)) << s;

  EXPECT_EQ(classify(answer(200)).verdict, Verdict::final);
  EXPECT_EQ(classify(answer(404, R"({"error":{"code":"not_found"}})")).verdict, Verdict::final);
  EXPECT_EQ(classify(answer(503, R"({"error":{"code":"unavailable"}})")).verdict, Verdict::retry);
  EXPECT_EQ(classify(answer(500)).verdict, Verdict::retry);
  auto busy = classify(answer(429, R"({"error":{"code":"rate_limited"}})", "2"));
  EXPECT_EQ(busy.verdict, Verdict::retry);
  EXPECT_EQ(busy.retry_after, 2s);
  EXPECT_EQ(busy.error.code, "rate_limited");
  EXPECT_EQ(classify(answer(409, R"({"error":{"code":"idempotency_in_progress"}})", "1")).verdict,
            Verdict::retry);
  EXPECT_EQ(classify(answer(409, R"({"error":{"code":"idempotency_conflict"}})")).verdict,
            Verdict::final);
  EXPECT_EQ(classify(answer(401, R"({"error":{"code":"session_invalid"}})")).verdict,
            Verdict::auth);
}

TEST(RetryClassify, OnlyRequestsSafeToRepeatAreSentAgainAfterAnAnswer) {
  EXPECT_EQ(classify(answer(503, R"({"error":{"code":"unavailable"}})"), false).verdict,
            Verdict::final);
  http::Request get{"GET", "/v1/profile", {}, ""};
  http::Request post{"POST", "/v1/eligibility", {}, "{}"};
  EXPECT_TRUE(api::repeatable(get));
  EXPECT_FALSE(api::repeatable(post));
  post.headers.emplace_back("Idempotency-Key", "k");
  EXPECT_TRUE(api::repeatable(post));
}

TEST(RetryClassify, AnnouncedOutages) {
  // A Retry-After beyond max_delay (10 s by default) is an outage, a short one a retry.
  auto longer = classify(answer(503, R"({"error":{"code":"unavailable"}})", "60"));
  EXPECT_EQ(longer.verdict, Verdict::outage);
  EXPECT_FALSE(longer.maintenance);
  EXPECT_EQ(classify(answer(503, R"({"error":{"code":"unavailable"}})", "10")).verdict,
            Verdict::retry);
  // The maintenance window, however short what is left of it, and whatever the request.
  auto window = classify(answer(503, R"({"error":{"code":"maintenance"}})", "5"), false);
  EXPECT_EQ(window.verdict, Verdict::outage);
  EXPECT_TRUE(window.maintenance);
  EXPECT_EQ(window.retry_after, 5s);
}

TEST(RetryClassify, Faults) {
  auto reset = api::classify(fail(ErrorKind::unavailable, "connection reset"), {}, false);
  EXPECT_EQ(reset.verdict, Verdict::retry) << "a connection fault, whatever the request";
  EXPECT_EQ(reset.error.message, "connection reset");
  EXPECT_EQ(api::classify(fail(ErrorKind::input, "the file changed"), {}, true).verdict,
            Verdict::final);
  EXPECT_EQ(api::classify(fail(ErrorKind::usage, "bad target"), {}, true).verdict, Verdict::final);
}

TEST(RetryWaitOut, WithoutAWaitTheOutageIsTheError) {
  auto c = classify(answer(503, R"({"error":{"code":"maintenance"}})", "3600"));
  auto r = api::wait_out(nullptr, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "maintenance");

  api::WaitOptions wo;
  wo.max_wait = 1s;
  api::OutageWait wait(wo);
  r = api::wait_out(&wait, c);  // beyond the bound: at once, without sleeping
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
}
