#include "portal/batch/runner.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/api/outage_wait.hpp"
#include "portal/api/portal_api.hpp"
#include "portal/batch/journal.hpp"
#include "portal/output/output.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "portal/wire/portal_json/portal_json.hpp"

namespace portal::batch {

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {

// ---------------------------------------------------------------------------------------------
// One row on its way through the run. The main thread owns the window of rows; a worker fills
// in the result of the row it was given and marks it done (the release that publishes the
// result to the main thread, which reads `done` without a lock).
struct Slot {
  std::size_t index = 0;
  std::size_t line = 0;
  std::string ref;
  std::string key;
  json::object record;
  // The memory of the row's answer and result line: the thread that settles the row parses the
  // answer into it and the main thread builds the line from it, so an answer costs no heap
  // allocations, nor frees of one thread's memory by another.
  alignas(std::max_align_t) unsigned char memory_buffer[8192];
  json::monotonic_resource memory{memory_buffer, sizeof memory_buffer};
  RowResult result{.answer = json::object(&memory)};
  // A 2xx answer's body as the portal spelled it, when it is one line and `result.answer` is it
  // parsed (Operation::answer_verbatim): the result line splices it in.
  json::string answer_text{&memory};
  std::string result_json;  // set for rows taken from the journal
  std::atomic<bool> done{false};
  bool journal = false;  // a final answer that goes into the journal

  // Readies a slot an earlier row used for the next one: every field as new, the arena empty.
  void reset() {
    index = 0;
    line = 0;
    ref.clear();
    key.clear();
    record = json::object();
    // Fresh values in the arena first (the old ones let go of it), then the arena is emptied.
    result = RowResult{.answer = json::object(&memory)};
    answer_text = json::string(&memory);
    memory.release();
    result_json.clear();
    done.store(false);
    journal = false;
  }
};

// The window of rows in input order: a ring of slots made once and reused row after row (a slot
// is large, for its arena: made and zeroed per row, it cost a dry run 40 % of its speed).
class Window {
 public:
  explicit Window(std::size_t capacity) : m_slots(new Slot[capacity]), m_capacity(capacity) {}
  bool empty() const { return m_size == 0; }
  std::size_t size() const { return m_size; }
  Slot& operator[](std::size_t i) { return m_slots[(m_head + i) % m_capacity]; }
  Slot& front() { return (*this)[0]; }
  Slot& back() { return (*this)[m_size - 1]; }
  // The next row's slot, reset; the caller makes room first (size() < capacity).
  Slot& emplace_back() {
    Slot& slot = (*this)[m_size++];
    slot.reset();
    return slot;
  }
  void pop_front() {
    m_head = (m_head + 1) % m_capacity;
    --m_size;
  }
  void pop_back() { --m_size; }

 private:
  std::unique_ptr<Slot[]> m_slots;
  std::size_t m_capacity;
  std::size_t m_head = 0;
  std::size_t m_size = 0;
};

std::string ref_of(const json::object& record) {
  if (const auto* r = record.if_contains("ref"); r && r->is_string())
    return std::string(r->get_string());
  return {};
}

const json::value* at_path(const json::object& object, std::string_view path) {
  const json::object* node = &object;
  while (true) {
    auto dot = path.find('.');
    const json::value* v = node->if_contains(path.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    node = &v->get_object();
    path = path.substr(dot + 1);
  }
}

std::string cell_text(const json::value* v) {
  if (!v || v->is_null()) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  if (v->is_array()) {
    std::string out;
    for (const auto& e : v->get_array()) out += (out.empty() ? "" : ";") + cell_text(&e);
    return out;
  }
  return json::serialize(*v);
}

// The row's result line, in the row's memory; the answer moves into it (and out of the slot),
// unless `with_answer` is false (the caller splices the answer's text in).
json::object result_object(Slot& s, bool with_answer = true) {
  json::object r(&s.memory);
  r.reserve(8);  // every key below: no regrowth
  // emplace: each key is new, and its value is made in the object's memory at once.
  r.emplace("line", s.line);
  if (s.ref.empty())
    r.emplace("ref", nullptr);
  else
    r.emplace("ref", s.ref);
  r.emplace("outcome", s.result.outcome);
  if (s.result.http_status) r.emplace("http_status", s.result.http_status);
  if (!s.result.code.empty()) r.emplace("code", s.result.code);
  if (!s.result.message.empty()) r.emplace("message", s.result.message);
  if (!s.result.errors.empty()) {
    json::array errors(r.storage());
    for (const auto& e : s.result.errors)
      errors.push_back({{"field", e.field}, {"message", e.message}});
    r.emplace("errors", std::move(errors));
  }
  if (with_answer && !s.result.answer.empty()) r.emplace("answer", std::move(s.result.answer));
  if (s.result.replayed) r.emplace("replayed", true);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Results: one line per row, in input order, to a file written aside and renamed at the end
// (so the next system never reads half a file) or to stdout.
class ResultsSink {
 public:
  ResultsSink(const Operation& op, const RunOptions& options, std::ostream& fallback)
      : m_columns(op.result_columns), m_path(options.results), m_out(&fallback) {
    m_csv = m_path.empty() ? options.results_csv : m_path.extension() == ".csv";
  }

  Expected<void> open() {
    if (!m_path.empty()) {
      auto ext = m_path.extension().string();
      if (ext != ".csv" && ext != ".jsonl" && ext != ".ndjson") {
        return fail(ErrorKind::usage,
                    "--results " + m_path.string() + ": the name must end in .csv or .jsonl",
                    "the extension chooses the format of the results");
      }
      m_part = m_path;
      m_part += ".part";
      m_file.rdbuf()->pubsetbuf(m_file_buffer.get(), k_file_buffer);  // fewer, larger writes
      m_file.open(m_part, std::ios::binary | std::ios::trunc);
      if (!m_file) {
        return fail(ErrorKind::usage, "cannot write the results file " + m_part.string(),
                    "check that its directory exists and is writable");
      }
      m_out = &m_file;
    }
    if (m_csv) {
      std::string header = "line,ref,outcome,http_status,code,message,errors";
      for (const auto& c : m_columns) header += "," + output::csv_cell(c);
      *m_out << header << '\n';
    }
    return {};
  }

  bool csv() const { return m_csv; }

  // Writes the result `r`; `text`, when given, is `r` serialized already (JSON Lines use it).
  void write(const json::object& r, const std::string* text = nullptr) {
    if (!m_csv && text) {
      m_out->write(text->data(), static_cast<std::streamsize>(text->size()));
      m_out->put('\n');
      return;
    }
    if (!m_csv) {
      m_serializer.reset(&r);
      while (!m_serializer.done()) {
        auto text = m_serializer.read(m_text, sizeof m_text);
        m_out->write(text.data(), static_cast<std::streamsize>(text.size()));
      }
      m_out->put('\n');
      return;
    }
    std::string line;
    auto add = [&](std::string_view text) {
      if (!line.empty() || m_first_added) line += ',';
      m_first_added = true;
      line += output::csv_cell(text);
    };
    m_first_added = false;
    for (const char* k : {"line", "ref", "outcome", "http_status", "code", "message"})
      add(cell_text(r.if_contains(k)));
    std::string errors;
    if (const auto* e = r.if_contains("errors"); e && e->is_array()) {
      for (const auto& fe : e->get_array()) {
        errors += (errors.empty() ? "" : "; ") + cell_text(fe.get_object().if_contains("field")) +
                  ": " + cell_text(fe.get_object().if_contains("message"));
      }
    }
    add(errors);
    const auto* answer = r.if_contains("answer");
    for (const auto& c : m_columns) {
      add(answer && answer->is_object() ? cell_text(at_path(answer->get_object(), c))
                                        : std::string());
    }
    *m_out << line << '\n';
  }

  // Makes the results file visible under its name (only when the run wrote every row).
  Expected<void> commit() {
    m_out->flush();
    if (m_path.empty()) return {};
    m_file.close();
    std::error_code ec;
    fs::rename(m_part, m_path, ec);
    if (ec)
      return fail(ErrorKind::internal, "cannot rename " + m_part.string() + ": " + ec.message());
    return {};
  }

  // A run that stopped early leaves no results file: --resume writes the whole one.
  void abandon() {
    if (m_path.empty()) {
      m_out->flush();
      return;
    }
    m_file.close();
    std::error_code ec;
    fs::remove(m_part, ec);
  }

 private:
  std::vector<std::string> m_columns;
  fs::path m_path;
  fs::path m_part;
  static constexpr std::size_t k_file_buffer = 256 * 1024;
  std::unique_ptr<char[]> m_file_buffer{new char[k_file_buffer]};
  std::ofstream m_file;
  std::ostream* m_out;
  json::serializer m_serializer;
  char m_text[4096];
  bool m_csv = false;
  bool m_first_added = false;
};

// ---------------------------------------------------------------------------------------------
// Spaces requests evenly at `rate` per second across every worker.
class RateLimiter {
 public:
  explicit RateLimiter(double rate)
      : m_interval(rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(1.0 / rate))
                            : Clock::duration::zero()) {}
  // Blocks until the next request may go.
  void acquire() {
    if (m_interval == Clock::duration::zero()) return;
    Clock::time_point slot;
    {
      std::lock_guard lock(m_mutex);
      slot = std::max(m_next, Clock::now() - k_slack);
      m_next = slot + m_interval;
    }
    std::this_thread::sleep_until(slot);
  }
  // Whether the next request may go now (its turn is then taken); if not, `next` is when.
  bool try_acquire(Clock::time_point now, Clock::time_point& next) {
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

 private:
  // A turn missed by less than this (a timer's granularity, a busy thread) is made up, so the
  // rate holds on average; an idle spell earns no more than this in advance.
  static constexpr Clock::duration k_slack = std::chrono::milliseconds(5);
  Clock::duration m_interval;
  std::mutex m_mutex;
  Clock::time_point m_next{};
};

// Sleeps up to `d`, waking early when the run is asked to stop.
void interruptible_sleep(std::chrono::milliseconds d) {
  auto until = Clock::now() + d;
  while (!stop_flag().load() && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(50ms, until - Clock::now()));
  }
}

std::optional<std::chrono::milliseconds> retry_after(const http::Response& r) {
  auto text = r.header("retry-after");
  if (text.empty()) return std::nullopt;
  long seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return std::chrono::milliseconds(seconds * 1000);
}

bool retryable_status(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

}  // namespace

RowResult interpret_answer(const http::Response& r, json::storage_ptr storage) {
  return wire::portal_json::read_answer(r, std::move(storage));
}

namespace {

// ---------------------------------------------------------------------------------------------
class Run {
 public:
  Run(const Operation& op, const Transport& transport, const RunOptions& options, std::ostream& err)
      : m_op(op),
        m_transport(transport),
        m_options(options),
        m_err(err),
        m_rate(options.rate),
        m_token(transport.token) {}
  ~Run() {
    if (m_epoll_fd >= 0) ::close(m_epoll_fd);
    if (m_wake_fd >= 0) ::close(m_wake_fd);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  Expected<Summary> execute(RecordReader& reader, std::ostream& results_out);

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
  void mark_done(Slot* slot);
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
  // The session token requests go with now, and its replacement after a 401 (Transport::renew).
  std::string current_token();
  bool renew_token(const std::string& rejected);
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
  Summary m_summary;
  Clock::time_point m_started;
  Clock::time_point m_last_progress{};
};

std::string Run::current_token() {
  std::lock_guard lock(m_token_mutex);
  return m_token;
}

bool Run::renew_token(const std::string& rejected) {
  if (!m_transport.renew) return false;
  std::lock_guard lock(m_token_mutex);
  if (m_token != rejected) return true;  // another worker renewed it already
  auto fresh = m_transport.renew(rejected);
  if (!fresh || fresh->empty() || *fresh == rejected) return false;
  spdlog::info("the session was renewed by another provportal process; going on with it");
  m_token = std::move(*fresh);
  return true;
}

void Run::set_fatal(Error e) {
  std::lock_guard lock(m_mutex);
  if (!m_fatal) m_fatal = std::move(e);
  m_halt = true;
}

void Run::worker() {
  std::unique_ptr<http::Client> client;
  while (true) {
    Slot* slot = nullptr;
    {
      std::unique_lock lock(m_mutex);
      m_work_cv.wait(lock, [&] { return !m_queue.empty() || m_closing; });
      if (m_queue.empty()) return;
      slot = m_queue.front();
      m_queue.pop_front();
    }
    if (!m_halt.load() && !stop_flag().load()) send(*slot, client);
    mark_done(slot);
  }
}

void Run::mark_done(Slot* slot) {
  slot->done.store(true);
  if (m_awaited.load() == slot) {
    std::lock_guard lock(m_mutex);  // the main thread is in wait_for_row or about to be
    m_done_cv.notify_one();
  }
}

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
  std::string token = current_token();  // (the rate and an outage were passed in lanes_thread)
  lane.request.headers.emplace_back("Authorization", "Bearer " + token);
  lane.sent_at = Clock::now();
  auto started = lane.client->start(lane.request);
  lane.request.headers.pop_back();
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
  const bool final =
      (status >= 200 && status < 300) ||
      (status >= 400 && status < 500 && status != 401 && status != 409 && status != 429);
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

// Sends one request of a row until it has a final answer, the attempts run out, or the run
// must stop. The caller leaves a row without a final answer unfinished (stopping) or failed.
Run::Delivery Run::deliver(std::size_t line, std::unique_ptr<http::Client>& client,
                           http::Request& request, const fs::path* file,
                           const std::string& content_type, FirstAttempt* first) {
  request.headers.emplace_back("Authorization", std::string());
  struct TakeOffSession {
    http::Headers& headers;
    ~TakeOffSession() { headers.pop_back(); }
  } take_off{request.headers};
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  Delivery out;
  bool again = false;  // the same attempt once more, after a wait or with a renewed token
  for (int attempt = 1; attempt <= m_options.max_attempts; ++attempt) {
    std::optional<Expected<http::Response>> got;
    std::string token;
    if (first) {
      // The attempt was made already; its answer stands even when the run is stopping now.
      got.emplace(std::move(first->answer));
      token = std::move(first->token);
      first = nullptr;
    } else {
      if (m_halt.load() || stop_flag().load()) {
        out.stopped = true;
        return out;
      }
      token = current_token();
      request.headers.back().second = "Bearer " + token;  // Authorization, added last above
      if (attempt > 1 || again) {
        ++m_retried;
        if (m_options.observer) m_options.observer->retried();
      }
      again = false;
      if (m_options.outage) m_options.outage->pass();
      m_rate.acquire();
      if (!client) {
        auto made = m_transport.connect();
        if (!made) {
          set_fatal(made.error());
          out.stopped = true;
          return out;
        }
        client = std::move(*made);
      }
      auto sent_at = Clock::now();
      got.emplace(file ? client->send_file(request, *file, content_type) : client->send(request));
      if (m_options.observer) {
        m_options.observer->exchange({request, *got ? &**got : nullptr, Clock::now() - sent_at});
      }
    }
    auto& response = *got;
    std::optional<std::chrono::milliseconds> wait_hint;
    if (!response) {
      if (response.error().kind == ErrorKind::input || response.error().kind == ErrorKind::usage) {
        // The file to send changed or vanished since the row was checked: not worth retrying.
        out.problem = response.error().message;
        return out;
      }
      // A connection fault: the row may or may not have reached the portal. Sending it again
      // is safe because the idempotency key makes the portal replay an answer it already gave.
      out.problem = response.error().message;
      client.reset();
    } else if (response->status == 401) {
      if (renew_token(token)) {
        --attempt;  // another process renewed the session: the same attempt with its token
        again = true;
        continue;
      }
      Error e = api::map_error(*response);
      e.hint = "log in again (provportal login), then run the same command with --resume";
      set_fatal(std::move(e));
      out.stopped = true;
      return out;
    } else if (retryable_status(response->status) ||
               (response->status == 409 &&
                api::map_error(*response).code == "idempotency_in_progress")) {
      Error e = api::map_error(*response);
      out.problem = e.message;
      wait_hint = retry_after(*response);
      if (wait_hint && *wait_hint > m_options.max_delay) {
        if (m_options.outage) {
          // --wait: every connection pauses until the portal is back; the row goes on as if
          // nothing happened (waiting uses up no attempt).
          auto waited = m_options.outage->wait(std::chrono::ceil<std::chrono::seconds>(*wait_hint),
                                               e.code == "maintenance", e);
          if (waited) {
            --attempt;
            again = true;
            continue;
          }
          if (waited.error().kind == ErrorKind::interrupted) {
            out.stopped = true;
            return out;
          }
          e = waited.error();
        }
        // A long Retry-After (the maintenance window) will not pass by retrying: stop the run.
        e.kind = ErrorKind::unavailable;
        e.hint += (e.hint.empty() ? "" : "; ") +
                  std::string("run the same command with --resume once the portal is back");
        set_fatal(std::move(e));
        out.stopped = true;
        return out;
      }
    } else {
      out.response = std::move(*response);
      return out;
    }
    if (attempt == m_options.max_attempts) break;
    auto cap = std::min<std::int64_t>(m_options.max_delay.count(),
                                      m_options.base_delay.count() << std::min(attempt - 1, 20));
    std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(cap, 1));
    auto delay = std::chrono::milliseconds(jitter(rng));  // full jitter
    if (wait_hint) delay = std::max(delay, *wait_hint);
    spdlog::debug("line {}: attempt {} failed ({}); retrying in {} ms", line, attempt, out.problem,
                  delay.count());
    interruptible_sleep(delay);
  }
  out.problem =
      "no answer after " + std::to_string(m_options.max_attempts) + " attempts: " + out.problem;
  return out;
}

Run::Delivery Run::observed(const Slot& slot, std::unique_ptr<http::Client>& client,
                            http::Request& request, const fs::path* file,
                            const std::string& content_type, FirstAttempt* first) {
  auto d = deliver(slot.line, client, request, file, content_type, first);
  if (!m_options.observer) return d;
  const http::Request& sent = request;
  // A streamed file's hash travels with it (X-Content-SHA256); a JSON body is hashed here.
  std::string hash;
  if (!file) hash = sha256_hex(sent.body);
  for (const auto& [name, value] : sent.headers) {
    if (file && name == "X-Content-SHA256") hash = value;
  }
  http::RequestEvent event{sent,
                           d.response ? &*d.response : nullptr,
                           std::move(hash),
                           d.problem,
                           d.stopped,
                           slot.line,
                           slot.ref,
                           m_options.input_name};
  std::string file_text = file ? file->string() : std::string();
  event.file = file_text;
  m_options.observer->request_done(event);
  return d;
}

namespace {

// The context of one row whose operation brings its own action.
class SlotContext final : public RowContext {
 public:
  using Deliver = std::function<Run::Delivery(http::Request, const fs::path*, const std::string&)>;
  SlotContext(const Slot& slot, Deliver deliver) : m_slot(slot), m_deliver(std::move(deliver)) {}

  const json::object& record() const override { return m_slot.record; }
  const std::string& key() const override { return m_slot.key; }
  std::size_t line() const override { return m_slot.line; }
  std::optional<http::Response> send(http::Request request) override {
    return take(m_deliver(std::move(request), nullptr, {}));
  }
  std::optional<http::Response> send_file(http::Request request, const fs::path& file,
                                          std::string content_type) override {
    return take(m_deliver(std::move(request), &file, content_type));
  }
  RowResult unanswered() const override {
    RowResult r;
    if (m_stopped) return r;
    r.outcome = "failed";
    r.message = m_problem;
    return r;
  }
  bool stopped() const { return m_stopped; }

 private:
  std::optional<http::Response> take(Run::Delivery d) {
    if (d.stopped) m_stopped = true;
    if (!d.response) m_problem = d.problem;
    return std::move(d.response);
  }
  const Slot& m_slot;
  Deliver m_deliver;
  bool m_stopped = false;
  std::string m_problem;
};

}  // namespace

void Run::send(Slot& slot, std::unique_ptr<http::Client>& client) {
  if (m_op.action) {
    SlotContext ctx(slot, [&](http::Request r, const fs::path* file, const std::string& type) {
      return observed(slot, client, r, file, type);
    });
    RowResult result = m_op.action(ctx);
    // A row cut short by a stopping run stays unfinished whatever the action made of it.
    if (ctx.stopped()) return;
    slot.result = std::move(result);
    slot.journal = slot.result.outcome == "ok" || slot.result.outcome == "rejected";
    return;
  }
  auto request = request_for(slot);
  settle(slot, observed(slot, client, request, nullptr, {}));
}

http::Request Run::request_for(const Slot& slot) const {
  http::Request request;
  if (m_op.request) {
    request = m_op.request(slot.record);
  } else {
    request.method = m_op.method;
    request.target = m_op.target;
    request.body = json::serialize(slot.record);
  }
  request.headers.emplace_back("Idempotency-Key", slot.key);
  return request;
}

void Run::settle(Slot& slot, Delivery d) {
  if (d.stopped) return;
  if (!d.response) {
    slot.result.outcome = "failed";
    slot.result.message = d.problem;
    return;
  }
  slot.result = m_op.interpret ? m_op.interpret(*d.response, &slot.memory)
                               : interpret_answer(*d.response, &slot.memory);
  slot.result.replayed = d.response->header("idempotent-replayed") == "true";
  slot.journal = true;
  if (m_op.answer_verbatim && d.response->status >= 200 && d.response->status < 300 &&
      !slot.result.answer.empty()) {
    std::string_view body = d.response->body;
    const auto first = body.find_first_not_of(" \t\r\n");
    const auto last = body.find_last_not_of(" \t\r\n");
    body =
        first == std::string_view::npos ? std::string_view() : body.substr(first, last - first + 1);
    // The answer parsed as an object, so the trimmed body is one; a line break would split
    // the result line.
    // (Two scans, one memchr each: find_first_of would test each byte against the set.)
    if (body.find('\n') == std::string_view::npos && body.find('\r') == std::string_view::npos) {
      slot.answer_text = body;
    }
  }
}

Expected<void> Run::open_journal() {
  std::string input_id = m_options.input_name == "-"
                             ? std::string("stdin")
                             : fs::absolute(m_options.input_name).lexically_normal().string();
  std::string fingerprint =
      m_op.name + "\n" + input_id + "\n" + m_options.shard.to_string() + "\n" + m_options.scope;
  fs::path path =
      m_options.journal.empty() ? default_journal_path(m_op.name, fingerprint) : m_options.journal;
  auto journal = Journal::open(path);
  if (!journal) return fail(journal.error());
  m_journal = std::move(*journal);
  m_summary.journal = path;
  auto info = m_journal->info();
  bool same = info.fingerprint == fingerprint;
  if (m_options.resume) {
    if (!info.fingerprint.empty() && !same && m_options.journal.empty()) {
      return fail(ErrorKind::usage, "the journal " + path.string() + " belongs to another batch");
    }
    if (info.fingerprint.empty()) {
      spdlog::info("nothing to resume in {}: starting the batch", path.string());
      m_journal->start(fingerprint);
    } else if (!same) {
      return fail(ErrorKind::usage,
                  "the journal " + path.string() +
                      " belongs to another batch (another file, shard or portal)",
                  "give the journal of this batch, or leave out --resume to start over");
    }
    m_resuming = !info.fingerprint.empty();
    return {};
  }
  if (same && !info.complete && info.rows_done > 0 && !m_options.restart) {
    return fail(
        ErrorKind::usage,
        "an interrupted run of this batch left a journal with " + std::to_string(info.rows_done) +
            " rows answered (" + path.string() + ")",
        "add --resume to finish it without sending those rows again, or --restart to start over");
  }
  m_journal->start(fingerprint);
  return {};
}

void Run::draw_progress(bool final) {
  if (!m_options.progress) return;
  auto now = Clock::now();
  if (!final && now - m_last_progress < 200ms) return;
  m_last_progress = now;
  double secs = std::chrono::duration<double>(now - m_started).count();
  std::size_t done = m_summary.ok + m_summary.rejected + m_summary.invalid + m_summary.failed;
  char line[200];
  std::snprintf(
      line, sizeof line,
      "\r\033[K%zu rows  %.0f/s  ok %zu  rejected %zu  invalid %zu  failed %zu  retried %zu", done,
      secs > 0 ? done / secs : 0.0, m_summary.ok, m_summary.rejected, m_summary.invalid,
      m_summary.failed, m_retried.load());
  m_err << line << (final ? "\r\033[K" : "") << std::flush;
}

void Run::finish(Slot& slot) {
  const std::string& o = slot.result.outcome;
  if (o == "ok")
    ++m_summary.ok;
  else if (o == "rejected")
    ++m_summary.rejected;
  else if (o == "invalid")
    ++m_summary.invalid;
  else
    ++m_summary.failed;
  if (slot.result.replayed) ++m_summary.replayed;
  if (o == "invalid" && !m_options.quiet) {
    // Each bad row on stderr with its line and fields (never their values: they may be PHI).
    std::string where =
        (m_options.input_name == "-" ? std::string("stdin") : m_options.input_name) + ":" +
        std::to_string(slot.line) + ": ";
    auto say = [&](const std::string& text) {
      if (m_options.say)
        m_options.say(text);
      else
        m_err << text << '\n';
    };
    if (slot.result.errors.empty()) say(where + slot.result.message);
    for (const auto& e : slot.result.errors) {
      say(where + (e.field.empty() ? std::string("the row") : e.field) + ": " + e.message);
    }
  }
  if (m_options.fail_fast && o != "ok") m_halt = true;
}

Expected<Summary> Run::execute(RecordReader& reader, std::ostream& results_out) {
  m_started = Clock::now();
  if (!m_options.dry_run && m_options.use_journal) {
    if (auto j = open_journal(); !j) return fail(j.error());
  }
  ResultsSink sink(m_op, m_options, results_out);
  if (auto r = sink.open(); !r) return fail(r.error());

  // The audit entries of rows are written in groups, each before the journal commits its rows.
  struct Deferral {
    http::Observer* observer;
    ~Deferral() {
      if (observer) observer->defer_writes(false);
    }
  } deferral{m_journal ? m_options.observer : nullptr};
  if (deferral.observer) deferral.observer->defer_writes(true);

  std::vector<std::thread> workers;
  std::size_t n_workers = m_options.dry_run ? 0 : std::max<std::size_t>(1, m_options.concurrency);
  // Rows of one request each go through lanes (see Lane); actions of several requests (and
  // file uploads) through workers that each send one row at a time.
  const bool use_lanes = n_workers > 0 && !m_op.action;
  std::unique_ptr<Lane[]> lanes;
  std::thread lanes_runner;
  if (use_lanes) {
    m_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_wake_fd < 0)
      return fail(ErrorKind::internal, std::string("eventfd: ") + std::strerror(errno));
    m_epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = nullptr;
    if (m_epoll_fd < 0 || ::epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_wake_fd, &wake) != 0) {
      return fail(ErrorKind::internal, std::string("epoll: ") + std::strerror(errno));
    }
    lanes.reset(new Lane[n_workers]);
    lanes_runner = std::thread([this, l = lanes.get(), n_workers] { lanes_thread(l, n_workers); });
    for (std::size_t i = 0; i < n_workers; ++i) workers.emplace_back([this] { retry_worker(); });
  } else {
    for (std::size_t i = 0; i < n_workers; ++i) workers.emplace_back([this] { worker(); });
  }

  // The window bounds memory: rows wait in it until every row before them is finished.
  const std::size_t window = std::max<std::size_t>(256, n_workers * 32);
  Window pending(window);
  auto last_flush = Clock::now();
  std::size_t unflushed = 0;
  std::optional<Error> input_error;

  // Waits (a while) for `slot` to be done. Only the main thread touches `pending`; workers
  // touch only the slot they were given, until they mark it done.
  auto wait_for_row = [&](const Slot& slot) {
    std::unique_lock lock(m_mutex);
    m_awaited.store(&slot);
    m_done_cv.wait_for(lock, 200ms, [&] { return slot.done.load(); });
    m_awaited.store(nullptr);
  };

  auto drain = [&](bool block_until_room, bool all) {
    while (!pending.empty()) {
      Slot& head = pending.front();
      if (!head.done.load()) {
        bool must_wait = all || (block_until_room && pending.size() >= window);
        if (!must_wait) break;
        // Rows finish about in order, so waiting for a row some way behind the head lets the
        // main thread sleep once per run of rows rather than once per row.
        const Slot* awaited = &head;
        if (const Slot& later = pending[std::min(pending.size() - 1, window / 16)];
            !later.done.load()) {
          awaited = &later;
        }
        wait_for_row(*awaited);
        draw_progress(false);
        continue;
      }
      if (head.result.outcome.empty()) {
        // Not finished (the run is stopping): it and every later row stay unwritten.
        m_summary.stopped_early = true;
      } else {
        finish(head);
        std::string text;
        if (!head.result_json.empty()) {
          json::error_code ec;
          auto v = json::parse(head.result_json, ec);
          if (!ec && v.is_object()) sink.write(v.get_object(), &head.result_json);
        } else {
          // JSON Lines take the answer's own text when there is one (see Slot::answer_text).
          const bool splice = !sink.csv() && !head.answer_text.empty();
          auto r = result_object(head, !splice);
          const bool journaled = head.journal && m_journal;
          if (splice || journaled) {
            // Serialized once, for the results and the journal.
            std::string text = json::serialize(r);
            if (splice) {
              text.pop_back();  // the closing brace: the answer goes last
              text += ",\"answer\":";
              text += head.answer_text;
              text += '}';
            }
            sink.write(r, &text);
            if (journaled) {
              m_journal->record(head.index, {head.key, head.result.outcome, std::move(text)});
              ++unflushed;
            }
          } else {
            sink.write(r);
          }
        }
      }
      bool unfinished = head.result.outcome.empty();
      pending.pop_front();
      if (unfinished) {
        // Drop the rest of the window too; their results would be out of order.
        while (!pending.empty()) {
          Slot& later = pending.front();
          if (!later.done.load()) {
            wait_for_row(later);
            continue;
          }
          // Answered but not written: journal it, so --resume does not ask again.
          if (later.journal && m_journal && !later.result.outcome.empty()) {
            m_journal->record(later.index, {later.key, later.result.outcome,
                                            json::serialize(result_object(later))});
          }
          pending.pop_front();
        }
        break;
      }
    }
    if (m_journal && (unflushed >= 500 || Clock::now() - last_flush > 250ms)) {
      commit_journal();
      unflushed = 0;
      last_flush = Clock::now();
    }
  };

  while (!m_halt.load() && !stop_flag().load()) {
    auto next = reader.next();
    if (!next) {
      input_error = next.error();
      break;
    }
    if (!*next) break;
    Record& rec = **next;
    if (!m_options.shard.contains(rec.index)) continue;
    ++m_summary.total;
    drain(true, false);
    Slot& slot = pending.emplace_back();
    slot.index = rec.index;
    slot.line = rec.line;
    slot.record = std::move(rec.fields);
    slot.ref = ref_of(slot.record);
    if (rec.problem) {
      slot.result.outcome = "invalid";
      slot.result.message = *rec.problem;
      slot.done = true;
      continue;
    }
    coerce_to_schema(m_op.schema, slot.record);
    if (m_op.prepare) m_op.prepare(slot.record);
    slot.result.errors = records::validate_record(m_op.schema, slot.record);
    if (slot.result.errors.empty() && m_op.check) slot.result.errors = m_op.check(slot.record);
    if (!slot.result.errors.empty()) {
      slot.result.outcome = "invalid";
      slot.result.message = "the row does not meet the " + m_op.schema + " schema";
      slot.done = true;
      continue;
    }
    if (m_options.dry_run) {
      // Nothing is sent or journaled, so the row needs no idempotency key.
      slot.result.outcome = "ok";
      slot.result.message = "valid (dry run: not sent)";
      slot.done = true;
      continue;
    }
    slot.key = idempotency_key(m_op.name, slot.record);
    if (auto prior = m_resuming ? m_journal->find(slot.index) : std::nullopt) {
      if (prior->key != slot.key) {
        input_error = Error(ErrorKind::input,
                            m_options.input_name + ": line " + std::to_string(slot.line) +
                                " is not the row the interrupted run sent; the file changed since",
                            "run without --resume (add --restart) to send the batch as it is now");
        pending.pop_back();
        --m_summary.total;
        break;
      }
      slot.result.outcome = prior->outcome;
      slot.result_json = prior->result;
      slot.done = true;
      ++m_summary.resumed;
      continue;
    }
    {
      std::lock_guard lock(m_mutex);
      m_queue.push_back(&slot);
    }
    m_work_cv.notify_one();
    if (use_lanes && m_lanes_idle.exchange(false)) wake_lanes();
  }
  if (stop_flag().load()) m_summary.interrupted = true;
  drain(false, true);
  {
    std::lock_guard lock(m_mutex);
    m_closing = true;
  }
  m_work_cv.notify_all();
  if (use_lanes) {
    wake_lanes();
    lanes_runner.join();
    {
      std::lock_guard lock(m_retry_mutex);
      m_retries_closing = true;
    }
    m_retry_cv.notify_all();
  }
  for (auto& t : workers) t.join();
  drain(false, true);
  if (stop_flag().load()) m_summary.interrupted = true;
  if (m_journal) commit_journal();
  draw_progress(true);

  m_summary.retried = m_retried.load();
  m_summary.fatal = m_fatal;
  if (m_fatal || m_summary.interrupted || (input_error && m_summary.total > 0))
    m_summary.stopped_early = true;
  m_summary.elapsed = Clock::now() - m_started;

  if (input_error && !m_summary.stopped_early && m_summary.total == 0) {
    sink.abandon();
    return fail(*input_error);
  }
  if (input_error) {
    if (!m_summary.fatal) m_summary.fatal = *input_error;
    m_summary.stopped_early = true;
  }
  if (m_summary.stopped_early) {
    sink.abandon();
  } else {
    if (auto r = sink.commit(); !r) return fail(r.error());
    if (m_journal) {
      if (m_options.observer) m_options.observer->flush();
      m_journal->mark_complete();
    }
  }
  return m_summary;
}

}  // namespace

std::string Summary::line() const {
  char buf[400];
  std::snprintf(
      buf, sizeof buf,
      "%s%zu rows: %zu ok, %zu rejected, %zu invalid, %zu failed; %zu retried%s%s in %.1f s (%.0f "
      "rows/s)",
      interrupted ? "interrupted after " : (stopped_early ? "stopped after " : ""),
      ok + rejected + invalid + failed, ok, rejected, invalid, failed, retried,
      resumed ? (", " + std::to_string(resumed) + " from the journal").c_str() : "",
      replayed ? (", " + std::to_string(replayed) + " replayed by the portal").c_str() : "",
      elapsed.count(),
      elapsed.count() > 0 ? (ok + rejected + invalid + failed) / elapsed.count() : 0.0);
  return buf;
}

Expected<Summary> run_batch(const Operation& op, RecordReader& reader, const Transport& transport,
                            const RunOptions& options, std::ostream& results_out,
                            std::ostream& err) {
  Run run(op, transport, options, err);
  return run.execute(reader, results_out);
}

}  // namespace portal::batch
