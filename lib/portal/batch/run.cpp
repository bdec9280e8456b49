// The run itself: the journal, the window of rows in input order, their results, and progress.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/batch/results_sink.hpp"
#include "portal/batch/run.hpp"
#include "portal/records/schema.hpp"

namespace portal::batch::detail {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string ref_of(const json::object& record) {
  if (const auto* r = record.if_contains("ref"); r && r->is_string())
    return std::string(r->get_string());
  return {};
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

}  // namespace

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
  if (same && !info.complete && info.pending > 0 && !m_options.restart) {
    return fail(ErrorKind::usage,
                "a run of this batch left " + std::to_string(info.pending) + " row" +
                    (info.pending == 1 ? "" : "s") +
                    " pending: handed over, their answers not read yet (" + path.string() + ")",
                "add --resume to read the answers that came in (pending rows are not sent "
                "again), or --restart to start over");
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
  std::size_t done =
      m_summary.ok + m_summary.rejected + m_summary.invalid + m_summary.failed + m_summary.pending;
  char line[240];
  std::snprintf(line, sizeof line,
                "\r\033[K%zu rows  %.0f/s  ok %zu  rejected %zu  invalid %zu  failed %zu  pending "
                "%zu  retried %zu",
                done, secs > 0 ? done / secs : 0.0, m_summary.ok, m_summary.rejected,
                m_summary.invalid, m_summary.failed, m_summary.pending, m_retried.load());
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
  else if (o == "pending")
    ++m_summary.pending;
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
  // A pending row was handed over as asked: its answer is simply not in yet.
  if (m_options.fail_fast && o != "ok" && o != "pending") m_halt = true;
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
      } else if (m_options.on_result) {
        finish(head);
        // Out of the row's arena, which the next row reuses.
        RowResult r = head.result;
        r.answer = json::object(head.result.answer, json::storage_ptr());
        m_options.on_result(head.index, std::move(r));
      } else {
        finish(head);
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
    if (!m_options.prevalidated) {
      coerce_to_schema(m_op.schema, slot.record);
      if (m_op.prepare) m_op.prepare(slot.record);
      slot.result.errors = records::validate_record(m_op.schema, slot.record);
      if (slot.result.errors.empty() && m_op.check) slot.result.errors = m_op.check(slot.record);
    }
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
    auto prior = m_resuming ? m_journal->find(slot.index) : std::nullopt;
    // A pending row goes to the wire again: it collects the answer if it came in, and never
    // hands the row over twice (its own record of what it sent says it did already).
    if (prior && prior->outcome == "pending" && prior->key == slot.key) prior.reset();
    if (prior) {
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
  // What the wires hold for the whole run (x12-files: the last outbox file) is written out
  // before the journal's last commit; an error there stops the run.
  run_finishers();
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
      // A run that left rows pending is not finished: the next run must be --resume (or
      // --restart), which hands those rows to the wire again.
      if (m_summary.pending == 0) {
        m_journal->mark_complete();
      } else {
        m_journal->flush();
      }
    }
  }
  return m_summary;
}

}  // namespace portal::batch::detail
