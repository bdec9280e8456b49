// provportal: the command-line tool of the provider portal. Errors become exit codes here only.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <thread>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "batch_cmd.hpp"
#include "commands.hpp"
#include "context.hpp"
#include "exit_code.hpp"
#include "man_page.hpp"
#include "portal/log/log.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/clock.hpp"
#include "version.hpp"

namespace {

using portal::cli::Context;

constexpr const char* k_help_footer =
    "Environment: PROVPORTAL_PROFILE, PROVPORTAL_BASE_URL, PROVPORTAL_CA_FILE,\n"
    "PROVPORTAL_CLIENT_CERT, PROVPORTAL_CLIENT_KEY, PROVPORTAL_TIMEOUT, PROVPORTAL_WAIT,\n"
    "PROVPORTAL_MAX_WAIT, PROVPORTAL_WAIT_POLL, PROVPORTAL_METRICS, PROVPORTAL_AUDIT_LOG,\n"
    "PROVPORTAL_WIRE, PROVPORTAL_OUTPUT, PROVPORTAL_LOG_FORMAT, PROVPORTAL_CONCURRENCY,\n"
    "PROVPORTAL_RATE, PROVPORTAL_MAX_ATTEMPTS, "
    "NO_COLOR (or TERM=dumb: no colour), XDG_CONFIG_HOME, XDG_STATE_HOME.\n"
    "\n"
    "Examples:\n"
    "  provportal register --provider-type physician --npi 1234567893 --tax-id 36-1234567 \\\n"
    "      --first-name Maria --last-name Lopez --email maria@clinic.example \\\n"
    "      --phone 312-555-0142 --fax 312-555-0143 --accept-terms\n"
    "  provportal verify-email --email maria@clinic.example --code 123456\n"
    "  provportal login --email maria@clinic.example\n"
    "  provportal whoami -o json\n"
    "  provportal claim-status --since last -O claims.jsonl     # nightly: the claims that "
    "changed\n"
    "  # unattended (cron): log in only when needed, wait out the Sunday maintenance window for\n"
    "  # up to 6 hours, JSON logs, metrics for node-exporter\n"
    "  provportal login --if-needed --password-file ~/.pw --totp-secret-file ~/.totp\n"
    "  provportal --wait --max-wait 6h --log-format json \\\n"
    "      --metrics /var/lib/prometheus/node-exporter/provportal.prom \\\n"
    "      check-eligibility --batch members.csv --results results.csv\n"
    "  provportal --audit-log /var/log/provportal/audit.jsonl submit-case --batch cases.csv\n";

// SIGINT and SIGTERM are blocked in every thread and taken here, on a thread of their own, so that
// an interrupt can do what a signal handler may not: write the metrics file and log in JSON.
void handle_signals(Context* ctx, sigset_t set) {
  for (;;) {
    int sig = 0;
    if (::sigwait(&set, &sig) != 0) continue;
    portal::cli::restore_terminal_from_signal();
    // A running batch stops sending, saves its journal and exits 130 by itself; a second
    // interrupt (or any outside a batch) ends the process at once.
    // A new line after the ^C a terminal echoed; JSON logs stay one object per line.
    const bool text = portal::log::current_format() == portal::log::Format::text;
    if (portal::cli::batch_running().load() && !portal::batch::stop_flag().exchange(true)) {
      if (text) std::fputs("\n", stderr);
      portal::log::message("interrupted: saving the journal (interrupt again to quit at once)",
                           "warning");
      continue;
    }
    if (text) std::fputs("\n", stderr);
    portal::log::message("interrupted", "warning");
    portal::remove_part_files_from_signal();  // an unfinished --output-file never takes FILE's
                                              // place
    const portal::Error interrupted(portal::ErrorKind::interrupted, "interrupted");
    const int rc = portal::cli::compute_exit_code({.error = &interrupted});
    ctx->finish(rc);
    ::_exit(rc);
  }
}

void setup_globals(CLI::App& app, Context& ctx) {
  auto& g = ctx.global;
  const char* k_group = "Global options";
  app.add_option("--profile", g.overrides.profile, "Configuration profile to use")
      ->type_name("NAME")
      ->group(k_group);
  app.add_option("--base-url", g.overrides.base_url, "Portal URL, e.g. https://portal.example")
      ->type_name("URL")
      ->group(k_group);
  app.add_option("--ca-file", g.overrides.ca_file, "PEM CA bundle to trust instead of the system's")
      ->type_name("FILE")
      ->group(k_group);
  app.add_option("--client-cert", g.overrides.client_cert, "PEM client certificate (mutual TLS)")
      ->type_name("FILE")
      ->group(k_group);
  app.add_option("--client-key", g.overrides.client_key, "PEM key of the client certificate")
      ->type_name("FILE")
      ->group(k_group);
  portal::cli::with_choices(
      app.add_option("-o,--output", g.output,
                     "Output format: table|json|jsonl|csv|yaml (default: table on a terminal, "
                     "json otherwise)")
          ->type_name("FORMAT")
          ->group(k_group),
      {"table", "json", "jsonl", "csv", "yaml"});
  app.add_flag("-v,--verbose", g.verbosity, "More log output on stderr (-v info, -vv debug)")
      ->group(k_group);
  app.add_flag("-q,--quiet", g.quiet, "Only errors on stderr")->group(k_group);
  portal::cli::with_choices(
      app.add_option("--log-format", g.log_format, "Log and error format on stderr: text|json")
          ->type_name("FORMAT")
          ->group(k_group),
      {"text", "json"});
  app.add_flag("--no-input", g.no_input, "Never prompt; fail naming the flag to use instead")
      ->group(k_group);
  app.add_flag("--no-color", g.no_color, "No colour in output (also NO_COLOR)")->group(k_group);
  g.fields_flag =
      app.add_option(
             "--fields", g.fields,
             "Keep only these fields, in this order, in every format: names as table and CSV "
             "show them (dotted for nested ones, e.g. organization.name); an unknown name "
             "lists the valid ones")
          ->type_name("A,B,C")
          ->group(k_group);
  app.add_option("-O,--output-file", g.output_file,
                 "Write the output to FILE, whole or not at all (FILE.part, then renamed); the "
                 "format follows the extension (.json .jsonl .csv .yaml) unless -o says")
      ->type_name("FILE")
      ->group(k_group);
  app.add_flag("--wait", g.wait,
               "Wait out the maintenance window and other announced outages (503/429 with "
               "Retry-After) and go on, for at most --max-wait in all (also PROVPORTAL_WAIT)")
      ->group(k_group);
  app.add_option("--max-wait", g.overrides.max_wait,
                 "The most the run may spend waiting, e.g. 90m, 6h (default 6h; implies --wait; "
                 "also PROVPORTAL_MAX_WAIT)")
      ->type_name("DURATION")
      ->group(k_group);
  app.add_option("--metrics", g.overrides.metrics_file,
                 "Write the run's metrics to FILE (Prometheus text format, for node-exporter's "
                 "textfile collector; also PROVPORTAL_METRICS)")
      ->type_name("FILE")
      ->group(k_group);
  app.add_option("--audit-log", g.overrides.audit_log,
                 "Append the audit entries of submissions to FILE (default "
                 "$XDG_STATE_HOME/provportal/audit.jsonl; also PROVPORTAL_AUDIT_LOG)")
      ->type_name("FILE")
      ->group(k_group);
  app.add_option("--wire", g.overrides.wire,
                 "How records travel to the portal: portal-json (the portal's JSON API, the "
                 "default); also PROVPORTAL_WIRE and the profile's `wire` key")
      ->type_name("NAME")
      ->group(k_group);
  app.add_option("--timeout", g.timeout,
                 "Seconds to wait for each connection and each answer of the portal (default 60; "
                 "also PROVPORTAL_TIMEOUT)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.1, 86400.0))
      ->group(k_group);
}

void report(Context& ctx, const portal::Error& e) {
  using portal::log::redact;
  if (portal::log::current_format() == portal::log::Format::json) {
    boost::json::object o{{"ts", portal::format_iso8601(portal::SystemClock().now())},
                          {"level", "error"},
                          {"kind", portal::kind_name(e.kind)},
                          {"msg", redact(e.message)}};
    if (!e.hint.empty()) o["hint"] = redact(e.hint);
    if (!e.code.empty()) o["code"] = e.code;
    if (e.http_status != 0) o["http_status"] = e.http_status;
    if (!e.fields.empty()) {
      boost::json::array fields;
      for (const auto& f : e.fields) {
        fields.push_back(boost::json::object{{"field", f.field}, {"message", redact(f.message)}});
      }
      o["fields"] = std::move(fields);
    }
    o["run_id"] = portal::log::run_id();
    ctx.err() << boost::json::serialize(o) << std::endl;
    return;
  }
  ctx.err() << "error: " << redact(e.message) << '\n';
  for (const auto& f : e.fields) ctx.err() << "  " << f.field << ": " << redact(f.message) << '\n';
  if (!e.hint.empty()) ctx.err() << "hint: " << redact(e.hint) << '\n';
  ctx.err().flush();
}

// A usage error in the format --log-format asks for (CLI11 prints text of its own).
bool wants_json_logs(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--log-format=json" ||
        (a == "--log-format" && i + 1 < argc && std::string_view(argv[i + 1]) == "json")) {
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  Context ctx({std::cin, std::cout, std::cerr, ::isatty(STDIN_FILENO) == 1,
               ::isatty(STDOUT_FILENO) == 1, ::isatty(STDERR_FILENO) == 1},
              portal::config::process_env());
  std::thread(handle_signals, &ctx, signals).detach();

  CLI::App app{
      "provportal: the provider portal from the command line (register, log in with "
      "MFA, keep your profile current)",
      "provportal"};
  // --version is answered before parsing, so `-o json` anywhere on the line applies to it.
  if (auto version = portal::cli::version_requested(argc, argv); !version.empty()) {
    std::cout << version << std::flush;
    return 0;
  }
  bool version_listed = false;  // answered above; the flag is here for --help
  app.add_flag("--version", version_listed,
               "Print the version, the commit, the build type and the versions of OpenSSL, Boost "
               "and SQLite (-o json: as an object), then exit");
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(std::string(portal::cli::k_exit_codes_help) + "\n" + k_help_footer);
  app.get_formatter()->column_width(34);
  setup_globals(app, ctx);

  portal::cli::setup_register(app, ctx);
  portal::cli::setup_verify_email(app, ctx);
  portal::cli::setup_login(app, ctx);
  portal::cli::setup_logout(app, ctx);
  portal::cli::setup_whoami(app, ctx);
  portal::cli::setup_update_profile(app, ctx);
  portal::cli::setup_reset_password(app, ctx);
  portal::cli::setup_check_eligibility(app, ctx);
  portal::cli::setup_submit_case(app, ctx);
  portal::cli::setup_upload_docs(app, ctx);
  portal::cli::setup_update_case(app, ctx);
  portal::cli::setup_cancel_case(app, ctx);
  portal::cli::setup_search_orders(app, ctx);
  portal::cli::setup_claim_status(app, ctx);
  portal::cli::setup_x12(app, ctx);
  portal::cli::setup_remittance(app, ctx);
  portal::cli::setup_config(app, ctx);
  portal::cli::setup_completion(app, ctx);

  // `provportal --man-pages DIR`: the build writes the man pages from this command tree.
  if (int rc = portal::man::answer_man_pages_request(
          argc, argv, app,
          {"provportal", PORTAL_VERSION, portal::cli::k_exit_codes_help, {"provportal-sandbox"}});
      rc >= 0) {
    return rc;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 says only "A subcommand is required" for a mistyped one; name it.
    if (dynamic_cast<const CLI::RequiredError*>(&e) && app.get_subcommands().empty()) {
      for (const auto& extra : app.remaining()) {
        if (!extra.empty() && extra.front() != '-') {
          std::cerr << "error: unknown subcommand \"" << extra << "\"\n"
                    << "hint: run `provportal --help` for the list of subcommands\n";
          return 2;
        }
      }
    }
    if (e.get_exit_code() != 0 && wants_json_logs(argc, argv)) {
      portal::log::setup({0, false, portal::log::Format::json});
      report(ctx, portal::Error(portal::ErrorKind::usage, e.what(), "run `provportal --help`"));
      return 2;
    }
    int rc = app.exit(e, std::cout, std::cerr);
    return rc == 0 ? 0 : 2;
  }
  for (const auto* sub : app.get_subcommands()) ctx.command = sub->get_name();

  portal::Expected<void> result;
  try {
    result = ctx.init();
    if (result && ctx.action) result = ctx.action();
  } catch (const std::exception& e) {
    // A bug: say what escaped, in one line, and exit 70 rather than abort.
    result = portal::fail(portal::ErrorKind::internal, std::string("internal error: ") + e.what(),
                          "please report it with the command and its -vv output");
  } catch (...) {
    result = portal::fail(portal::ErrorKind::internal, "internal error: an unknown exception",
                          "please report it with the command and its -vv output");
  }
  // Output that did not all reach a reader who went away (`| head -1`) ends the command quietly.
  if (result && ctx.output_closed()) result = portal::fail(portal::ErrorKind::output_closed, "");
  int rc = ctx.exit_code;
  // The output counts only when the run finished: a batch with rejected rows did (exit 1); an
  // interrupted or failed one did not, and its --output-file is dropped.
  if (result && (ctx.exit_code == 0 || ctx.exit_code == 1)) {
    result = ctx.commit_output();
  } else {
    ctx.abandon_output();
  }
  if (!result) {
    if (result.error().kind != portal::ErrorKind::output_closed) report(ctx, result.error());
    rc = portal::cli::compute_exit_code({.error = &result.error()});
  }
  ctx.finish(rc);
  if (rc == portal::cli::k_exit_output_closed) {
    // Die of SIGPIPE as the other programs of a pipeline do, so the shell and `set -o pipefail`
    // read it the same way (SIGPIPE was ignored to get EPIPE and clean up first).
    std::signal(SIGPIPE, SIG_DFL);
    std::raise(SIGPIPE);
  }
  return rc;
}
