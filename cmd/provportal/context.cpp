#include "context.hpp"

#include "portal/auth/login.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "portal/batch/runner.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/strings.hpp"

namespace portal::cli {

namespace {

// The terminal state to restore if SIGINT arrives while echo is off.
struct termios g_saved_termios;
volatile std::sig_atomic_t g_echo_off = 0;

std::map<const CLI::Option*, std::vector<std::string>>& choices_registry() {
  static std::map<const CLI::Option*, std::vector<std::string>> registry;
  return registry;
}

std::string strip_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

void restore_terminal_from_signal() {
  if (g_echo_off) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
    g_echo_off = 0;
  }
}

Context::Context(Streams streams, config::EnvLookup env)
    : m_streams(streams), m_env(std::move(env)) {}

Expected<void> Context::init() {
  // The profile's (or PROVPORTAL_*'s) defaults for -o and --log-format. A configuration that
  // cannot be resolved is said by the command that needs it, not here.
  auto resolved = settings();
  const config::Profile* defaults = resolved ? &(*resolved)->profile : nullptr;
  log::Options lo;
  lo.verbosity = global.verbosity;
  lo.quiet = global.quiet;
  const std::string& log_format =
      global.log_format.empty() && defaults ? defaults->log_format : global.log_format;
  lo.format = log_format == "json" ? log::Format::json : log::Format::text;
  log::setup(lo);
  spdlog::info("run {} of provportal {}", log::run_id(), PORTAL_VERSION);
  // A --metrics file that cannot be written is better said before the work than after it.
  for (const auto& given :
       {global.overrides.metrics_file, m_env("PROVPORTAL_METRICS").value_or("")}) {
    if (given.empty()) continue;
    auto dir = std::filesystem::path(given).parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
      m_metrics_unusable = true;  // said here; finish() need not say it again
      return fail(ErrorKind::usage,
                  "--metrics " + given + ": the directory " + dir.string() + " does not exist",
                  "give a file in an existing directory, e.g. the textfile collector's "
                  "/var/lib/prometheus/node-exporter/provportal.prom");
    }
    break;
  }
  if (global.fields_flag && global.fields_flag->count() > 0) {
    // Before anything is sent: a case must not be submitted only to fail at printing it.
    if (!m_valid_fields) {
      return fail(ErrorKind::usage, "--fields: this command prints no records to choose fields of",
                  "leave out --fields");
    }
    auto chosen = output::choose_fields(global.fields, *m_valid_fields);
    if (!chosen) return fail(chosen.error());
    m_fields = std::move(*chosen);
    m_render.fields = &*m_fields;
  }
  if (!global.output_file.empty()) {
    auto file = AtomicFile::create(global.output_file);
    if (!file) return fail(file.error());
    m_output_file = std::move(*file);
  }
  if (global.output.empty() && m_output_file) {
    // The file's extension says what it holds; JSON otherwise.
    auto ext = m_output_file->path().extension().string();
    m_format = ext == ".csv"                         ? output::Format::csv
               : ext == ".jsonl" || ext == ".ndjson" ? output::Format::jsonl
               : ext == ".yaml" || ext == ".yml"     ? output::Format::yaml
                                                     : output::Format::json;
  } else if (global.output.empty() && (!defaults || defaults->output.empty())) {
    m_format = m_streams.out_tty ? output::Format::table : output::Format::json;
  } else {
    const std::string& given = global.output.empty() ? defaults->output : global.output;
    auto f = output::parse_format(given);
    if (!f) return fail(ErrorKind::usage, "unknown output format " + given);
    m_format = *f;
  }
  // NO_COLOR (no-color.org), and a terminal that says it is dumb (Emacs shells, some CI logs).
  m_render.color = !m_output_file && m_streams.out_tty && !global.no_color &&
                   !m_env("NO_COLOR").has_value() && m_env("TERM").value_or("") != "dumb";
  return {};
}

