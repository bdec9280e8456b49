#include "batch_cmd.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "exit_code.hpp"
#include "portal/batch/reader.hpp"
#include "portal/log/log.hpp"
#include "portal/ops/limits.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/clock.hpp"

namespace portal::cli {

namespace json = boost::json;

std::atomic<bool>& batch_running() {
  static std::atomic<bool> running{false};
  return running;
}

std::vector<std::string> printed_fields(const BatchFlags& flags,
                                        const std::vector<std::string>& record_fields,
                                        const std::vector<std::string>& result_columns) {
  return flags.file.empty() ? record_fields : batch::result_fields(result_columns);
}

void add_batch_flags(CLI::App& cmd, BatchFlags& f) {
  const char* g = "Batch options";
  cmd.add_option(
         "--batch", f.file,
         "Read the records from FILE (CSV with a header, YAML list, JSON Lines; - for stdin)")
      ->type_name("FILE")
      ->group(g);
  with_choices(cmd.add_option("--batch-format", f.format,
                              "Format of --batch when its extension does not say: csv|yaml|jsonl")
                   ->type_name("FORMAT")
                   ->group(g),
               {"csv", "yaml", "jsonl"});
  f.concurrency_flag =
      cmd.add_option("--concurrency", f.concurrency,
                     "Requests in flight at once (default 8; also the profile's concurrency)")
          ->type_name("N")
          ->check(CLI::Range(1, 256))
          ->group(g);
  f.rate_flag = cmd.add_option("--rate", f.rate,
                               "At most N requests per second (default: no limit; also the "
                               "profile's rate)")
                    ->type_name("N")
                    ->check(CLI::Range(0.0, 1e6))
                    ->group(g);
  f.max_attempts_flag = cmd.add_option("--max-attempts", f.max_attempts,
                                       "Attempts per row on 429, 5xx and connection faults "
                                       "(default 5; also the profile's max_attempts)")
                            ->type_name("N")
                            ->check(CLI::Range(1, 20))
                            ->group(g);
  cmd.add_flag("--dry-run", f.dry_run, "Validate every row and send nothing")->group(g);
  cmd.add_flag("--fail-fast", f.fail_fast, "Stop at the first row that is not ok")->group(g);
  cmd.add_option("--shard", f.shard,
                 "Process only shard K of N (K from 0), e.g. $JOB_COMPLETION_INDEX/4")
      ->type_name("K/N")
      ->group(g);
  cmd.add_flag("--resume", f.resume, "Finish an interrupted run of the same batch from its journal")
      ->group(g);
  cmd.add_flag("--restart", f.restart, "Discard an interrupted run's journal and start over")
      ->excludes("--resume")
      ->group(g);
  cmd.add_option("--journal", f.journal,
                 "Journal file (default: under $XDG_STATE_HOME/provportal/journals/)")
      ->type_name("FILE")
      ->group(g);
  cmd.add_option("--results", f.results,
                 "Write one result per row to FILE (.csv or .jsonl); default: stdout")
      ->type_name("FILE")
      ->group(g);
}

namespace {

// The session and connections a batch uses; checked before any row is read.
Expected<batch::Transport> make_transport(Context& ctx) {
  auto chosen = ctx.chosen_wire();
  if (!chosen) return fail(chosen.error());
  if (!(*chosen)->uses_network()) {
    // A file exchange: nothing is sent over the network, so no base_url, CA file or session.
    if (auto audit = ctx.open_audit_log(); !audit) return fail(audit.error());
    batch::Transport t;
    t.connect = [wire =
                     std::string((*chosen)->name())]() -> Expected<std::unique_ptr<http::Client>> {
      return fail(ErrorKind::internal, "the " + wire + " wire opened a connection");
    };
    return t;
  }
  if (!(*chosen)->needs_session()) {
    // The wire's messages carry their own credentials (X12 over CORE): no login, no renewal.
    auto options = ctx.client_options();
    if (!options) return fail(options.error());
    if (auto audit = ctx.open_audit_log(); !audit) return fail(audit.error());
    batch::Transport t;
    t.connect = [o = *options]() { return http::Client::create(o); };
    // A 401 is the endpoint refusing the message's credentials: no session to renew.
    t.renew = [wire = std::string((*chosen)->name())](
                  const std::string&) -> Expected<std::optional<std::string>> {
      return fail(ErrorKind::auth, "the " + wire + " endpoint refused the credentials",
                  "check the profile's email and password_file or password_command (the "
                  "WS-Security UsernameToken), or its client_cert and client_key");
    };
    return t;
  }
  auto api = ctx.api_with_session();
  if (!api) return fail(api.error());
  auto options = ctx.client_options();
  if (!options) return fail(options.error());
  auto store = ctx.session_store();
  if (!store) return fail(store.error());
  batch::Transport t;
  t.token = (*api)->token();
  t.connect = [o = *options]() { return http::Client::create(o); };
  // A second job of the same profile may refresh the session (which ends the old token) while
  // this one runs, or the session may end during a long --wait: go on with the token the other
  // job left in the cache, or log in again from the profile's secrets.
  t.renew = session_renewal(ctx);
  return t;
}

// The unattended-run hooks of a batch: metrics and audit, --wait, per-row messages in the log
// format.
Expected<void> add_hooks(Context& ctx, batch::RunOptions& o) {
  o.observer = &ctx.telemetry();
  if (!o.dry_run) {
    auto wait = ctx.outage();
    if (!wait) return fail(wait.error());
    o.outage = *wait;
  }
  // A bad row's report names its line and fields, never their values (the runner sees to it).
  o.say = [](const std::string& text) { log::message(text, "warning", nullptr, false); };
  return {};
}

void count_rows(Context& ctx, const batch::Summary& s) {
  ctx.metrics().rows("ok", s.ok);
  ctx.metrics().rows("rejected", s.rejected);
  ctx.metrics().rows("invalid", s.invalid);
  ctx.metrics().rows("failed", s.failed);
  if (s.pending) ctx.metrics().rows("pending", s.pending);
}

json::object summary_json(const batch::Summary& s) {
  return json::object{{"total", s.total},
                      {"ok", s.ok},
                      {"rejected", s.rejected},
                      {"invalid", s.invalid},
                      {"failed", s.failed},
                      {"pending", s.pending},
                      {"retried", s.retried},
                      {"replayed", s.replayed},
                      {"resumed", s.resumed},
                      {"elapsed_seconds", s.elapsed.count()},
                      {"interrupted", s.interrupted},
                      {"stopped_early", s.stopped_early}};
}

}  // namespace

namespace {

// The profile's (or PROVPORTAL_*'s) concurrency, rate and max_attempts for the flags `f` did not
// give (null: a single record, no flags): a payer's rate limit belongs in its profile. The
// values were checked when the settings were resolved.
Expected<void> apply_profile_defaults(Context& ctx, const BatchFlags* f, batch::RunOptions& o) {
  auto s = ctx.settings();
  if (!s) return fail(s.error());
  const auto& p = (*s)->profile;
  auto given = [](const CLI::Option* flag) { return flag && flag->count() > 0; };
  if (!given(f ? f->concurrency_flag : nullptr) && !p.concurrency.empty())
    o.concurrency = std::stoul(p.concurrency);
  if (!given(f ? f->rate_flag : nullptr) && !p.rate.empty()) o.rate = std::stod(p.rate);
  if (!given(f ? f->max_attempts_flag : nullptr) && !p.max_attempts.empty())
    o.max_attempts = std::stoi(p.max_attempts);
  return {};
}

}  // namespace

Expected<void> run_batch_command(Context& ctx, const batch::Operation& op, const BatchFlags& f) {
  batch::Format format;
  if (!f.format.empty()) {
    format = *batch::parse_format(f.format);
  } else if (f.file == "-") {
    return fail(ErrorKind::usage, "--batch - reads stdin, whose format cannot be told from a name",
                "add --batch-format csv|yaml|jsonl");
  } else {
    auto by_name = batch::format_of(f.file);
    if (!by_name) return fail(by_name.error());
    format = *by_name;
  }
  batch::RunOptions o;
  o.concurrency = f.concurrency;
  o.rate = f.rate;
  o.max_attempts = f.max_attempts;
  if (auto applied = apply_profile_defaults(ctx, &f, o); !applied && !f.dry_run)
    return fail(applied.error());
  o.dry_run = f.dry_run;
  o.fail_fast = f.fail_fast;
  o.resume = f.resume;
  o.restart = f.restart;
  o.journal = f.journal;
  o.results = f.results;
  o.results_csv = ctx.format() == output::Format::csv;
  if (const auto* fields = ctx.fields()) o.fields = fields->columns;
  // A progress line redrawn with \r would break JSON logs, one object per line.
  o.progress =
      ctx.stderr_is_tty() && !ctx.global.quiet && log::current_format() == log::Format::text;
  o.quiet = ctx.global.quiet;
  o.input_name = f.file;
  if (!f.shard.empty()) {
    auto shard = batch::parse_shard(f.shard);
    if (!shard) return fail(shard.error());
    o.shard = *shard;
  }
  if (f.resume && f.file == "-" && f.journal.empty()) {
    return fail(ErrorKind::usage,
                "--resume of a batch read from stdin needs the --journal FILE of that run");
  }

  std::ifstream file;
  std::istream* in = &std::cin;
  if (f.file != "-") {
    file.open(f.file, std::ios::binary);
    if (!file) {
      return fail(ErrorKind::input, "cannot open the batch file " + f.file,
                  "check the path; --batch - reads stdin");
    }
    in = &file;
  }
  batch::Transport transport;
  if (!f.dry_run) {
    auto t = make_transport(ctx);
    if (!t) return fail(t.error());
    transport = std::move(*t);
    auto s = ctx.settings();
    if (s) o.scope = (*s)->profile.base_url + "\n" + (*s)->profile_name;
    // A batch over another wire is another run of it (its own journal and keys).
    if (auto w = ctx.chosen_wire(); w && (*w)->name() != wire::k_default) {
      o.scope += "\n" + std::string((*w)->name());
    }
  }
  auto reader = batch::make_reader(format, *in, f.file == "-" ? "stdin" : f.file);

  if (auto hooked = add_hooks(ctx, o); !hooked) return fail(hooked.error());
  batch_running() = true;
  auto summary = batch::run_batch(op, *reader, transport, o, ctx.out(), ctx.err());
  batch_running() = false;
  if (!summary) return fail(summary.error());
  count_rows(ctx, *summary);
  if (log::current_format() == log::Format::json) {
    if (!ctx.global.quiet) {
      json::object fields{{"summary", summary_json(*summary)},
                          {"exit_code", compute_exit_code({.batch = &*summary})}};
      log::message(summary->line(), "info", &fields);
    }
  } else {
    ctx.notice(summary->line());
  }
  if (summary->fatal) {
    Error e = *summary->fatal;
    if (!summary->journal.empty() && !f.dry_run) {
      e.hint += (e.hint.empty() ? "" : "; ") + std::string("the journal keeps what was done: ") +
                summary->journal.string();
    }
    return fail(std::move(e));
  }
  if (summary->failed > 0 && !summary->interrupted && !summary->stopped_early && !f.dry_run) {
    ctx.notice(std::to_string(summary->failed) + " row" + (summary->failed == 1 ? "" : "s") +
               " got no final answer after every retry (outcome \"failed\" in the results); run "
               "the same command with --resume to send only " +
               (summary->failed == 1 ? "it" : "them") + " (the journal, " +
               summary->journal.string() + ", keeps the others).");
  }
  if (summary->pending > 0 && !summary->interrupted && !summary->stopped_early) {
    // Pending is not a failure (exit 0 when nothing else went wrong): the rows were handed over
    // as asked, and their answers come later (a clearinghouse's inbox).
    ctx.notice(std::to_string(summary->pending) + " pending: handed over, answer" +
               (summary->pending == 1 ? " is" : "s are") +
               " not in yet; run the same command with --resume once the answers are in the "
               "inbox (pending rows are not sent again; the journal, " +
               summary->journal.string() + ", keeps the others).");
  }
  if (summary->interrupted || summary->stopped_early) {
    if (!f.dry_run) {
      ctx.notice("The journal keeps what was done (" + summary->journal.string() +
                 "); run the same command with --resume to finish the batch.");
    }
  }
  ctx.exit_code = compute_exit_code({.batch = &*summary});
  return {};
}

namespace {

// A reader over records already in memory.
class InMemoryRecords : public batch::RecordReader {
 public:
  explicit InMemoryRecords(std::vector<json::object> records) : m_records(std::move(records)) {}
  Expected<std::optional<batch::Record>> next() override {
    if (m_next >= m_records.size()) return std::optional<batch::Record>();
    batch::Record r;
    r.index = m_next;
    r.line = m_next + 1;
    r.fields = std::move(m_records[m_next++]);
    return std::optional<batch::Record>(std::move(r));
  }

