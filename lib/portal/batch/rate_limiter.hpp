// Spacing of requests at --rate across every connection of a run (private to the batch runner).
#pragma once
#include <chrono>
#include <mutex>

namespace portal::batch::detail {

using Clock = std::chrono::steady_clock;

// Spaces requests evenly at `rate` per second across every worker.
class RateLimiter {
 public:
  explicit RateLimiter(double rate)
      : m_interval(rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(1.0 / rate))
                            : Clock::duration::zero()) {}
  // Blocks until the next request may go.
  void acquire();
  // Whether the next request may go now (its turn is then taken); if not, `next` is when.
  bool try_acquire(Clock::time_point now, Clock::time_point& next);

 private:
  // A turn missed by less than this (a timer's granularity, a busy thread) is made up, so the
  // rate holds on average; an idle spell earns no more than this in advance.
  static constexpr Clock::duration k_slack = std::chrono::milliseconds(5);
  Clock::duration m_interval;
  std::mutex m_mutex;
  Clock::time_point m_next{};
};

}  // namespace portal::batch::detail