bool Context::output_closed() {
  if (m_output_file) return false;
  m_streams.out.flush();
  if (!m_streams.out.fail()) return false;
  // A pipe's write end polls POLLERR once the last reader is gone.
  pollfd p{STDOUT_FILENO, POLLOUT, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

Expected<void> Context::commit_output() {
  if (!m_output_file) {
    m_streams.out.flush();
    if (!m_streams.out) {
      return fail(ErrorKind::internal, "the output could not be written completely to stdout",
                  "check the disk space, or the program reading the output");
    }
    return {};
  }
  if (m_output_file->committed()) return {};
  return m_output_file->commit();
}

void Context::abandon_output() {
  if (!m_output_file || m_output_file->committed()) return;
  m_output_file->abandon();
  notice(m_output_file->path().string() + " was left as it was: the output was not complete");
}

Expected<config::ConfigFile*> Context::config_file() {
  if (!m_config) {
    auto c = config::load_config(config::config_path(m_env));
    if (!c) return fail(c.error());
    m_config = std::move(*c);
  }
  return &*m_config;
}

Expected<const config::Resolved*> Context::settings() {
  if (!m_settings) {
    auto file = config_file();
    if (!file) return fail(file.error());
    auto flags = global.overrides;
    if (global.wait || !flags.max_wait.empty()) flags.wait = "true";
    flags.output = global.output;
    flags.log_format = global.log_format;
    if (global.timeout > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", global.timeout);
      flags.timeout = buf;
    }
    auto r = config::resolve(**file, flags, m_env);
    if (!r) return fail(r.error());
    m_settings = std::move(*r);
    m_telemetry.set_who({m_settings->profile_name, m_settings->profile.email, command});
    spdlog::debug("profile {}, portal {}", m_settings->profile_name, m_settings->profile.base_url);
  }
  return &*m_settings;
}

Expected<std::shared_ptr<const wire::Wire>> Context::chosen_wire() {
  if (m_wire) return m_wire;
  auto s = settings();
  if (!s) return fail(s.error());
  const auto& p = (*s)->profile;
  wire::Settings ws;
  ws.base_url = p.base_url;
  ws.endpoint = p.endpoint;
  ws.core_form = p.core_form;
  ws.core_mode = p.core_mode;
  ws.sender_id = p.sender_id;
  ws.receiver_id = p.receiver_id;
  ws.usage_indicator = p.usage_indicator;
  ws.payers_file = p.payers_file;
  ws.state_dir = config::state_dir(m_env);
  ws.username = p.email;
  ws.outbox = p.outbox;
  ws.inbox = p.inbox;
  // The WS-Security password: the profile's secret sources, read when the first message goes.
  if (!p.password_file.empty() || !p.password_command.empty()) {
    ws.password = [this, profile = p]() { return password({}, "", &profile); };
  }
  ws.connect = [this]() -> Expected<std::unique_ptr<http::Client>> {
    auto o = client_options();
    if (!o) return fail(o.error());
    return http::Client::create(std::move(*o));
  };
  auto made = wire::make(p.wire.empty() ? wire::k_default : std::string_view(p.wire), ws);
  if (!made) return fail(made.error());
  m_wire = std::move(*made);
  return m_wire;
}

Expected<http::ClientOptions> Context::client_options() {
  auto s = settings();
  if (!s) return fail(s.error());
  const auto& p = (*s)->profile;
  if (!p.ca_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(p.ca_file, ec)) {
      std::string hint = (*s)->base_url_is_default
                             ? "start the sandbox with `provportal-sandbox serve`, or pass "
                               "--base-url and --ca-file"
                             : "check --ca-file / PROVPORTAL_CA_FILE / the profile's ca_file";
      // A configuration error whoever set it (exit 2): waiting and trying again cannot fix it.
      return fail(ErrorKind::usage, "CA file " + p.ca_file + " does not exist", hint);
    }
  }
  http::ClientOptions o;
  o.base_url = p.base_url;
  // A wire with an endpoint of its own (a CAQH CORE endpoint) is reached there.
  if (!p.wire.empty() && p.wire != wire::k_default) {
    if (auto w = chosen_wire(); w && !(*w)->endpoint().empty()) {
      const std::string url = (*w)->endpoint();
      const auto host = url.find("://");
      const auto path = url.find('/', host == std::string::npos ? 0 : host + 3);
      o.base_url = url.substr(0, path);
    }
  }
  o.tls.ca_file = p.ca_file;
  o.tls.client_cert_file = p.client_cert;
  o.tls.client_key_file = p.client_key;
  o.user_agent = std::string("provportal/") + PORTAL_VERSION;
  // A portal that answers one byte at a time must not hold a cron job for long: one deadline
  // covers each whole exchange (and each connection), however the bytes trickle in.
  // --timeout, PROVPORTAL_TIMEOUT or the profile's timeout (checked when resolved).
  double seconds = p.timeout.empty() ? 0 : std::strtod(p.timeout.c_str(), nullptr);
  if (seconds > 0) {
    o.request_timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    o.connect_timeout = std::min(o.connect_timeout, o.request_timeout);
  }
  return o;
}

Expected<api::PortalApi*> Context::api() {
  if (m_api) return m_api.get();
  auto o = client_options();
  if (!o) return fail(o.error());
  auto client = http::Client::create(std::move(*o));
  if (!client) return fail(client.error());
  // The audit log is opened before anything is sent: a submission it could not record is not made.
  if (auto audit = open_audit_log(); !audit) return fail(audit.error());
  auto wait = outage();
  if (!wait) return fail(wait.error());
  m_api = std::make_unique<api::PortalApi>(std::move(*client));
  m_api->set_observer(&m_telemetry);
  m_api->set_outage_wait(*wait);
  return m_api.get();
}

Expected<void> Context::open_audit_log() {
  if (m_audit) return {};
  auto s = settings();
  if (!s) return fail(s.error());
  std::filesystem::path path = (*s)->profile.audit_log.empty()
                                   ? config::default_audit_log(m_env)
                                   : std::filesystem::path((*s)->profile.audit_log);
  auto audit = std::make_unique<log::AuditLog>(path);
  if (auto opened = audit->open(); !opened) return fail(opened.error());
  m_audit = std::move(audit);
  m_telemetry.set_audit(m_audit.get());
  return {};
}

namespace {}  // namespace

Expected<api::OutageWait*> Context::outage() {
  if (m_outage_resolved) return m_outage.get();
  auto s = settings();
  if (!s) return fail(s.error());
  const auto& p = (*s)->profile;
  // A bound given anywhere (flag, environment, profile) means waiting, unless wait says false.
  bool wait = !p.max_wait.empty();
  if (!p.wait.empty()) {
    auto b = config::parse_bool(p.wait);
    if (!b) {
      return fail(ErrorKind::usage, "wait must be true or false, not \"" + p.wait + "\"",
                  "check PROVPORTAL_WAIT and the profile's wait (provportal config get wait)");
    }
    wait = *b;
  }
  m_outage_resolved = true;
  if (!wait) return nullptr;
  api::WaitOptions o;
  if (!p.max_wait.empty()) {
    auto d = parse_duration(p.max_wait);
    if (!d || d->count() <= 0 || *d > std::chrono::hours{24 * 31}) {
      m_outage_resolved = false;
      return fail(
          ErrorKind::usage,
          "--max-wait " + p.max_wait + ": give a duration from 1s to 31d, such as 90m, 6h or 1d12h",
          "it bounds the time the whole run may spend waiting (also PROVPORTAL_MAX_WAIT or the "
          "profile's max_wait)");
    }
    o.max_wait = *d;
  }
  if (auto poll = m_env("PROVPORTAL_WAIT_POLL")) {
    auto d = parse_duration(*poll);
    if (!d || d->count() <= 0) {
      m_outage_resolved = false;
      return fail(ErrorKind::usage, "PROVPORTAL_WAIT_POLL must be a duration such as 30s or 2m");
    }
    o.poll = *d;
  }
  auto client_opts = client_options();
  if (!client_opts) return fail(client_opts.error());
  // The probe and the keepalive share a connection of their own: they run on whichever thread
  // leads the wait.
  struct Side {
    http::ClientOptions options;
    std::unique_ptr<api::PortalApi> api;
    api::PortalApi* get() {
      if (!api) {
        auto c = http::Client::create(options);
        if (!c) return nullptr;
        api::RetryPolicy once;
        once.max_attempts = 1;
        api = std::make_unique<api::PortalApi>(std::move(*c), once);
      }
      return api.get();
    }
  };
  auto side = std::make_shared<Side>(Side{*client_opts, nullptr});
  o.probe = [side]() -> std::optional<std::chrono::seconds> {
    auto* a = side->get();
    if (!a) return std::nullopt;
    auto health = a->health();
    if (!health) return std::nullopt;
    return api::downtime_left(*health);
  };
  // The session in the cache is the one every connection of this profile goes on with (a
  // renewal saves there first): touching it keeps it from ending while the run waits.
  o.keepalive = [side,
                 store = auth::SessionStore(config::sessions_dir(m_env), (*s)->profile_name)] {
    auto* a = side->get();
    if (!a) return;
    auto cached = store.load();
    if (!cached || !*cached || (*cached)->base_url != a->base_url()) return;
    a->set_token((*cached)->token);
    if (auto touched = a->profile(); touched)
      spdlog::info("kept the session alive while waiting");
    else
      spdlog::info("could not keep the session alive while waiting: {}", touched.error().message);
  };
  if (auto every = m_env("PROVPORTAL_KEEPALIVE")) {
    auto d = parse_duration(*every);
    if (!d || d->count() <= 0) {
      m_outage_resolved = false;
      return fail(ErrorKind::usage, "PROVPORTAL_KEEPALIVE must be a duration such as 10m or 30s");
    }
    o.keepalive_every = *d;
  }
  o.cancelled = [] { return batch::stop_flag().load(); };
  m_outage = std::make_unique<api::OutageWait>(std::move(o));
  return m_outage.get();
}

std::filesystem::path Context::metrics_path() const {
  if (m_settings) return m_settings->profile.metrics_file;
  if (!global.overrides.metrics_file.empty()) return global.overrides.metrics_file;
  return m_env("PROVPORTAL_METRICS").value_or("");
}

void Context::finish(int exit_code) {
  std::lock_guard lock(m_finish_mutex);
  if (m_finished) return;
  m_finished = true;
  if (m_audit) m_audit->sync();
  auto path = metrics_path();
  if (path.empty() || m_metrics_unusable) return;
  if (m_outage) m_metrics.waited(m_outage->waited().count());
  auto who = m_telemetry.who();
  metrics::RunInfo run;
  run.profile = who.profile.empty() ? std::string(config::k_default_profile) : who.profile;
  run.command = command;
  run.run_id = log::run_id();
  run.version = PORTAL_VERSION;
  run.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
  run.exit_code = exit_code;
  run.end_timestamp =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Exit 1 finished the work too (every row has its final answer; some were refused).
  if (exit_code == 0 || exit_code == 1) {
    run.last_success = run.end_timestamp;
  } else {
    run.last_success = metrics::last_success_in(path, run.profile, run.command);
  }
  if (auto written = metrics::write_file(path, m_metrics.render(run)); !written) {
    log::message("error: " + written.error().message, "error");
  }
}

Expected<auth::SessionStore> Context::session_store() {
  auto s = settings();
  if (!s) return fail(s.error());
  return auth::SessionStore(config::sessions_dir(m_env), (*s)->profile_name);
}

auth::TotpStepMemory Context::totp_steps() const {
  return auth::TotpStepMemory(config::sessions_dir(m_env));
}

Expected<api::PortalApi*> Context::api_with_session() {
  auto a = api();
  if (!a) return fail(a.error());
  if (m_session_loaded) return *a;
  auto store = session_store();
  if (!store) return fail(store.error());
  SystemClock clock;
  auto session = auth::use_session(*store, **a, clock);
  if (!session) return fail(session.error());
  if (!session->email.empty()) set_account(session->email);
  (*a)->set_renewal(session_renewal(*this));
  // The cache is a plain file: a damaged or tampered token that is not one printable word would
  // put a line break (a forged header) next to Authorization. Refuse it before any request.
  for (unsigned char c : (*a)->token()) {
    if (c <= 0x20 || c >= 0x7f) {
      (*a)->set_token({});
      return fail(ErrorKind::auth,
                  "not logged in: the cached session token is damaged (it holds a control "
                  "character or a space); nothing was sent",
                  "run `provportal login` to replace it");
    }
  }
  m_session_loaded = true;
  return *a;
}

void Context::print(const boost::json::value& value) {
  output::render(out(), value, m_format, m_render);
}

void Context::notice(std::string_view text) {
  if (global.quiet) return;
  if (log::current_format() == log::Format::json) {
    m_streams.err.flush();
    log::message(text);
    return;
  }
  m_streams.err << log::redact(text) << '\n';
  m_streams.err.flush();
}

Expected<std::string> Context::prompt_line(const std::string& question) {
  if (!can_prompt()) {
    return fail(ErrorKind::usage, "cannot ask \"" + question + "\" without a terminal");
  }
  m_streams.err << question << std::flush;
  std::string line;
  if (!std::getline(m_streams.in, line)) return fail(ErrorKind::interrupted, "input closed");
  return strip_newline(line);
}

Expected<std::string> Context::prompt_secret(const std::string& question) {
  if (!can_prompt()) {
    return fail(ErrorKind::usage, "cannot ask \"" + question + "\" without a terminal");
  }
  m_streams.err << question << std::flush;
  struct termios t;
  bool hidden = ::tcgetattr(STDIN_FILENO, &t) == 0;
  if (hidden) {
    g_saved_termios = t;
    t.c_lflag &= static_cast<tcflag_t>(~ECHO);
    t.c_lflag |= ECHONL;
    g_echo_off = 1;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(m_streams.in, line));
  if (hidden) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    g_echo_off = 0;
  }
  if (!ok) return fail(ErrorKind::interrupted, "input closed");
  line = strip_newline(line);
  log::register_secret(line);
  return line;
}