 private:
  std::vector<json::object> m_records;
  std::size_t m_next = 0;
};

}  // namespace

Expected<std::vector<batch::RowResult>> run_records(Context& ctx, const batch::Operation& op,
                                                    std::vector<json::object> records,
                                                    const std::vector<std::string>& labels,
                                                    const BatchFlags* flags) {
  std::vector<FieldError> problems;
  for (std::size_t i = 0; i < records.size(); ++i) {
    batch::coerce_to_schema(op.schema, records[i]);
    if (op.prepare) op.prepare(records[i]);
    auto found = records::validate_record(op.schema, records[i]);
    if (found.empty() && op.check) found = op.check(records[i]);
    std::string label = i < labels.size() && !labels[i].empty() ? labels[i] + ": " : std::string();
    for (auto& fe : found) {
      if (!label.empty()) fe.field = label + fe.field;
      problems.push_back(std::move(fe));
    }
  }
  if (!problems.empty()) {
    Error e(ErrorKind::input,
            "the " + op.schema + " record" + (records.size() > 1 ? "s are" : " is") +
                " not valid; nothing was sent",
            "correct the fields named above");
    e.fields = std::move(problems);
    return fail(std::move(e));
  }
  auto transport = make_transport(ctx);
  if (!transport) return fail(transport.error());
  batch::RunOptions o;
  if (flags) {
    o.rate = flags->rate;
    o.max_attempts = flags->max_attempts;
  }
  if (auto applied = apply_profile_defaults(ctx, flags, o); !applied) return fail(applied.error());
  o.concurrency = 1;
  o.dry_run = false;
  o.input_name = "";  // not a file: the audit log names no input
  o.use_journal = false;
  o.quiet = true;
  if (auto hooked = add_hooks(ctx, o); !hooked) return fail(hooked.error());
  const std::size_t count = records.size();
  std::vector<batch::RowResult> out(count);
  std::vector<bool> answered(count, false);
  o.prevalidated = true;  // checked above, all of them before any was sent
  o.on_result = [&](std::size_t index, batch::RowResult result) {
    out[index] = std::move(result);
    answered[index] = true;
  };
  InMemoryRecords reader(std::move(records));
  std::ostringstream no_results;  // every result goes to on_result
  auto summary = batch::run_batch(op, reader, *transport, o, no_results, ctx.err());
  if (!summary) return fail(summary.error());
  count_rows(ctx, *summary);
  if (summary->fatal) return fail(*summary->fatal);
  if (summary->interrupted) return fail(ErrorKind::interrupted, "interrupted");
  for (bool a : answered) {
    if (!a) return fail(ErrorKind::internal, "the result of a request was lost");
  }
  return out;
}

namespace {

// The limits cache of the resolved profile, and the portal it is for.
Expected<std::pair<std::filesystem::path, std::string>> limits_cache(Context& ctx) {
  auto settings = ctx.settings();
  if (!settings) return fail(settings.error());
  return std::pair{ops::limits_cache_file(config::cache_dir(ctx.env()), (*settings)->profile_name),
                   (*settings)->profile.base_url};
}

std::string day_of(SysTime t) { return format_iso8601(t).substr(0, 10); }

}  // namespace

api::PortalLimits portal_limits(Context& ctx, bool dry_run) {
  auto cache = limits_cache(ctx);
  auto wire = ctx.chosen_wire();
  if (!cache || !wire) return {};
  ops::LimitsLookup lookup{cache->first, cache->second, SystemClock().now(), dry_run};
  auto known = ops::known_limits(lookup, [&]() -> Expected<std::optional<api::PortalLimits>> {
    auto api = ctx.api();
    if (!api) return fail(api.error());
    return ops::fetch_limits(**api, **wire);
  });
  const std::string generic = std::to_string(api::schema_additional_info_max_chars());
  switch (known.source) {
    case ops::LimitsSource::fetched:
      spdlog::debug("the portal's limits fetched and cached in {}", lookup.cache_file.string());
      break;
    case ops::LimitsSource::cached:
      if (lookup.now - known.fetched_at >= ops::k_limits_fresh_for) {
        ctx.notice("Checking against the portal's limits as cached on " + day_of(known.fetched_at) +
                   " (a run that sends asks the portal again).");
      }
      break;
    case ops::LimitsSource::stale_cache:
      ctx.notice("Checking against the portal's limits as cached on " + day_of(known.fetched_at) +
                 ": asking again failed (" + known.problem + ").");
      break;
    case ops::LimitsSource::not_known:
      ctx.notice("The portal's limits are not known (" + known.problem +
                 "): checking against the documented defaults only: additional_info at most "
                 "the schema's generic maximum of " +
                 generic +
                 " characters (the portal may accept fewer for a solution), documents at most " +
                 std::to_string(known.limits.document_max_bytes >> 20) + " MiB.");
      break;
  }
  return std::move(known.limits);
}

std::function<void()> forget_limits_when_refused(Context& ctx) {
  auto cache = limits_cache(ctx);
  if (!cache) return {};
  return [file = cache->first] {
    // Called from the sending threads: removing a file is safe to repeat.
    ops::forget_cached_limits(file);
    spdlog::info(
        "the portal refused additional_info the cached limits allowed: they are "
        "asked again on the next run");
  };
}

std::filesystem::path batch_base_dir(const std::string& batch_file) {
  if (batch_file.empty() || batch_file == "-") return {};
  return std::filesystem::path(batch_file).parent_path();
}

Error single_row_error(const batch::RowResult& result, std::string_view what) {
  std::string reason = result.code;
  std::replace(reason.begin(), reason.end(), '_', ' ');
  if (const auto* rr = result.answer.if_contains("reject_reason"); rr && rr->is_object()) {
    if (const auto* aaa = rr->get_object().if_contains("x12_aaa"); aaa && aaa->is_string()) {
      reason += ", X12 AAA " + std::string(aaa->get_string());
    }
  }
  Error e(result.outcome == "rejected" ? ErrorKind::refused : ErrorKind::unavailable,
          std::string(what) + " " + result.outcome + (reason.empty() ? "" : " (" + reason + ")") +
              ": " + result.message);
  e.code = result.code;
  e.http_status = result.http_status;
  e.fields = result.errors;
  return e;
}

bool report_pending(Context& ctx, const batch::RowResult& result) {
  if (result.outcome != "pending") return false;
  ctx.notice("pending: " + result.message);
  return true;
}

Expected<batch::RowResult> run_single(Context& ctx, const batch::Operation& op, json::object record,
                                      const BatchFlags* flags) {
  std::vector<json::object> one;
  one.push_back(std::move(record));
  auto results = run_records(ctx, op, std::move(one), {}, flags);
  if (!results) return fail(results.error());
  if (results->size() != 1) return fail(ErrorKind::internal, "the result of the request was lost");
  return std::move(results->front());
}

}  // namespace portal::cli
