// The lanes: one thread keeps every connection of a run of one-request rows busy, and N retry
// workers take over a lane whose first attempt had no final answer (see Run::Lane).
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "portal/api/outage_wait.hpp"
#include "portal/api/retry.hpp"
#include "portal/batch/run.hpp"

namespace portal::batch::detail {

using namespace std::chrono_literals;

void Run::wake_lanes() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(m_wake_fd, &one, sizeof one);
}

// The sockets of the lanes waiting for an answer are in one epoll set (level-triggered), so a
// wait costs the same however many connections there are. A lane's socket joins the set when the
// lane first waits on it (again after a reconnection) and leaves it while a retry worker has the
// lane, or when it stirs while the lane has no row (a server closing an idle connection);
// otherwise it stays, with no system call per row.
void Run::watch(Lane& lane, int fd) {
  if (lane.watched_fd >= 0) ::epoll_ctl(m_epoll_fd, EPOLL_CTL_DEL, lane.watched_fd, nullptr);
  lane.watched_fd = -1;
  if (fd < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &lane;
  if (::epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
      (errno != EEXIST || ::epoll_ctl(m_epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0)) {
    // Not watched, the answer is not read: its request times out and is retried.
    spdlog::debug("epoll_ctl: {}", std::strerror(errno));
    return;
  }
  lane.watched_fd = fd;
}

void Run::lanes_thread(Lane* lanes, std::size_t count) {
  std::array<epoll_event, 64> events{};
  auto last_deadline_check = Clock::now();
  while (true) {
    bool busy = false;
    bool queue_empty = false;
    // Neither --rate nor an outage --wait waits out may block this thread (the answers in flight
    // would be read late): a row that may not go yet stays queued, and the thread waits for
    // answers until `hold`, when it may.
    std::optional<Clock::time_point> hold;
    for (std::size_t i = 0; i < count; ++i) {
      Lane& lane = lanes[i];
      if (lane.retrying.load() || lane.slot) {
        busy = true;
        continue;
      }
      if (queue_empty || hold) continue;
      Slot* slot = nullptr;
      {
        std::lock_guard lock(m_mutex);
        if (!m_queue.empty()) {
          const auto now = Clock::now();
          Clock::time_point next;
          if (m_halt.load() || stop_flag().load()) {
            // Taken at once, to be left unfinished below.
          } else if (m_options.outage && m_options.outage->waiting()) {
            hold = now + 100ms;
          } else if (!m_rate.try_acquire(now, next)) {
            hold = next;
          }
          if (!hold) {
            slot = m_queue.front();
            m_queue.pop_front();
          }
        }
      }
      if (hold) continue;
      if (!slot) {
        queue_empty = true;
        m_lanes_idle.store(true);  // the main thread wakes us when it queues a row
        continue;
      }
      if (m_halt.load() || stop_flag().load()) {
        mark_done(slot);  // stays unfinished
        continue;
      }
      start_row(lane, slot);
      busy = busy || lane.slot || lane.retrying.load();
    }
    if (!busy && !hold) {
      std::unique_lock lock(m_mutex);
      if (m_queue.empty()) {
        if (m_closing) return;
        m_work_cv.wait_for(lock, 200ms, [&] { return !m_queue.empty() || m_closing; });
      }
      continue;
    }
    for (std::size_t i = 0; i < count; ++i) {
      Lane& lane = lanes[i];
      if (lane.retrying.load() || !lane.slot) continue;  // a retry worker may be using the lane
      if (int fd = lane.client->wait_fd(); fd != lane.watched_fd) watch(lane, fd);
    }
    // Bounded, so that answers overdue are noticed (poll_answer(false) times them out).
    auto wait = std::chrono::milliseconds(200);
    if (hold)
      wait =
          std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*hold - Clock::now()), 0ms, wait);
    int ready = ::epoll_wait(m_epoll_fd, events.data(), static_cast<int>(events.size()),
                             static_cast<int>(wait.count()));
    if (ready < 0) {
      if (errno != EINTR) spdlog::debug("epoll_wait: {}", std::strerror(errno));
      ready = 0;
    }
    for (int i = 0; i < ready; ++i) {
      auto* lane = static_cast<Lane*>(events[i].data.ptr);
      if (!lane) {
        std::uint64_t count_read = 0;
        [[maybe_unused]] auto n = ::read(m_wake_fd, &count_read, sizeof count_read);
        continue;
      }
      if (!lane->slot || lane->retrying.load()) {
        watch(*lane, -1);  // nothing is awaited on it: the next row's start finds out what it was
        continue;
      }
      read_answer(*lane, true);
    }
    // Deadlines: poll_answer(false) times out an answer overdue.
    auto now = Clock::now();
    if (ready > 0 && now - last_deadline_check < 100ms) continue;
    last_deadline_check = now;
    for (std::size_t i = 0; i < count; ++i) {
      Lane& lane = lanes[i];
      if (lane.retrying.load() || !lane.slot) continue;
      read_answer(lane, false);
    }
  }
}

