// The delivery of a row's requests: sending until a final answer with retries, the observer's
// view of each request, and the row's result from its answer.
#include <functional>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/api/outage_wait.hpp"
#include "portal/api/retry.hpp"
#include "portal/batch/run.hpp"
#include "portal/util/crypto.hpp"

namespace portal::batch::detail {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// Sleeps up to `d`, waking early when the run is asked to stop.
void interruptible_sleep(std::chrono::milliseconds d) {
  auto until = Clock::now() + d;
  while (!stop_flag().load() && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(50ms, until - Clock::now()));
  }
}

}  // namespace

std::string Run::current_token() {
  std::lock_guard lock(m_token_mutex);
  return m_token;
}

Expected<bool> Run::renew_token(const std::string& rejected) {
  if (!m_transport.renew) return false;
  std::lock_guard lock(m_token_mutex);
  if (m_token != rejected) return true;  // another worker renewed it already
  auto fresh = m_transport.renew(rejected);
  if (!fresh) return fail(fresh.error());
  if (!*fresh || (*fresh)->empty() || **fresh == rejected) return false;
  m_token = std::move(**fresh);
  return true;
}

void Run::at_end(const void* owner, std::function<Expected<void>()> finish) {
  std::lock_guard lock(m_finish_mutex);
  for (const auto& f : m_finishers)
    if (f.first == owner) return;
  m_finishers.emplace_back(owner, std::move(finish));
}

void Run::run_finishers() {
  std::vector<std::pair<const void*, std::function<Expected<void>()>>> finishers;
  {
    std::lock_guard lock(m_finish_mutex);
    finishers.swap(m_finishers);
  }
  for (auto& [owner, finish] : finishers) {
    if (auto done = finish(); !done) set_fatal(done.error());
  }
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

// Sends one request of a row until it has a final answer, the attempts run out, or the run
// must stop. The caller leaves a row without a final answer unfinished (stopping) or failed.
Run::Delivery Run::deliver(std::size_t line, std::unique_ptr<http::Client>& client,
                           http::Request& request, const fs::path* file,
                           const std::string& content_type, FirstAttempt* first) {
  // A wire without sessions (X12 over CORE) sends no Authorization header.
  const bool with_session = !current_token().empty();
  if (with_session) request.headers.emplace_back("Authorization", std::string());
  struct TakeOffSession {
    http::Headers& headers;
    bool on;
    ~TakeOffSession() {
      if (on) headers.pop_back();
    }
  } take_off{request.headers, with_session};
  Delivery out;
  bool again = false;  // the same attempt once more, after a wait or with a renewed token
  auto sent_at = Clock::now();
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
      if (with_session) request.headers.back().second = "Bearer " + token;  // added last above
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
      sent_at = Clock::now();
      got.emplace(file ? client->send_file(request, *file, content_type) : client->send(request));
      if (m_options.observer) {
        m_options.observer->exchange({request, *got ? &**got : nullptr, Clock::now() - sent_at});
      }
    }
    auto& response = *got;
    // The one retry policy (api/retry.hpp); every request of a row carries an Idempotency-Key,
    // so each may be sent again.
    const api::Classification c = api::classify(response, m_retry, true);
    if (!response) {
      out.problem = response.error().message;
      // The file to send changed or vanished since the row was checked: not worth retrying.
      if (c.verdict == api::Verdict::final) return out;
      // A connection fault: the row may or may not have reached the portal. Sending it again
      // is safe because the idempotency key makes the portal replay an answer it already gave.
      client.reset();
    } else if (c.verdict == api::Verdict::auth) {
      auto renewed = renew_token(token);
      if (renewed && *renewed) {
        --attempt;  // the same attempt with the renewed session
        again = true;
        continue;
      }
      Error e = renewed ? c.error : renewed.error();
      if (renewed) e.hint = api::k_session_ended_hint;
      e.hint +=
          (e.hint.empty() ? "" : "; ") + std::string("then run the same command with --resume");
      set_fatal(std::move(e));
      out.stopped = true;
      return out;
    } else if (c.verdict == api::Verdict::outage) {
      out.problem = c.error.message;
      // --wait: every connection pauses until the portal is back; the row goes on as if nothing
      // happened (waiting uses up no attempt).
      auto waited = api::wait_out(m_options.outage, c);
      if (waited) {
        --attempt;
        again = true;
        continue;
      }
      if (waited.error().kind == ErrorKind::interrupted) {
        out.stopped = true;
        return out;
      }
      // A long Retry-After (the maintenance window) will not pass by retrying: stop the run.
      Error e = waited.error();
      e.kind = ErrorKind::unavailable;
      e.hint += (e.hint.empty() ? "" : "; ") +
                std::string("run the same command with --resume once the portal is back");
      set_fatal(std::move(e));
      out.stopped = true;
      return out;
    } else if (c.verdict == api::Verdict::retry) {
      out.problem = c.error.message;
    } else if (auto busy = m_op.transient ? m_op.transient(*response) : std::nullopt) {
      // A final answer that says "not now" (the payer's system is down): like a 503.
      out.problem = std::move(*busy);
      client.reset();
    } else {
      out.response = std::move(*response);
      return out;
    }
    if (attempt == m_options.max_attempts) break;
    auto delay = m_retry.backoff(attempt, c.retry_after);
    if (!response && response.error().code == "timeout" &&
        m_op.resend_after_timeout > std::chrono::seconds{0}) {
      // The protocol's own rule for sending again what may still be in the receiver's hands.
      const auto due = std::chrono::duration_cast<std::chrono::milliseconds>(
          m_op.resend_after_timeout - (Clock::now() - sent_at));
      delay = std::max(delay, due);
    }
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
  SlotContext(const Slot& slot, Run& run, Deliver deliver)
      : m_slot(slot), m_run(run), m_deliver(std::move(deliver)) {}

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
  Expected<void> at_run_end(const void* owner, std::function<Expected<void>()> finish) override {
    m_run.at_end(owner, std::move(finish));
    return {};
  }
  bool stopped() const { return m_stopped; }

 private:
  std::optional<http::Response> take(Run::Delivery d) {
    if (d.stopped) m_stopped = true;
    if (!d.response) m_problem = d.problem;
    return std::move(d.response);
  }
  const Slot& m_slot;
  Run& m_run;
  Deliver m_deliver;
  bool m_stopped = false;
  std::string m_problem;
};

}  // namespace

void Run::send(Slot& slot, std::unique_ptr<http::Client>& client) {
  if (m_op.action) {
    SlotContext ctx(slot, *this,
                    [&](http::Request r, const fs::path* file, const std::string& type) {
                      return observed(slot, client, r, file, type);
                    });
    RowResult result = m_op.action(ctx);
    // A row cut short by a stopping run stays unfinished whatever the action made of it.
    if (ctx.stopped()) return;
    slot.result = std::move(result);
    // A pending row is journaled too: --resume hands it to the wire again (see execute()).
    slot.journal = slot.result.outcome == "ok" || slot.result.outcome == "rejected" ||
                   slot.result.outcome == "pending";
    return;
  }
  auto request = request_for(slot);
  settle(slot, observed(slot, client, request, nullptr, {}));
}

http::Request Run::request_for(const Slot& slot) const {
  http::Request request;
  if (m_op.request) {
    request = m_op.request(slot.record, slot.key);
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

}  // namespace portal::batch::detail
