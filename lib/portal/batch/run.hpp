// The run of one batch (private to the batch runner): the main thread's window and results
// (run.cpp), the lanes thread and its retry workers (lanes.cpp), and the delivery of a row's
// requests with retries (delivery.cpp).
#pragma once
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "portal/api/retry.hpp"
#include "portal/batch/journal.hpp"
#include "portal/batch/rate_limiter.hpp"
#include "portal/batch/runner.hpp"
#include "portal/batch/window.hpp"

namespace portal::batch::detail {

namespace fs = std::filesystem;

// One run of a batch: reads rows, sends them over lanes or workers, writes results in input order
// and journals them. Made and executed once by run_batch().
class Run {
 public:
  Run(const Operation& op, const Transport& transport, const RunOptions& options, std::ostream& err)
      : m_op(op),
        m_transport(transport),
        m_options(options),
        m_err(err),
        m_retry{options.max_attempts, options.base_delay, options.max_delay},
        m_rate(options.rate),
        m_token(transport.token) {}
  ~Run() {
    if (m_epoll_fd >= 0) ::close(m_epoll_fd);
    if (m_wake_fd >= 0) ::close(m_wake_fd);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  Expected<Summary> execute(RecordReader& reader, std::ostream& results_out);

  // Keeps `finish` to run once when the last row was handed over (wire::Exchange::at_run_end);
  // a second call for the same `owner` is ignored. Thread-safe (called from the workers).
  void at_end(const void* owner, std::function<Expected<void>()> finish);

  // What deliver() came to: a final answer, or none (`problem` says why; `stopped` when the
  // run is stopping and the row must stay unfinished).
  struct Delivery {
    std::optional<http::Response> response;
    std::string problem;
    bool stopped = false;
  };
  // An attempt already made (by the lanes, see Lane): its answer or fault, and the session
  // token it went with. deliver() goes on from it as from its own first attempt.
  struct FirstAttempt {
    Expected<http::Response> answer;
    std::string token;
  };
  // `request` goes back as it came (the session header it is sent with is taken off again).
  Delivery deliver(std::size_t line, std::unique_ptr<http::Client>& client, http::Request& request,
                   const fs::path* file, const std::string& content_type,
                   FirstAttempt* first = nullptr);
  // deliver(), and the observer told how the request ended.
  Delivery observed(const Slot& slot, std::unique_ptr<http::Client>& client, http::Request& request,
                    const fs::path* file, const std::string& content_type,
                    FirstAttempt* first = nullptr);

  // One of the --concurrency connections of a run whose rows are one request each. The lanes
  // thread sends a row's first attempt and reads its answer without blocking on it, so one thread
  // keeps every connection busy (one poll(2) for all of them, not a thread woken per answer);
  // a final answer settles the row there, anything else (a fault, 5xx, 429, 401, 409) goes with
  // the lane to a retry worker, which runs deliver() from it, and the lane waits till it is back.
  struct Lane {
    std::unique_ptr<http::Client> client;
    Slot* slot = nullptr;
    http::Request request;
    std::optional<FirstAttempt> first;
    Clock::time_point sent_at{};
    std::chrono::duration<double> elapsed{};
    std::atomic<bool> retrying{false};
    int watched_fd = -1;  // the socket in the lanes' epoll set (lanes thread only)
  };

 private:
  void worker();
  void send(Slot& slot, std::unique_ptr<http::Client>& client);
  http::Request request_for(const Slot& slot) const;
  void settle(Slot& slot, Delivery d);
  // Marks the row done, waking the main thread when it waits for this row.
  void mark_done(Slot* slot) {
    slot->done.store(true);
    if (m_awaited.load() == slot) {
      std::lock_guard lock(m_mutex);  // the main thread is in wait_for_row or about to be
      m_done_cv.notify_one();
    }
  }
  // The lanes (see Lane) and the retry workers behind them.
  void lanes_thread(Lane* lanes, std::size_t count);
  void start_row(Lane& lane, Slot* slot);
  // Client::poll_answer on the lane's row; an answer (or fault) goes on to answered().
  void read_answer(Lane& lane, bool readable);
  void answered(Lane& lane, Expected<http::Response> answer);
  void retry_worker();
  void wake_lanes();
  void watch(Lane& lane, int fd);  // lanes thread only; -1: none
  void finish(Slot& slot);
  void set_fatal(Error e);
  // Runs the at_end() finishers, in the order they came; an error stops the run (fatal).
  void run_finishers();
  // The session token requests go with now, and its replacement after a 401 (Transport::renew).
  std::string current_token();
  Expected<bool> renew_token(const std::string& rejected);
  Expected<void> open_journal();
  // Commits the rows recorded so far, after the observer wrote what it held back for them.
  void commit_journal() {
    if (m_options.observer) m_options.observer->flush();
    m_journal->flush();
  }
  void draw_progress(bool final);

  const Operation& m_op;
  const Transport& m_transport;
  const RunOptions& m_options;
  std::ostream& m_err;
  api::RetryPolicy m_retry;  // RunOptions' attempts and delays
  RateLimiter m_rate;
  std::unique_ptr<Journal> m_journal;
  bool m_resuming = false;  // the journal holds rows of an earlier run of this batch
  std::mutex m_token_mutex;
  std::string m_token;

  std::mutex m_mutex;
  std::condition_variable m_work_cv;  // workers wait for rows
  std::condition_variable m_done_cv;  // the main thread waits for the row at the head
  // The row the main thread waits for, if it does: only its worker wakes it, so the main thread
  // wakes once for a run of finished rows instead of once per row.
  std::atomic<const Slot*> m_awaited{nullptr};
  std::deque<Slot*> m_queue;
  bool m_closing = false;
  // Lanes: the retry queue, and an eventfd that wakes the lanes thread out of poll(2) (a lane
  // back from a retry worker, rows queued while it waited with idle lanes).
  std::mutex m_retry_mutex;
  std::condition_variable m_retry_cv;
  std::deque<Lane*> m_retries;
  bool m_retries_closing = false;
  int m_wake_fd = -1;
  int m_epoll_fd = -1;  // the lanes' sockets and m_wake_fd
  std::atomic<bool> m_lanes_idle{false};
  std::atomic<bool> m_halt{false};  // stop sending: fatal answer, --fail-fast or a signal
  std::optional<Error> m_fatal;
  std::atomic<std::size_t> m_retried{0};
  std::mutex m_finish_mutex;
  std::vector<std::pair<const void*, std::function<Expected<void>()>>> m_finishers;
  Summary m_summary;
  Clock::time_point m_started;
  Clock::time_point m_last_progress{};
};

}  // namespace portal::batch::detail