void Run::read_answer(Lane& lane, bool readable) {
  auto answer = lane.client->poll_answer(readable);
  if (!answer) return;
  lane.elapsed = Clock::now() - lane.sent_at;
  answered(lane, std::move(*answer));
}

void Run::start_row(Lane& lane, Slot* slot) {
  lane.slot = slot;
  lane.request = request_for(*slot);
  if (!lane.client) {
    auto made = m_transport.connect();
    if (!made) {
      set_fatal(made.error());
      lane.slot = nullptr;
      mark_done(slot);  // stays unfinished
      return;
    }
    lane.client = std::move(*made);
  }
  std::string token = current_token();       // (the rate and an outage were passed in lanes_thread)
  const bool with_session = !token.empty();  // a wire without sessions sends none
  if (with_session) lane.request.headers.emplace_back("Authorization", "Bearer " + token);
  lane.sent_at = Clock::now();
  auto started = lane.client->start(lane.request);
  if (with_session) lane.request.headers.pop_back();
  lane.first.emplace(
      FirstAttempt{tl::unexpected<Error>(Error(ErrorKind::internal, "")), std::move(token)});
  if (!started) {
    lane.elapsed = Clock::now() - lane.sent_at;
    answered(lane, fail(started.error()));
  }
}

void Run::answered(Lane& lane, Expected<http::Response> answer) {
  const int status = answer ? answer->status : 0;
  // Final answers settle here; deliver() (on a retry worker) sorts out everything else.
  // (A 2xx that says "not now", an X12 AAA 42, is not final: the retry worker backs off.)
  const bool final = api::final_status(status) &&
                     !(m_op.transient && status >= 200 && status < 300 && m_op.transient(*answer));
  lane.first->answer = std::move(answer);
  // The socket leaves the epoll set when a retry worker takes the lane (its reads are its own),
  // and as soon as it was closed (before its number can be another lane's, registered anew).
  if (!final || lane.client->wait_fd() != lane.watched_fd) watch(lane, -1);
  if (!final) {
    lane.retrying.store(true);
    {
      std::lock_guard lock(m_retry_mutex);
      m_retries.push_back(&lane);
    }
    m_retry_cv.notify_one();
    return;
  }
  const http::Response* response = &*lane.first->answer;
  if (m_options.observer) m_options.observer->exchange({lane.request, response, lane.elapsed});
  settle(*lane.slot, observed(*lane.slot, lane.client, lane.request, nullptr, {}, &*lane.first));
  Slot* slot = lane.slot;
  lane.slot = nullptr;
  lane.first.reset();
  mark_done(slot);
}

void Run::retry_worker() {
  while (true) {
    Lane* lane = nullptr;
    {
      std::unique_lock lock(m_retry_mutex);
      m_retry_cv.wait(lock, [&] { return !m_retries.empty() || m_retries_closing; });
      if (m_retries.empty()) return;
      lane = m_retries.front();
      m_retries.pop_front();
    }
    // The observer hears of the first attempt on the thread that reports the request.
    if (m_options.observer) {
      const auto& a = lane->first->answer;
      m_options.observer->exchange({lane->request, a ? &*a : nullptr, lane->elapsed});
    }
    settle(*lane->slot,
           observed(*lane->slot, lane->client, lane->request, nullptr, {}, &*lane->first));
    Slot* slot = lane->slot;
    lane->slot = nullptr;
    lane->first.reset();
    lane->retrying.store(false);
    mark_done(slot);
    wake_lanes();
  }
}

}  // namespace portal::batch::detail
