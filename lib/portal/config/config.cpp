#include "portal/config/config.hpp"

#include "portal/util/atomic_file.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/strings.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

namespace portal::config {

namespace {

using Member = std::string Profile::*;

// What a key's value must be.
enum class Kind {
  choice,         // one of `choices`
  count,          // an integer from `low` to `high`
  number,         // a decimal number from `low` to `high`
  url,            // https://...
  file,           // an existing, readable file
  file_to_write,  // a file in an existing directory
  boolean,        // true or false (parse_bool)
  duration,       // 1s to 31d
  email,          // an address
  name,           // text checked where it is used (the wire by the wires there are; commands)
};

using FlagMember = std::string FlagOverrides::*;

struct KeyInfo {
  const char* name;
  Member member;
  Kind kind;
  const char* env = nullptr;  // its PROVPORTAL_* variable, if it has one
  FlagMember flag = nullptr;  // its global flag, if it has one
  const char* choices = "";   // Kind::choice: the values, space-separated
  double low = 0, high = 0;   // Kind::count, Kind::number: the range
};

const std::vector<KeyInfo>& key_table() {
  static const std::vector<KeyInfo> k_keys = {
      {"base_url", &Profile::base_url, Kind::url, "PROVPORTAL_BASE_URL", &FlagOverrides::base_url},
      {"ca_file", &Profile::ca_file, Kind::file, "PROVPORTAL_CA_FILE", &FlagOverrides::ca_file},
      {"client_cert", &Profile::client_cert, Kind::file, "PROVPORTAL_CLIENT_CERT",
       &FlagOverrides::client_cert},
      {"client_key", &Profile::client_key, Kind::file, "PROVPORTAL_CLIENT_KEY",
       &FlagOverrides::client_key},
      {"email", &Profile::email, Kind::email},
      {"totp_secret_file", &Profile::totp_secret_file, Kind::file},
      {"password_file", &Profile::password_file, Kind::file},
      {"password_command", &Profile::password_command, Kind::name},
      {"totp_secret_command", &Profile::totp_secret_command, Kind::name},
      {"otp_command", &Profile::otp_command, Kind::name},
      {"wait", &Profile::wait, Kind::boolean, "PROVPORTAL_WAIT", &FlagOverrides::wait},
      {"max_wait", &Profile::max_wait, Kind::duration, "PROVPORTAL_MAX_WAIT",
       &FlagOverrides::max_wait},
      {"metrics_file", &Profile::metrics_file, Kind::file_to_write, "PROVPORTAL_METRICS",
       &FlagOverrides::metrics_file},
      {"audit_log", &Profile::audit_log, Kind::file_to_write, "PROVPORTAL_AUDIT_LOG",
       &FlagOverrides::audit_log},
      {"wire", &Profile::wire, Kind::name, "PROVPORTAL_WIRE", &FlagOverrides::wire},
      {"endpoint", &Profile::endpoint, Kind::url, "PROVPORTAL_ENDPOINT"},
      {"core_form", &Profile::core_form, Kind::choice, "PROVPORTAL_CORE_FORM", nullptr,
       "soap mime"},
      {"core_mode", &Profile::core_mode, Kind::choice, "PROVPORTAL_CORE_MODE", nullptr,
       "realtime batch"},
      {"sender_id", &Profile::sender_id, Kind::name, "PROVPORTAL_SENDER_ID"},
      {"receiver_id", &Profile::receiver_id, Kind::name, "PROVPORTAL_RECEIVER_ID"},
      {"usage_indicator", &Profile::usage_indicator, Kind::choice, "PROVPORTAL_USAGE_INDICATOR",
       nullptr, "T P"},
      {"payers_file", &Profile::payers_file, Kind::file, "PROVPORTAL_PAYERS_FILE"},
      {"outbox", &Profile::outbox, Kind::name, "PROVPORTAL_OUTBOX"},
      {"inbox", &Profile::inbox, Kind::name, "PROVPORTAL_INBOX"},
      {"output", &Profile::output, Kind::choice, "PROVPORTAL_OUTPUT", &FlagOverrides::output,
       "table json jsonl csv yaml"},
      {"log_format", &Profile::log_format, Kind::choice, "PROVPORTAL_LOG_FORMAT",
       &FlagOverrides::log_format, "text json"},
      {"concurrency", &Profile::concurrency, Kind::count, "PROVPORTAL_CONCURRENCY", nullptr, "", 1,
       256},
      {"rate", &Profile::rate, Kind::number, "PROVPORTAL_RATE", nullptr, "", 0, 1e6},
      {"max_attempts", &Profile::max_attempts, Kind::count, "PROVPORTAL_MAX_ATTEMPTS", nullptr, "",
       1, 20},
      {"timeout", &Profile::timeout, Kind::number, "PROVPORTAL_TIMEOUT", &FlagOverrides::timeout,
       "", 0.1, 86400},
  };
  return k_keys;
}

// "1 to 256", "0.1 to 86400".
std::string range_text(const KeyInfo& info) {
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  return num(info.low) + " to " + num(info.high);
}

// Why `value` is not one `info` can hold, for the kinds checked wherever the value comes from.
std::optional<std::string> value_problem(const KeyInfo& info, const std::string& value) {
  switch (info.kind) {
    case Kind::choice: {
      std::string_view all = info.choices;
      for (std::size_t at = 0; at < all.size();) {
        auto end = all.find(' ', at);
        if (all.substr(at, end - at) == value) return std::nullopt;
        if (end == std::string_view::npos) break;
        at = end + 1;
      }
      return std::string("is not one of: ") + info.choices;
    }
    case Kind::count:
    case Kind::number: {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      bool whole = info.kind != Kind::count || v == static_cast<double>(static_cast<long long>(v));
      if (value.empty() || end == value.c_str() || *end != '\0' || !whole || !(v >= info.low) ||
          !(v <= info.high)) {
        return std::string(info.kind == Kind::count ? "is not a whole number" : "is not a number") +
               " from " + range_text(info);
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

const KeyInfo* find_info(std::string_view key) {
  std::string k(key);
  for (auto& c : k) {
    if (c == '-') c = '_';
  }
  for (const auto& info : key_table()) {
    if (k == info.name) return &info;
  }
  return nullptr;
}

std::optional<Member> find_key(std::string_view key) {
  const auto* info = find_info(key);
  return info ? std::optional<Member>(info->member) : std::nullopt;
}

fs::path home_dir(const EnvLookup& env) {
  if (auto h = env("HOME")) return fs::path(*h);
  return fs::path("/");
}

std::string home_expanded(const std::string& path, const EnvLookup& env) {
  if (path == "~") return home_dir(env).string();
  if (path.rfind("~/", 0) == 0) return (home_dir(env) / path.substr(2)).string();
  return path;
}

std::string known_keys() {
  std::string out = "known keys: ";
  for (const auto& info : key_table()) out += std::string(out.size() > 12 ? ", " : "") + info.name;
  return out;
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

fs::path config_dir(const EnvLookup& env) {
  if (auto x = env("XDG_CONFIG_HOME")) return fs::path(*x) / "provportal";
  return home_dir(env) / ".config" / "provportal";
}

fs::path config_path(const EnvLookup& env) { return config_dir(env) / "config.yaml"; }

fs::path sessions_dir(const EnvLookup& env) { return config_dir(env) / "sessions"; }

fs::path state_dir(const EnvLookup& env) {
  if (auto x = env("XDG_STATE_HOME")) return fs::path(*x) / "provportal";
  return home_dir(env) / ".local" / "state" / "provportal";
}

fs::path cache_dir(const EnvLookup& env) {
  if (auto x = env("XDG_CACHE_HOME")) return fs::path(*x) / "provportal";
  return home_dir(env) / ".cache" / "provportal";
}

fs::path default_audit_log(const EnvLookup& env) { return state_dir(env) / "audit.jsonl"; }

fs::path default_sandbox_ca(const EnvLookup& env) {
  fs::path data =
      env("XDG_DATA_HOME") ? fs::path(*env("XDG_DATA_HOME")) : home_dir(env) / ".local" / "share";
  return data / "provportal-sandbox" / "ca.pem";
}

Expected<ConfigFile> load_config(const fs::path& path) {
  ConfigFile config;
  std::error_code ec;
  if (!fs::exists(path, ec)) return config;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::ParserException& e) {
    return fail(ErrorKind::input,
                path.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                    std::to_string(e.mark.column + 1) + ": " + e.msg,
                "fix the file, or move it away to start from the defaults");
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::input, "cannot read " + path.string() + ": " + e.what());
  }
  if (root.IsNull()) return config;
  if (!root.IsMap())
    return fail(ErrorKind::input, path.string() + ": expected a mapping at the top");
  try {
    if (auto cur = root["current_profile"]; cur && !cur.IsNull()) {
      config.current_profile = cur.as<std::string>();
    }
    if (auto profiles = root["profiles"]; profiles && !profiles.IsNull()) {
      if (!profiles.IsMap())
        return fail(ErrorKind::input, path.string() + ": profiles must be a mapping");
      for (const auto& entry : profiles) {
        auto name = entry.first.as<std::string>();
        Profile p;
        if (entry.second.IsMap()) {
          for (const auto& kv : entry.second) {
            auto key = kv.first.as<std::string>();
            auto member = find_key(key);
            if (!member) {
              return fail(ErrorKind::input,
                          path.string() + ": profile " + name + ": unknown key " + key,
                          known_keys());
            }
            p.*(*member) = kv.second.IsNull() ? "" : kv.second.as<std::string>();
          }
        } else if (!entry.second.IsNull()) {
          return fail(ErrorKind::input, path.string() + ": profile " + name + " must be a mapping");
        }
        config.profiles[name] = std::move(p);
      }
    }
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::input, path.string() + ": " + e.what());
  }
  return config;
}

Expected<void> save_config(const fs::path& path, const ConfigFile& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!config.current_profile.empty()) {
    out << YAML::Key << "current_profile" << YAML::Value << config.current_profile;
  }
  out << YAML::Key << "profiles" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, p] : config.profiles) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    for (const auto& info : key_table()) {
      const std::string& v = p.*(info.member);
      if (!v.empty()) out << YAML::Key << info.name << YAML::Value << YAML::DoubleQuoted << v;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  std::string text = std::string("# provportal configuration (see `provportal config --help`)\n") +
                     out.c_str() + "\n";

  std::error_code ec;
  fs::path dir = path.parent_path();
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return fail(ErrorKind::internal, "cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  auto written =
      write_file_atomically(path, text, {.mode = 0600, .exact_mode = true, .unique_temp = true});
  if (!written) {
    return fail(ErrorKind::internal,
                "cannot write " + path.string() + ": " + written.error().message);
  }
  return {};
}

const std::vector<std::string>& profile_keys() {
  static const std::vector<std::string> k_names = [] {
    std::vector<std::string> names;
    for (const auto& info : key_table()) names.emplace_back(info.name);
    return names;
  }();
  return k_names;
}

Expected<std::string> get_key(const Profile& profile, std::string_view key) {
  auto member = find_key(key);
  if (!member) {
    return fail(ErrorKind::usage, "unknown configuration key " + std::string(key), known_keys());
  }
  return profile.*(*member);
}

Expected<void> set_key(Profile& profile, std::string_view key, std::string value) {
  auto member = find_key(key);
  if (!member) {
    return fail(ErrorKind::usage, "unknown configuration key " + std::string(key), known_keys());
  }
  profile.*(*member) = std::move(value);
  return {};
}

std::string_view env_name(std::string_view key) {
  const auto* info = find_info(key);
  return info && info->env ? std::string_view(info->env) : std::string_view();
}

std::string expand_home(const std::string& path, const EnvLookup& env) {
  return home_expanded(path, env);
}

std::optional<bool> parse_bool(std::string_view given) {
  const std::string text = util::lower(given);
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return std::nullopt;
}

Expected<void> check_value(std::string_view key, const std::string& value) {
  const auto* info = find_info(key);
  if (!info) {
    return fail(ErrorKind::usage, "unknown configuration key " + std::string(key), known_keys());
  }
  if (value.empty()) return {};  // unset
  const std::string name = info->name;
  auto bad = [&](const std::string& why, std::string hint) {
    return fail(ErrorKind::usage, name + " \"" + value + "\": " + why, std::move(hint));
  };
  std::error_code ec;
  switch (info->kind) {
    case Kind::choice:
    case Kind::count:
    case Kind::number:
      if (auto problem = value_problem(*info, value)) return bad(*problem, "");
      break;
    case Kind::url:
      if (value.rfind("https://", 0) != 0 || value.size() == 8)
        return bad("is not an https:// URL",
                   "give the portal's address, e.g. https://portal.example");
      break;
    case Kind::file: {
      if (!fs::is_regular_file(value, ec))
        return bad(fs::exists(value, ec) ? "is not a regular file" : "does not exist",
                   "give the path of an existing file");
      if (::access(value.c_str(), R_OK) != 0)
        return bad("cannot be read: " + std::string(std::strerror(errno)),
                   "check the file's permissions");
      break;
    }
    case Kind::file_to_write: {
      auto dir = fs::path(value).parent_path();
      if (!dir.empty() && !fs::is_directory(dir, ec))
        return bad("its directory " + dir.string() + " does not exist",
                   "give a file in an existing directory");
      break;
    }
    case Kind::boolean:
      if (!parse_bool(value)) return bad("is not true or false", "the values are true and false");
      break;
    case Kind::duration: {
      auto d = parse_duration(value);
      if (!d || d->count() <= 0 || *d > std::chrono::hours{24 * 31})
        return bad("is not a duration from 1s to 31d", "e.g. 90m, 6h or 1d12h");
      break;
    }
    case Kind::email:
      if (value.find('@') == std::string::npos || value.front() == '@' || value.back() == '@')
        return bad("is not an email address", "e.g. maria.lopez@clinic.example");
      break;
    case Kind::name:
      break;
  }
  return {};
}

bool valid_profile_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Expected<Resolved> resolve(const ConfigFile& file, const FlagOverrides& flags,
                           const EnvLookup& env) {
  Resolved r;
  bool named_explicitly = true;
  if (!flags.profile.empty()) {
    r.profile_name = flags.profile;
  } else if (auto p = env("PROVPORTAL_PROFILE")) {
    r.profile_name = *p;
  } else if (!file.current_profile.empty()) {
    r.profile_name = file.current_profile;
  } else {
    r.profile_name = std::string(k_default_profile);
    named_explicitly = false;
  }
  if (!valid_profile_name(r.profile_name)) {
    return fail(ErrorKind::usage, "invalid profile name \"" + r.profile_name + "\"",
                "profile names use letters, digits, '.', '_' and '-'");
  }
  auto it = file.profiles.find(r.profile_name);
  bool base_from_outside = !flags.base_url.empty() || env("PROVPORTAL_BASE_URL").has_value();
  if (it != file.profiles.end()) {
    r.profile = it->second;
  } else if (named_explicitly && r.profile_name != k_default_profile && !base_from_outside) {
    std::string known;
    for (const auto& [name, _] : file.profiles) known += (known.empty() ? "" : ", ") + name;
    return fail(
        ErrorKind::usage, "no profile named \"" + r.profile_name + "\" in the configuration",
        known.empty()
            ? "create it with `provportal config set base_url URL --profile " + r.profile_name + "`"
            : "known profiles: " + known);
  }

  for (const auto& info : key_table()) {
    std::string& field = r.profile.*(info.member);
    std::string source = field.empty() ? "default" : "profile";
    if (info.flag && !(flags.*(info.flag)).empty()) {
      field = flags.*(info.flag);
      source = "flag";
    } else if (info.env) {
      if (auto v = env(info.env)) {
        field = *v;
        source = std::string("env ") + info.env;
      }
    }
    r.sources[info.name] = source;
    if (field.empty() || source == "flag") continue;  // flags were checked when parsed
    if (auto problem = value_problem(info, field)) {
      return fail(ErrorKind::usage,
                  (source == "profile" ? "the profile's " + std::string(info.name)
                                       : std::string(info.env)) +
                      " \"" + field + "\": " + *problem,
                  source == "profile" ? "fix it with `provportal config set " +
                                            std::string(info.name) + " VALUE` (or config unset)"
                                      : "fix or unset " + std::string(info.env));
    }
  }

  if (r.profile.base_url.empty()) {
    r.profile.base_url = std::string(k_default_base_url);
    r.base_url_is_default = true;
    if (r.profile.ca_file.empty()) r.profile.ca_file = default_sandbox_ca(env).string();
  }
  while (!r.profile.base_url.empty() && r.profile.base_url.back() == '/')
    r.profile.base_url.pop_back();
  for (std::string* path : {&r.profile.ca_file, &r.profile.client_cert, &r.profile.client_key,
                            &r.profile.totp_secret_file, &r.profile.password_file,
                            &r.profile.metrics_file, &r.profile.audit_log}) {
    *path = home_expanded(*path, env);
  }
  return r;
}

}  // namespace portal::config
