#include "portal/api/outage_wait.hpp"

#include <algorithm>
#include <ctime>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/json/value.hpp>

#include "portal/util/clock.hpp"

namespace portal::api {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string describe_duration(std::chrono::seconds d) {
  auto s = std::max<long long>(0, d.count());
  if (s < 60) return std::to_string(s) + " s";
  long long h = s / 3600, m = (s % 3600 + 59) / 60;
  if (m == 60) {
    ++h;
    m = 0;
  }
  if (h == 0) return std::to_string(m) + " min";
  return std::to_string(h) + " h" + (m ? " " + std::to_string(m) + " min" : std::string());
}

std::string describe_utc_and_local(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  std::time_t tt = static_cast<std::time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S %Z", &tm);
  return format_iso8601(SysTime(secs.time_since_epoch())) + " (" + buf + " local time)";
}

OutageWait::OutageWait(WaitOptions options) : m_options(std::move(options)) {
  if (m_options.poll < 1s) m_options.poll = 1s;
}

std::chrono::duration<double> OutageWait::waited() const {
  std::lock_guard lock(m_mutex);
  return m_spent;
}

void OutageWait::pass() {
  if (!m_waiting.load()) return;
  std::unique_lock lock(m_mutex);
  while (m_waiting.load() && !cancelled()) m_cv.wait_for(lock, 100ms);
}

Expected<void> OutageWait::wait(std::chrono::seconds retry_after, bool maintenance,
                                const Error& why) {
  // A portal that says "again in 0 s" for ever must still spend the bound, not spin.
  retry_after = std::max(retry_after, std::chrono::seconds{1});
  std::unique_lock lock(m_mutex);
  if (m_waiting.load()) {
    // Another connection met the same outage first: wait with it and share its outcome.
    auto generation = m_generation;
    while (m_waiting.load() && m_generation == generation && !cancelled()) {
      m_cv.wait_for(lock, 100ms);
    }
    if (cancelled())
      return fail(ErrorKind::interrupted, "interrupted while waiting for the portal");
    if (m_last_error) return fail(*m_last_error);
    return {};
  }
  auto result = lead(retry_after, maintenance, why, lock);
  m_last_error = result ? std::nullopt : std::optional<Error>(result.error());
  ++m_generation;
  m_waiting = false;
  m_cv.notify_all();
  return result;
}

Expected<void> OutageWait::lead(std::chrono::seconds retry_after, bool maintenance,
                                const Error& why, std::unique_lock<std::mutex>& lock) {
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(m_options.max_wait - m_spent);
  auto beyond = [&](std::chrono::seconds down_for) {
    auto back = std::chrono::system_clock::now() + down_for;
    Error e = why;
    e.kind = ErrorKind::unavailable;
    e.message += "; the portal says it is back in " + describe_duration(down_for) +
                 ", beyond what --max-wait " + describe_duration(m_options.max_wait) + " leaves (" +
                 describe_duration(std::max(left, 0s)) + ")";
    e.hint = "try again after " + describe_utc_and_local(back) +
             ", or allow a longer wait with --max-wait";
    return e;
  };
  if (retry_after > left) return fail(beyond(retry_after));

  m_waiting = true;
  const auto started = Steady::now();
  auto until = started + retry_after;
  spdlog::warn("{}; waiting (--wait) until {}, {} from now ({} of --max-wait left)", why.message,
               describe_utc_and_local(std::chrono::system_clock::now() + retry_after),
               describe_duration(retry_after), describe_duration(left));
  lock.unlock();
  Expected<void> result;
  auto next_probe = started + m_options.poll;
  const auto keepalive_every = std::max<std::chrono::seconds>(m_options.keepalive_every, 1s);
  auto next_keepalive = started + keepalive_every;
  while (true) {
    if (cancelled()) {
      result = fail(ErrorKind::interrupted, "interrupted while waiting for the portal");
      break;
    }
    auto now = Steady::now();
    if (now >= until) break;
    if (m_options.keepalive && now >= next_keepalive) {
      next_keepalive = now + keepalive_every;
      m_options.keepalive();
    }
    if (maintenance && m_options.probe && now >= next_probe) {
      next_probe = now + m_options.poll;
      auto down = m_options.probe();
      if (down && down->count() == 0) {
        spdlog::warn("the portal is back; going on");
        break;
      }
      if (down) {
        auto spent_here = std::chrono::duration_cast<std::chrono::seconds>(now - started);
        if (*down > left - spent_here) {
          result = fail(beyond(*down));
          break;
        }
        auto moved = now + *down;
        if (moved > until + 60s || moved + 60s < until) {
          spdlog::warn("the portal now says it is back at {}; waiting until then",
                       describe_utc_and_local(std::chrono::system_clock::now() + *down));
        }
        until = moved;
      }
    }
    std::this_thread::sleep_for(std::min<Steady::duration>(100ms, until - now));
  }
  lock.lock();
  m_spent += Steady::now() - started;
  return result;
}

std::optional<std::chrono::seconds> downtime_left(const boost::json::object& health) {
  const auto* m = health.if_contains("maintenance");
  if (!m || !m->is_object()) return std::chrono::seconds{0};
  const auto* active = m->get_object().if_contains("active");
  if (!active || !active->is_bool() || !active->get_bool()) return std::chrono::seconds{0};
  const auto* end = m->get_object().if_contains("window_end");
  const auto* now = health.if_contains("time");
  if (!end || !end->is_string() || !now || !now->is_string()) return std::nullopt;
  auto e = parse_iso8601(end->get_string());
  auto n = parse_iso8601(now->get_string());
  if (!e || !n) return std::nullopt;
  return std::max(std::chrono::seconds{1}, *e - *n);
}

}  // namespace portal::api
