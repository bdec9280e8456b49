// Profiles in $XDG_CONFIG_HOME/provportal/config.yaml and how flags, environment, the file and
// the defaults combine into the settings of one run (precedence: flags > env > config > defaults).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::config {

namespace fs = std::filesystem;

inline constexpr std::string_view k_default_profile = "default";
inline constexpr std::string_view k_default_base_url = "https://localhost:8443";

// The settings one profile can hold; an empty string means "not set".
struct Profile {
  std::string base_url;
  std::string ca_file;
  std::string client_cert;
  std::string client_key;
  std::string email;
  std::string totp_secret_file;
  std::string password_file;
  // Commands (/bin/sh -c) whose stdout is the password or the TOTP secret: a secret manager's
  // CLI, run only when the secret is due.
  std::string password_command;
  std::string totp_secret_command;
  // A command whose stdout is the one-time code (login's --otp-command): with password_file or
  // password_command, it lets a run log in again by itself when its session ends.
  std::string otp_command;
  // Unattended runs: wait out announced outages ("true"/"false"), for at most max_wait ("6h");
  // where to write the run's metrics and the audit log.
  std::string wait;
  std::string max_wait;
  std::string metrics_file;
  std::string audit_log;
  // How records travel to the portal (portal/wire/wire.hpp: "portal-json", the default).
  std::string wire;
  // The X12 wires' parties and places: the CAQH CORE endpoint (x12-core; default base_url +
  // /core/soap) and its form (soap or mime), the sender and receiver IDs (ISA06/ISA08, GS02/GS03,
  // CORE SenderID/ReceiverID), the usage indicator (ISA15: T test, P production), the crosswalk
  // of health plans to payer IDs (examples/payers.yaml's shape), and the clearinghouse drop's
  // outbox and inbox directories (x12-files).
  std::string endpoint;
  std::string core_form;
  std::string core_mode;  // x12-core: "realtime" (default) or "batch" (docs/core.md, Batch mode)
  std::string sender_id;
  std::string receiver_id;
  std::string usage_indicator;
  std::string payers_file;
  std::string outbox;
  std::string inbox;
  // Defaults of the run's flags: -o, --log-format, a batch's --concurrency, --rate and
  // --max-attempts (a payer's rate limit belongs in its profile), --timeout.
  std::string output;
  std::string log_format;
  std::string concurrency;
  std::string rate;
  std::string max_attempts;
  std::string timeout;
};

// The whole config file.
struct ConfigFile {
  std::string current_profile;
  std::map<std::string, Profile> profiles;
};

// Looks up an environment variable; nullopt when unset or empty. Injected so tests need no setenv.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The lookup over the process environment.
EnvLookup process_env();

// $XDG_CONFIG_HOME/provportal (default ~/.config/provportal).
fs::path config_dir(const EnvLookup& env);

// config_dir()/config.yaml.
fs::path config_path(const EnvLookup& env);

// config_dir()/sessions.
fs::path sessions_dir(const EnvLookup& env);

// $XDG_STATE_HOME/provportal (default ~/.local/state/provportal): journals, watermarks, the audit
// log.
fs::path state_dir(const EnvLookup& env);

// $XDG_CACHE_HOME/provportal (default ~/.cache/provportal): what the portal announced (its
// limits), safe to delete.
fs::path cache_dir(const EnvLookup& env);

// state_dir()/audit.jsonl.
fs::path default_audit_log(const EnvLookup& env);

// $XDG_DATA_HOME/provportal-sandbox/ca.pem (default ~/.local/share/...): the CA of a sandbox
// started with its default data directory.
fs::path default_sandbox_ca(const EnvLookup& env);

// Reads the config file; a missing file is an empty config. Errors: ErrorKind::input with the
// path and the YAML parser's line and column.
Expected<ConfigFile> load_config(const fs::path& path);

// Writes the config atomically (a 0600 temporary file in the same directory, then rename),
// creating the directory (0700) when needed.
Expected<void> save_config(const fs::path& path, const ConfigFile& config);

// The keys a profile accepts, in display order (snake_case; kebab-case is accepted on input).
const std::vector<std::string>& profile_keys();

// The value of `key` in `profile` (empty when unset); ErrorKind::usage for an unknown key.
Expected<std::string> get_key(const Profile& profile, std::string_view key);

// Sets `key` in `profile`; an empty value unsets it. ErrorKind::usage for an unknown key.
Expected<void> set_key(Profile& profile, std::string_view key, std::string value);

// Whether `value` is one `key` can hold (an empty value unsets it and is always accepted):
// ErrorKind::usage naming the key, the value and what it must be — an https:// base URL, an
// existing readable file for ca_file/client_cert/client_key/password_file/totp_secret_file, a
// file in an existing directory for metrics_file/audit_log, true or false for wait, a duration
// from 1s to 31d for max_wait, an address for email. The wire is checked by its users.
Expected<void> check_value(std::string_view key, const std::string& value);

// "true", "1", "yes", "on" → true; "false", "0", "no", "off" → false (any case); else nullopt.
std::optional<bool> parse_bool(std::string_view text);

// `path` with a leading "~/" (or a lone "~") replaced by $HOME.
std::string expand_home(const std::string& path, const EnvLookup& env);

// True when `name` can name a profile (letters, digits, '.', '_' and '-'; no leading '.').
bool valid_profile_name(std::string_view name);

// What the flags of this run said (an empty string means "not given").
struct FlagOverrides {
  std::string profile;
  std::string base_url;
  std::string ca_file;
  std::string client_cert;
  std::string client_key;
  std::string wait;  // "true" when --wait (or --max-wait) was given
  std::string max_wait;
  std::string metrics_file;
  std::string audit_log;
  std::string wire;
  std::string output;
  std::string log_format;
  std::string timeout;
};

// The settings of this run and the name of the profile they came from.
struct Resolved {
  std::string profile_name;
  Profile profile;
  bool base_url_is_default = false;  // nothing configured it: the local sandbox
  // Where each key's value came from: "flag", "env PROVPORTAL_...", "profile", or "default"
  // (a built-in value, or none). Keys without a value and without a default: "default" too.
  std::map<std::string, std::string> sources;
};

// The environment variable of `key` ("PROVPORTAL_BASE_URL"), or "" when it has none.
std::string_view env_name(std::string_view key);

// Applies flags > PROVPORTAL_* env > the profile in `file` > defaults (PROVPORTAL_BASE_URL,
// _CA_FILE, _CLIENT_CERT, _CLIENT_KEY, _WAIT, _MAX_WAIT, _METRICS, _AUDIT_LOG, _WIRE, _OUTPUT,
// _LOG_FORMAT, _CONCURRENCY, _RATE, _MAX_ATTEMPTS, _TIMEOUT), recording each value's source. A
// value of output, log_format, concurrency, rate, max_attempts or timeout that is not one the
// key can hold is ErrorKind::usage naming where it came from. The profile is
// --profile, else PROVPORTAL_PROFILE, else current_profile, else "default". A profile named
// explicitly that the file lacks is an error (ErrorKind::usage) unless it is "default" or the base
// URL comes from a flag or the environment (a throw-away profile). The sandbox CA default applies
// only when the base URL is the default one. "~/" in paths is expanded.
Expected<Resolved> resolve(const ConfigFile& file, const FlagOverrides& flags,
                           const EnvLookup& env);

}  // namespace portal::config
