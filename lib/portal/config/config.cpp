#include "portal/config/config.hpp"

#include "portal/util/atomic_file.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/strings.hpp"

#include <cerrno>
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
  url,            // https://...
  file,           // an existing, readable file
  file_to_write,  // a file in an existing directory
  boolean,        // true or false (parse_bool)
  duration,       // 1s to 31d
  email,          // an address
  name,           // a name checked where it is used (the wire: by the wires there are)
};

struct KeyInfo {
  const char* name;
  Member member;
  Kind kind;
};

const std::vector<KeyInfo>& key_table() {
  static const std::vector<KeyInfo> k_keys = {
      {"base_url", &Profile::base_url, Kind::url},
      {"ca_file", &Profile::ca_file, Kind::file},
      {"client_cert", &Profile::client_cert, Kind::file},
      {"client_key", &Profile::client_key, Kind::file},
      {"email", &Profile::email, Kind::email},
      {"totp_secret_file", &Profile::totp_secret_file, Kind::file},
      {"password_file", &Profile::password_file, Kind::file},
      {"wait", &Profile::wait, Kind::boolean},
      {"max_wait", &Profile::max_wait, Kind::duration},
      {"metrics_file", &Profile::metrics_file, Kind::file_to_write},
      {"audit_log", &Profile::audit_log, Kind::file_to_write},
      {"wire", &Profile::wire, Kind::name},
  };
  return k_keys;
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

  auto layer = [&](std::string& field, const std::string& flag, const char* env_name) {
    if (!flag.empty()) {
      field = flag;
    } else if (auto v = env(env_name)) {
      field = *v;
    }
  };
  layer(r.profile.base_url, flags.base_url, "PROVPORTAL_BASE_URL");
  layer(r.profile.ca_file, flags.ca_file, "PROVPORTAL_CA_FILE");
  layer(r.profile.client_cert, flags.client_cert, "PROVPORTAL_CLIENT_CERT");
  layer(r.profile.client_key, flags.client_key, "PROVPORTAL_CLIENT_KEY");
  layer(r.profile.wait, flags.wait, "PROVPORTAL_WAIT");
  layer(r.profile.max_wait, flags.max_wait, "PROVPORTAL_MAX_WAIT");
  layer(r.profile.metrics_file, flags.metrics_file, "PROVPORTAL_METRICS");
  layer(r.profile.audit_log, flags.audit_log, "PROVPORTAL_AUDIT_LOG");
  layer(r.profile.wire, flags.wire, "PROVPORTAL_WIRE");

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
