// The per-run context every subcommand gets: global flags, resolved settings, streams and
// terminals, the lazily created API client and the session cache.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "portal/api/outage_wait.hpp"
#include "portal/api/portal_api.hpp"
#include "portal/api/telemetry.hpp"
#include "portal/auth/session.hpp"
#include "portal/auth/totp_steps.hpp"
#include "portal/config/config.hpp"
#include "portal/log/audit_log.hpp"
#include "portal/log/log.hpp"
#include "portal/log/metrics.hpp"
#include "portal/output/output.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace portal::cli {

// The flags that apply to every subcommand.
struct GlobalOptions {
  config::FlagOverrides overrides;
  std::string output;  // empty: table on a terminal, json otherwise
  int verbosity = 0;
  bool quiet = false;
  std::string log_format;  // --log-format text|json (empty: the profile's, else text)
  bool no_input = false;
  bool no_color = false;
  double timeout = 0;       // --timeout SECONDS (0: PROVPORTAL_TIMEOUT, else the client's defaults)
  std::string output_file;  // -O/--output-file FILE: the machine output, written aside and renamed
  bool wait = false;        // --wait (the rest of the unattended flags are in `overrides`)
  std::string fields;       // --fields a,b,c: the output's fields to keep
  const CLI::Option* fields_flag = nullptr;  // given when its count() > 0 (even as "")
};

// How a command may obtain a password without putting it in argv.
struct PasswordFlags {
  bool from_stdin = false;  // --password-stdin
  std::string file;         // --password-file
  std::string command;      // --password-command: its stdout is the password
};

class Context;

// After a 401 in the middle of a run (a session that ended during a long --wait, or that another
// job replaced): the session token to go on with. The one another process of the same profile
// left in the cache, or else, when the profile holds every secret an unattended login needs
// (email; password_file or password_command; totp_secret_file, totp_secret_command or
// otp_command), a new login saved to the cache; nullopt when there is neither. Defined in
// login.cpp.
using SessionRenewal =
    std::function<Expected<std::optional<std::string>>(const std::string& rejected)>;
SessionRenewal session_renewal(Context& ctx);

class Context {
 public:
  struct Streams {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    bool in_tty = false;
    bool out_tty = false;
    bool err_tty = false;
  };

  Context(Streams streams, config::EnvLookup env);

  GlobalOptions global;
  // The subcommand being run ("check-eligibility"), for metrics and the audit log.
  std::string command;
  // The work of the chosen subcommand, set by its parse callback and run by main after parsing.
  std::function<Expected<void>()> action;
  // The exit code of a run whose action succeeded (a batch with rejected rows sets 1).
  int exit_code = 0;

  // Declares the fields the chosen subcommand prints (dotted names, as table and CSV show them),
  // so that init() checks --fields before anything is sent. Called by the parse callback of a
  // subcommand that prints records, for the mode its flags chose (a batch prints result lines).
  void declare_fields(std::vector<std::string> valid) { m_valid_fields = std::move(valid); }
  // The --fields choice of this run (checked by init()), or nullptr: every field.
  const output::FieldChoice* fields() const { return m_fields ? &*m_fields : nullptr; }

  // Applies the global flags that need no configuration: logging, output format, colour,
  // --fields (a usage error listing the valid names), and opens --output-file (as FILE.part; the
  // format follows its extension unless -o says).
  Expected<void> init();

  // The settings of this run (flags > env > config > defaults), resolved on first use.
  Expected<const config::Resolved*> settings();
  // The wire the profile's `wire` key (or --wire, PROVPORTAL_WIRE) names; the portal's JSON API
  // by default. ErrorKind::usage naming the wires there are for an unknown name.
  Expected<std::shared_ptr<const wire::Wire>> chosen_wire();
  // What `make` (an ops:: function of the wire) builds over the chosen wire.
  template <class Make>
  auto over_chosen_wire(Make&& make) -> decltype(make(std::shared_ptr<const wire::Wire>())) {
    auto w = chosen_wire();
    if (!w) return fail(w.error());
    return make(std::move(*w));
  }
  // The config file as read (empty when there is none).
  Expected<config::ConfigFile*> config_file();
  const config::EnvLookup& env() const { return m_env; }

  // How to reach the resolved portal (base URL, TLS files, user agent).
  Expected<http::ClientOptions> client_options();
  // Opens the profile's audit log (once) before anything is sent.
  Expected<void> open_audit_log();
  // The API client for the resolved base URL, created on first use.
  Expected<api::PortalApi*> api();
  // The session cache of the resolved profile.
  Expected<auth::SessionStore> session_store();
  // The TOTP steps this machine spent (beside the sessions, in the config directory).
  auth::TotpStepMemory totp_steps() const;
  // The API with this profile's session (refreshed when near expiry); auth error otherwise.
  Expected<api::PortalApi*> api_with_session();

