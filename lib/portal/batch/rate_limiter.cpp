#include "portal/batch/rate_limiter.hpp"

#include <algorithm>
#include <thread>

namespace portal::batch::detail {

void RateLimiter::acquire() {
  if (m_interval == Clock::duration::zero()) return;
  Clock::time_point slot;
  {
    std::lock_guard lock(m_mutex);
    slot = std::max(m_next, Clock::now() - k_slack);
    m_next = slot + m_interval;
  }
  std::this_thread::sleep_until(slot);
}

bool RateLimiter::try_acquire(Clock::time_point now, Clock::time_point& next) {
  if (m_interval == Clock::duration::zero()) return true;
  std::lock_guard lock(m_mutex);
  const auto slot = std::max(m_next, now - k_slack);
  if (slot > now) {
    next = slot;
    return false;
  }
  m_next = slot + m_interval;
  return true;
}

}  // namespace portal::batch::detail
