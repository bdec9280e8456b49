// --wait: waiting out an outage the portal announces (its Sunday maintenance window, or any 503/429
// with Retry-After) instead of failing, within a bound for the whole run (--max-wait). One wait at
// a time for the whole process: every connection that meets the outage, or sends while it lasts,
// pauses until it is over.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "portal/util/error.hpp"

namespace portal::api {

// What a waiting run may do and how it learns that the portal is back.
struct WaitOptions {
  std::chrono::seconds max_wait{6 * 3600};  // the most the whole run spends waiting, in all
  std::chrono::seconds poll{60};            // how often a maintenance wait asks the portal
  // How much longer the portal says it is down: 0 when it is up again, nullopt when it cannot
  // tell (unreachable). Optional; without it a wait lasts the whole Retry-After.
  std::function<std::optional<std::chrono::seconds>()> probe;
  // True when the run is asked to stop (Ctrl-C): the wait ends with ErrorKind::interrupted.
  std::function<bool()> cancelled;
  // Touches the session every keepalive_every while a wait lasts, so that a wait longer than the
  // portal's idle timeout (30 minutes) does not end it. Optional; a failure is only logged (in the
  // maintenance window the portal refuses it too, and the run logs in again afterwards if it can).
  std::function<void()> keepalive;
  std::chrono::seconds keepalive_every{10 * 60};
};

class OutageWait {
 public:
  explicit OutageWait(WaitOptions options);

  // Waits until the portal may be tried again after an answer `why` that said "come back in
  // `retry_after`" (`maintenance`: the weekly window, whose end the probe can move). A thread
  // that calls while another waits joins that wait. ErrorKind::unavailable at once, without
  // sleeping, when the outage would outlast what is left of max_wait; ErrorKind::interrupted
  // when cancelled.
  Expected<void> wait(std::chrono::seconds retry_after, bool maintenance, const Error& why);

  // Blocks while a wait is in progress, so that no connection sends into a known outage.
  void pass();
  // Whether a wait is in progress (for a caller that must not block: it holds its requests).
  bool waiting() const { return m_waiting.load(); }

  // The time spent waiting so far.
  std::chrono::duration<double> waited() const;

  const WaitOptions& options() const { return m_options; }

 private:
  Expected<void> lead(std::chrono::seconds retry_after, bool maintenance, const Error& why,
                      std::unique_lock<std::mutex>& lock);
  bool cancelled() const { return m_options.cancelled && m_options.cancelled(); }

  WaitOptions m_options;
  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  std::atomic<bool> m_waiting{false};
  std::chrono::steady_clock::duration m_spent{};
  std::optional<Error> m_last_error;  // how the last wait ended, for the threads that joined it
  unsigned long m_generation = 0;
};

// "5 h 15 min", "40 s": a duration as people say it.
std::string describe_duration(std::chrono::seconds d);

// "2026-11-23T00:00:00Z (18:00 local time)": an instant in UTC and in the machine's time zone.
std::string describe_utc_and_local(std::chrono::system_clock::time_point t);

// How much longer a GET /v1/health answer says the portal is down: 0 when it is up, nullopt when
// the answer does not tell.
std::optional<std::chrono::seconds> downtime_left(const boost::json::object& health);

}  // namespace portal::api
