// provportal config: show and change the profiles in the configuration file.
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "portal/wire/wire.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct ConfigOptions {
  std::string key;
  std::string value;
  std::string name;
};

std::string target_profile(Context& ctx, const config::ConfigFile& file) {
  if (!ctx.global.overrides.profile.empty()) return ctx.global.overrides.profile;
  if (auto p = ctx.env()("PROVPORTAL_PROFILE")) return *p;
  if (!file.current_profile.empty()) return file.current_profile;
  return std::string(config::k_default_profile);
}

bool is_path_key(std::string_view key) {
  return key == "ca_file" || key == "ca-file" || key == "client_cert" || key == "client-cert" ||
         key == "client_key" || key == "client-key" || key == "totp_secret_file" ||
         key == "totp-secret-file" || key == "password_file" || key == "password-file" ||
         key == "metrics_file" || key == "metrics-file" || key == "audit_log" || key == "audit-log";
}

// One row per profile and key: its value, and where the value comes from ("flag", "env
// PROVPORTAL_...", "profile", "default") — for the current profile as this run resolves it, for
// the others as the file holds them.
Expected<void> run_list(Context& ctx) {
  auto file = ctx.config_file();
  if (!file) return fail(file.error());
  std::string current = target_profile(ctx, **file);
  auto profiles = (*file)->profiles;
  if (profiles.find(current) == profiles.end()) profiles[current] = {};
  const config::Resolved* resolved = nullptr;
  if (auto s = ctx.settings(); s && (*s)->profile_name == current) resolved = *s;
  json::array rows;
  for (const auto& [name, p] : profiles) {
    const bool is_current = name == current;
    for (const auto& key : config::profile_keys()) {
      std::string value = *config::get_key(p, key), source = value.empty() ? "default" : "profile";
      if (is_current && resolved) {
        value = *config::get_key(resolved->profile, key);
        source = resolved->sources.at(key);
      } else if (key == "base_url" && value.empty()) {
        value = config::k_default_base_url;
      }
      rows.push_back(json::object{{"profile", name},
                                  {"current", is_current},
                                  {"key", key},
                                  {"value", value},
                                  {"source", source}});
    }
  }
  ctx.print(rows);
  return {};
}

Expected<void> run_get(const ConfigOptions& opt, Context& ctx) {
  auto s = ctx.settings();
  if (!s) return fail(s.error());
  auto v = config::get_key((*s)->profile, opt.key);
  if (!v) return fail(v.error());
  ctx.out() << *v << '\n';
  return {};
}

Expected<void> run_set(const ConfigOptions& opt, Context& ctx) {
  auto file = ctx.config_file();
  if (!file) return fail(file.error());
  std::string name = target_profile(ctx, **file);
  if (!config::valid_profile_name(name)) {
    return fail(ErrorKind::usage, "invalid profile name \"" + name + "\"",
                "use letters, digits, '.', '_' and '-'");
  }
  std::string value = opt.value;
  if (is_path_key(opt.key) && !value.empty() && value.front() != '~') {
    value = std::filesystem::absolute(value).lexically_normal().string();
  }
  // Checked now, so a cron job never finds out at 2 a.m.: nothing is written when it is wrong.
  if (auto ok = config::check_value(
          opt.key, is_path_key(opt.key) ? config::expand_home(value, ctx.env()) : value);
      !ok) {
    return fail(ok.error());
  }
  if ((opt.key == "wire") && !value.empty()) {
    if (auto w = wire::make(value); !w) return fail(w.error());
  }
  auto& profile = (*file)->profiles[name];
  if (auto r = config::set_key(profile, opt.key, value); !r) return fail(r.error());
  auto path = config::config_path(ctx.env());
  if (auto r = config::save_config(path, **file); !r) return fail(r.error());
  ctx.notice((value.empty() ? "Unset " : "Set ") + opt.key + " of profile " + name + " in " +
             path.string() + ".");
  return {};
}

Expected<void> run_use(const ConfigOptions& opt, Context& ctx) {
  if (!config::valid_profile_name(opt.name)) {
    return fail(ErrorKind::usage, "invalid profile name \"" + opt.name + "\"",
                "use letters, digits, '.', '_' and '-'");
  }
  auto file = ctx.config_file();
  if (!file) return fail(file.error());
  if ((*file)->profiles.find(opt.name) == (*file)->profiles.end() &&
      opt.name != config::k_default_profile) {
    std::string known;
    for (const auto& [name, profile] : (*file)->profiles)
      known += (known.empty() ? "" : ", ") + name;
    return fail(ErrorKind::usage,
                "there is no profile \"" + opt.name +
                    "\" (profiles: " + (known.empty() ? std::string("none yet") : known) + ")",
                "create it first: provportal --profile " + opt.name +
                    " config set base_url https://portal.example");
  }
  (*file)->current_profile = opt.name;
  auto path = config::config_path(ctx.env());
  if (auto r = config::save_config(path, **file); !r) return fail(r.error());
  ctx.notice("Now using profile " + opt.name + ".");
  return {};
}

}  // namespace