Expected<std::string> Context::stdin_line(const std::string& what) {
  std::string line;
  if (!std::getline(m_streams.in, line)) {
    return fail(ErrorKind::input, "stdin ended before the " + what);
  }
  line = strip_newline(line);
  log::register_secret(line);
  return line;
}

Expected<std::string> Context::read_secret_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorKind::input, "cannot read the " + what + " file " + path);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    spdlog::warn("{} is readable by other users; chmod 600 it", path);
  }
  std::string line;
  std::getline(in, line);
  line = strip_newline(line);
  if (line.empty()) return fail(ErrorKind::input, "the " + what + " file " + path + " is empty");
  log::register_secret(line);
  return line;
}

Expected<std::string> Context::password(const PasswordFlags& flags, const std::string& question,
                                        const config::Profile* profile) {
  if (flags.from_stdin) return stdin_line("password");
  if (!flags.file.empty()) return read_secret_file(flags.file, "password");
  if (!flags.command.empty()) return auth::run_secret_command(flags.command, "--password-command");
  if (profile && !profile->password_file.empty())
    return read_secret_file(profile->password_file, "password");
  if (profile && !profile->password_command.empty())
    return auth::run_secret_command(profile->password_command, "the profile's password_command");
  if (can_prompt()) return prompt_secret(question);
  return fail(ErrorKind::usage,
              std::string("a password is needed and ") +
                  (global.no_input ? "--no-input forbids asking" : "stdin is not a terminal"),
              "pass --password-stdin (password on the first line of stdin), --password-file FILE "
              "or --password-command CMD (a secret manager's CLI)");
}