  // The hooks that see every exchange and request: metrics and the audit log.
  api::Telemetry& telemetry() { return m_telemetry; }
  metrics::Registry& metrics() { return m_metrics; }
  // The account this run acts for (an email), for the audit log.
  void set_account(std::string email) { m_telemetry.set_account(std::move(email)); }
  // --wait (flag, PROVPORTAL_WAIT or the profile): the shared wait for announced outages; null
  // when the run does not wait. ErrorKind::usage for a bad value.
  Expected<api::OutageWait*> outage();
  // Ends the run: syncs the audit log and writes --metrics with `exit_code`. Once per process;
  // safe to call from the signal thread while the main thread runs.
  void finish(int exit_code);

  // Writes a result to stdout in the chosen format.
  void print(const boost::json::value& value);
  // A message for the person (stderr), unless --quiet.
  void notice(std::string_view text);
  // The machine output: stdout, or the --output-file being written.
  std::ostream& out() { return m_output_file ? m_output_file->stream() : m_streams.out; }
  // Makes the output complete: renames --output-file into place (FILE.part → FILE), or flushes
  // stdout; an error when it could not be written whole. Commands that must act only after
  // their output is complete (an incremental pull's watermark) call it themselves; main calls
  // it after any other successful run.
  Expected<void> commit_output();
  // Drops an unfinished --output-file: FILE stays as it was, and the person is told so.
  void abandon_output();
  // True when the output goes to stdout, writing to it failed or would fail, and the reason is
  // that its reader closed the pipe (`| head -1`): the command should stop quietly
  // (ErrorKind::output_closed). Flushes stdout.
  bool output_closed();
  // The --output-file of this run, or nullptr.
  const AtomicFile* output_file() const { return m_output_file.get(); }
  std::ostream& err() { return m_streams.err; }
  bool stdout_is_tty() const { return m_streams.out_tty; }
  bool stderr_is_tty() const { return m_streams.err_tty; }
  output::Format format() const { return m_format; }

  // True when questions may be asked: stdin is a terminal and --no-input was not given.
  bool can_prompt() const { return m_streams.in_tty && !global.no_input; }
  // Asks for a line on the terminal (echoed).
  Expected<std::string> prompt_line(const std::string& question);
  // Asks for a secret on the terminal without echo; registers it for redaction.
  Expected<std::string> prompt_secret(const std::string& question);
  // The next line of stdin (for --password-stdin); ErrorKind::input at end of input.
  Expected<std::string> stdin_line(const std::string& what);
  // The first line of a secret file (warns when others may read it); registers it.
  Expected<std::string> read_secret_file(const std::string& path, const std::string& what);

  // The account password from --password-stdin, --password-file, --password-command, then (when
  // `profile` is given) its password_file or password_command, or a prompt; ErrorKind::usage
  // naming the flags when none is possible. A command runs only here, when the password is due.
  Expected<std::string> password(const PasswordFlags& flags, const std::string& question,
                                 const config::Profile* profile = nullptr);
  // A new password from `file`, the next stdin line (when `from_stdin`) or two matching prompts.
  Expected<std::string> new_password(const std::string& file, bool from_stdin,
                                     const std::string& flag_hint);

 private:
  Streams m_streams;
  config::EnvLookup m_env;
  output::Format m_format = output::Format::json;
  output::RenderOptions m_render;
  std::optional<std::vector<std::string>> m_valid_fields;
  std::optional<output::FieldChoice> m_fields;
  std::optional<config::ConfigFile> m_config;
  std::optional<config::Resolved> m_settings;
  std::filesystem::path metrics_path() const;

  std::unique_ptr<api::PortalApi> m_api;
  std::shared_ptr<const wire::Wire> m_wire;  // chosen_wire(), made once
  bool m_session_loaded = false;
  std::unique_ptr<AtomicFile> m_output_file;
  std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
  metrics::Registry m_metrics;
  std::unique_ptr<log::AuditLog> m_audit;
  api::Telemetry m_telemetry{&m_metrics, nullptr};
  std::unique_ptr<api::OutageWait> m_outage;
  bool m_outage_resolved = false;
  bool m_metrics_unusable = false;
  std::mutex m_finish_mutex;
  bool m_finished = false;
};

// Adds --password-stdin and --password-file to `cmd` (mutually exclusive).
void add_password_flags(CLI::App& cmd, PasswordFlags& flags);

// Records the values an option accepts: offered by shell completion and, when `enforce`,
// checked by the parser.
CLI::Option* with_choices(CLI::Option* option, std::vector<std::string> choices,
                          bool enforce = true);

// The values registered with with_choices() for an option (empty when free-form).
const std::vector<std::string>& choices_of(const CLI::Option* option);

// Restores the terminal if a hidden prompt is active (called from the SIGINT handler).
void restore_terminal_from_signal();

}  // namespace portal::cli