void setup_config(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<ConfigOptions>();
  auto* cmd = app.add_subcommand("config", "Show or change configuration profiles");
  cmd->require_subcommand(1);
  cmd->footer(
      "The file is $XDG_CONFIG_HOME/provportal/config.yaml (~/.config by default). Keys: "
      "base_url, ca_file, client_cert, client_key, email, totp_secret_file, password_file,\n"
      "password_command, totp_secret_command, otp_command (run only when the secret is due),\n"
      "wait (true|false), max_wait (e.g. 6h), metrics_file, audit_log, wire, and the defaults of\n"
      "flags: output, log_format, concurrency, rate, max_attempts, timeout.\n"
      "The X12 wires' keys: endpoint, core_form (soap|mime), core_mode (realtime|batch: batch\n"
      "submits a run's rows with CORE BatchSubmitTransaction and leaves them pending; the same\n"
      "command with --resume collects the answers), sender_id, receiver_id, usage_indicator "
      "(T|P),\n"
      "payers_file, outbox, inbox (x12-files).\n"
      "Precedence: flags > PROVPORTAL_* environment > profile > defaults (the local sandbox).\n\n"
      "Examples:\n"
      "  provportal config list\n"
      "  provportal config set base_url https://portal.healthplan.example --profile prod\n"
      "  provportal config use prod\n"
      "  provportal config get base_url\n"
      "  provportal config unset max_wait\n"
      "  provportal config set wait true --profile nightly       # wait out maintenance windows\n"
      "  provportal config set metrics_file /var/lib/prometheus/node-exporter/provportal.prom\n"
      "  provportal --profile payer-x config set rate 5          # the payer's rate limit\n"
      "  provportal config set core_mode batch                   # CORE batch (x12-core wire)\n"
      "  provportal config path");

  auto* list = cmd->add_subcommand("list", "List the profiles and their settings");
  list->footer(
      "One row per profile and key, with where the value comes from: flag, env PROVPORTAL_..., "
      "profile or default.\n\nExamples:\n  provportal config list\n  provportal config list -o "
      "json | jq '.[] | select(.current and .source != \"default\")'");
  list->callback([&ctx] {
    ctx.declare_fields({"profile", "current", "key", "value", "source"});
    ctx.action = [&ctx] { return run_list(ctx); };
  });

  auto* get = cmd->add_subcommand("get", "Print one setting of the current (or --profile) profile");
  with_choices(get->add_option("key", opt->key, "Setting name, e.g. base_url")->required(),
               config::profile_keys(), false);
  get->footer(
      "Examples:\n  provportal config get base_url\n  provportal --profile prod config get email");
  get->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run_get(*opt, ctx); }; });

  auto* set = cmd->add_subcommand("set", "Set one setting of the current (or --profile) profile");
  with_choices(set->add_option("key", opt->key, "Setting name, e.g. base_url")->required(),
               config::profile_keys(), false);
  set->add_option("value", opt->value, "New value (\"\" unsets it)")->required();
  set->footer(
      "Examples:\n  provportal config set email maria.lopez@clinic.example\n"
      "  provportal config set ca_file ./ca.pem --profile staging");
  set->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run_set(*opt, ctx); }; });

  auto* unset = cmd->add_subcommand(
      "unset", "Remove one setting of the current (or --profile) profile (its default applies)");
  with_choices(unset->add_option("key", opt->key, "Setting name, e.g. wait")->required(),
               config::profile_keys(), false);
  unset->footer(
      "Examples:\n  provportal config unset max_wait\n"
      "  provportal --profile staging config unset ca_file");
  unset->callback([opt, &ctx] {
    ctx.action = [opt, &ctx] {
      opt->value.clear();
      return run_set(*opt, ctx);
    };
  });

  auto* profiles = cmd->add_subcommand(
      "profiles", "Print the profile names, one per line (for scripts and shell completion)");
  profiles->footer(
      "Examples:\n  provportal config profiles\n"
      "  for p in $(provportal config profiles); do provportal --profile \"$p\" "
      "whoami; done");
  profiles->callback([&ctx] {
    ctx.action = [&ctx]() -> Expected<void> {
      auto file = ctx.config_file();
      if (!file) return fail(file.error());
      for (const auto& [name, profile] : (*file)->profiles) ctx.out() << name << '\n';
      return {};
    };
  });

  auto* use = cmd->add_subcommand("use", "Make a profile the current one");
  use->add_option("name", opt->name, "Profile name")->required()->type_name("PROFILE");
  use->footer("Examples:\n  provportal config use prod");
  use->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run_use(*opt, ctx); }; });

  auto* path = cmd->add_subcommand("path", "Print the path of the configuration file");
  path->footer("Examples:\n  provportal config path");
  path->callback([&ctx] {
    ctx.action = [&ctx]() -> Expected<void> {
      ctx.out() << config::config_path(ctx.env()).string() << '\n';
      return {};
    };
  });
}

}  // namespace portal::cli