Expected<std::string> Context::new_password(const std::string& file, bool from_stdin,
                                            const std::string& flag_hint) {
  if (!file.empty()) return read_secret_file(file, "new password");
  if (from_stdin) return stdin_line("new password");
  if (!can_prompt()) {
    return fail(ErrorKind::usage,
                std::string("a new password is needed and ") +
                    (global.no_input ? "--no-input forbids asking" : "stdin is not a terminal"),
                flag_hint);
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto first = prompt_secret("New password: ");
    if (!first) return first;
    auto second = prompt_secret("New password again: ");
    if (!second) return second;
    if (*first == *second) return first;
    m_streams.err << "The passwords differ; try again.\n";
  }
  return fail(ErrorKind::input, "the new passwords did not match");
}

void add_password_flags(CLI::App& cmd, PasswordFlags& flags) {
  auto* s = cmd.add_flag("--password-stdin", flags.from_stdin,
                         "Read the password from the first line of stdin");
  auto* f = cmd.add_option("--password-file", flags.file, "Read the password from FILE (chmod 600)")
                ->type_name("FILE");
  auto* c = cmd.add_option("--password-command", flags.command,
                           "Run CMD (with /bin/sh) when the password is needed; its stdout is the "
                           "password (e.g. 'pass show portal/maria', 'vault kv get -field=pw ...')")
                ->type_name("CMD");
  s->excludes(f);
  s->excludes(c);
  f->excludes(c);
}

CLI::Option* with_choices(CLI::Option* option, std::vector<std::string> choices, bool enforce) {
  if (enforce) option->check(CLI::IsMember(choices));
  choices_registry()[option] = std::move(choices);
  return option;
}

const std::vector<std::string>& choices_of(const CLI::Option* option) {
  static const std::vector<std::string> k_none;
  auto it = choices_registry().find(option);
  return it == choices_registry().end() ? k_none : it->second;
}

}  // namespace portal::cli
