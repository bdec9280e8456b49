// provportal login: email + password, then the second factor; caches the session (0600).
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "portal/auth/login.hpp"
#include "portal/log/log.hpp"
#include "portal/records/password_policy.hpp"
#include "portal/util/clock.hpp"

namespace portal::cli {

namespace {

struct LoginOptions {
  std::string email;
  PasswordFlags password;
  std::string mfa = "auto";
  std::string otp_code;
  std::string otp_command;
  std::string totp_secret_file;
  std::string totp_secret_command;
  std::string new_password_file;
  bool if_needed = false;
};

// The login `opt` asks for, the profile's defaults filling what the flags left out. `attended`:
// a person may be asked (codes, a new password) at the terminal.
Expected<auth::LoginRequest> login_request(LoginOptions& opt, Context& ctx,
                                           const config::Profile& profile, bool attended) {
  std::string totp_command_what = "--totp-secret-command";
  if (opt.otp_command.empty() && opt.otp_code.empty() && opt.mfa != "totp" &&
      opt.totp_secret_file.empty() && opt.totp_secret_command.empty()) {
    opt.otp_command = profile.otp_command;
  }
  // The profile's TOTP secret, unless the flags named another source of the code.
  if (opt.totp_secret_file.empty() && opt.totp_secret_command.empty() && opt.mfa != "email" &&
      opt.otp_code.empty() && opt.otp_command.empty()) {
    opt.totp_secret_file = profile.totp_secret_file;
    if (opt.totp_secret_file.empty()) {
      opt.totp_secret_command = profile.totp_secret_command;
      totp_command_what = "the profile's totp_secret_command";
    }
  }

  auth::LoginRequest req;
  req.email = opt.email;
  req.mfa = opt.mfa == "email"  ? auth::MfaChoice::email
            : opt.mfa == "totp" ? auth::MfaChoice::totp
                                : auth::MfaChoice::automatic;
  req.codes.otp_code = opt.otp_code;
  log::register_secret(opt.otp_code);
  req.codes.otp_command = opt.otp_command;
  if (!opt.totp_secret_file.empty() || !opt.totp_secret_command.empty()) {
    auto text = !opt.totp_secret_file.empty()
                    ? ctx.read_secret_file(opt.totp_secret_file, "TOTP secret")
                    : auth::run_secret_command(opt.totp_secret_command, totp_command_what);
    if (!text) return fail(text.error());
    auto secret = auth::parse_totp_secret(*text);
    if (!secret) {
      Error e = secret.error();
      e.message = (!opt.totp_secret_file.empty() ? opt.totp_secret_file : totp_command_what) +
                  ": " + e.message;
      return fail(std::move(e));
    }
    log::register_secret(*secret);
    req.codes.totp_secret = *secret;
  }
  req.totp_steps = ctx.totp_steps();
  if (attended) {
    req.codes.prompt = [&ctx](const std::string& q) { return ctx.prompt_line(q); };
  }
  req.notice = [&ctx](const std::string& text) { ctx.notice(text); };
  // Without a way to get a new password, the login stops before the second factor when the
  // password has expired (run_login leaves new_password unset then).
  if (!opt.new_password_file.empty() || attended)
    req.new_password = [&ctx, &opt]() -> Expected<std::string> {
      auto fresh = ctx.new_password(opt.new_password_file, false, "pass --new-password-file FILE");
      if (!fresh) return fresh;
      if (auto problem = records::password_problem(*fresh, opt.email)) {
        Error e(ErrorKind::input, "the new password is not acceptable",
                "choose another and run `provportal login` again");
        log::forget_secret(*fresh);
        e.fields.push_back({"new_password", *problem});
        return fail(std::move(e));
      }
      return fresh;
    };

  auto password = ctx.password(opt.password, "Password for " + opt.email + ": ", &profile);
  if (!password) return fail(password.error());
  req.password = *password;
  return req;
}

Expected<void> run_login(LoginOptions opt, Context& ctx) {
  auto settings = ctx.settings();
  if (!settings) return fail(settings.error());
  const auto& profile = (*settings)->profile;
  if (opt.email.empty()) opt.email = profile.email;
  auto store = ctx.session_store();
  if (!store) return fail(store.error());
  // With --if-needed the lock is held from the look at the cache to the save of a new session:
  // of two jobs that start together, the second waits, then reuses what the first made (no
  // second one-time code). A login at a terminal takes it only to save, so that a person typing
  // does not hold up the jobs.
  std::optional<auth::SessionStore::Lock> lock;
  if (opt.if_needed) {
    auto taken = store->lock();
    if (!taken) return fail(taken.error());
    lock.emplace(std::move(*taken));
    auto api = ctx.api();
    if (!api) return fail(api.error());
    SystemClock clock;
    auto reused = auth::reusable_session(*store, **api, clock, opt.email);
    if (!reused) return fail(reused.error());
    if (*reused) {
      const auto& s = **reused;
      ctx.set_account(s.email);
      spdlog::info("reusing the cached session of {} (expires at {})", s.email, s.expires_at);
      ctx.print(boost::json::object{
          {"email", s.email}, {"status", "session_valid"}, {"expires_at", s.expires_at}});
      return {};
    }
  }

  if (opt.email.empty()) {
    if (!ctx.can_prompt()) {
      return fail(ErrorKind::usage, "which account? pass --email",
                  "or set it once with `provportal config set email EMAIL`");
    }
    auto e = ctx.prompt_line("Email: ");
    if (!e) return fail(e.error());
    opt.email = *e;
  }
  auto req = login_request(opt, ctx, profile, ctx.can_prompt());
  if (!req) return fail(req.error());

  auto api = ctx.api();
  if (!api) return fail(api.error());
  auto outcome = auth::run_login(**api, *req);
  if (!outcome) return fail(outcome.error());

  auth::Session session{(*api)->base_url(), opt.email, outcome->session.token,
                        outcome->session.expires_at, outcome->clock_offset.count()};
  if (!lock) {
    auto taken = store->lock();
    if (!taken) return fail(taken.error());
    lock.emplace(std::move(*taken));
  }
  if (auto saved = store->save(session); !saved) return fail(saved.error());
  ctx.set_account(opt.email);
  boost::json::object result{{"email", opt.email},
                             {"status", "logged_in"},
                             {"factor", outcome->factor},
                             {"expires_at", outcome->session.expires_at}};
  if (outcome->password_changed) result["password_changed"] = true;
  ctx.print(result);
  return {};
}

}  // namespace

SessionRenewal session_renewal(Context& ctx) {
  return [&ctx](const std::string& rejected) -> Expected<std::optional<std::string>> {
    auto settings = ctx.settings();
    if (!settings) return fail(settings.error());
    const auto& profile = (*settings)->profile;
    auto store = ctx.session_store();
    if (!store) return fail(store.error());
    auto api = ctx.api();
    if (!api) return fail(api.error());
    const std::string base = (*api)->base_url();
    // Under the profile's lock: of several workers or jobs that meet the 401 together, the
    // first logs in and the others go on with what it saved.
    auto lock = store->lock();
    if (!lock) return fail(lock.error());
    auto cached = store->load();
    if (cached && *cached && (*cached)->base_url == base && (*cached)->token != rejected) {
      spdlog::info("the session was renewed by another provportal process; going on with it");
      return (*cached)->token;
    }
    bool unattended = !profile.email.empty() &&
                      (!profile.password_file.empty() || !profile.password_command.empty()) &&
                      (!profile.totp_secret_file.empty() || !profile.totp_secret_command.empty() ||
                       !profile.otp_command.empty());
    if (!unattended) return std::optional<std::string>();
    spdlog::warn(
        "the session has ended (the portal no longer takes it); logging in again as {} "
        "with the profile's secrets",
        profile.email);
    LoginOptions opt;
    opt.email = profile.email;
    auto req = login_request(opt, ctx, profile, false);
    if (!req) return fail(req.error());
    req->notice = [](const std::string& text) { spdlog::info("{}", text); };
    // A connection of its own: the batch's workers may be sending on theirs meanwhile.
    auto options = ctx.client_options();
    if (!options) return fail(options.error());
    auto client = http::Client::create(*options);
    if (!client) return fail(client.error());
    api::PortalApi side(std::move(*client));
    side.set_observer(&ctx.telemetry());
    auto outcome = auth::run_login(side, *req);
    if (!outcome) {
      Error e = outcome.error();
      e.message = "logging in again with the profile's secrets failed: " + e.message;
      return fail(std::move(e));
    }
    auth::Session session{base, opt.email, outcome->session.token, outcome->session.expires_at,
                          outcome->clock_offset.count()};
    if (auto saved = store->save(session); !saved) return fail(saved.error());
    spdlog::warn("logged in again as {}; going on", profile.email);
    return session.token;
  };
}

void setup_login(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<LoginOptions>();
  auto* cmd = app.add_subcommand("login", "Log in with your password and a second factor");
  cmd->add_option("--email", opt->email, "Your account's email (default: the profile's email)")
      ->type_name("EMAIL");
  add_password_flags(*cmd, opt->password);
  with_choices(cmd->add_option("--mfa", opt->mfa,
                               "Second factor: auto (the app when enrolled and a code source "
                               "allows it, else email), email or totp")
                   ->capture_default_str(),
               {"auto", "email", "totp"});
  auto* code = cmd->add_option("--otp-code", opt->otp_code, "The one-time code (authenticator app)")
                   ->type_name("CODE");
  auto* command = cmd->add_option("--otp-command", opt->otp_command,
                                  "Run CMD (/bin/sh -c) and use its stdout as the code; gets "
                                  "PROVPORTAL_OTP_FACTOR and PROVPORTAL_OTP_EMAIL (default: the "
                                  "profile's otp_command)")
                      ->type_name("CMD");
  auto* secret =
      cmd->add_option("--totp-secret-file", opt->totp_secret_file,
                      "Compute TOTP codes from the Base32 secret or otpauth:// URI in FILE")
          ->type_name("FILE");
  auto* secret_command =
      cmd->add_option("--totp-secret-command", opt->totp_secret_command,
                      "Run CMD (/bin/sh -c) when a TOTP code is due; its stdout is the Base32 "
                      "secret or otpauth:// URI (a secret manager's CLI)")
          ->type_name("CMD");
  code->excludes(command)->excludes(secret)->excludes(secret_command);
  command->excludes(secret)->excludes(secret_command);
  secret->excludes(secret_command);
  cmd->add_option("--new-password-file", opt->new_password_file,
                  "New password to set if the current one has expired")
      ->type_name("FILE");
  cmd->add_flag("--if-needed", opt->if_needed,
                "Keep the cached session when the portal still takes it (refreshed near its "
                "end): no new login, no one-time code spent; otherwise log in");
  cmd->footer(
      "Without a terminal (cron, CI) give the password with --password-stdin, --password-file or "
      "--password-command and the code with --otp-command, --totp-secret-file, "
      "--totp-secret-command or --otp-code (or the profile's password_file, password_command, "
      "totp_secret_file, totp_secret_command, otp_command). With those in the profile, a run "
      "whose session ends during a long --wait logs in again by itself.\n\n"
      "Examples:\n"
      "  provportal login --email maria.lopez@clinic.example\n"
      "  provportal login --password-file ~/.portal-pw --totp-secret-file ~/.portal-totp\n"
      "  provportal login --password-command 'pass show portal/maria' \\\n"
      "      --totp-secret-command 'vault kv get -field=totp secret/portal/maria'\n"
      "  printf '%s\\n' \"$PORTAL_PASSWORD\" | provportal login --email ops@clinic.example \\\n"
      "      --password-stdin --otp-command 'fetch-latest-passcode'\n"
      "  # every night from cron: log in only when the cached session has ended\n"
      "  provportal login --if-needed --password-file ~/.portal-pw --totp-secret-file "
      "~/.portal-totp\n\n"
      "A state only a person can fix (account locked, inactive, disabled, pending review, email "
      "not\n"
      "verified, password expired without --new-password-file, MFA failed) exits 4 with what to "
      "do.");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields({"email", "status", "factor", "expires_at", "password_changed"});
    ctx.action = [opt, &ctx] { return run_login(*opt, ctx); };
  });
}

}  // namespace portal::cli
