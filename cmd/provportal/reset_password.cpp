// provportal reset-password: set a new password with the code of an administrator's reset email.
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "portal/log/log.hpp"
#include "portal/records/password_policy.hpp"

namespace portal::cli {

namespace {

struct ResetPasswordOptions {
  std::string email;
  std::string code;
  PasswordFlags password;
};

Expected<void> run_reset_password(ResetPasswordOptions opt, Context& ctx) {
  if (opt.email.empty()) {
    auto s = ctx.settings();
    if (!s) return fail(s.error());
    opt.email = (*s)->profile.email;
  }
  if (opt.email.empty()) return fail(ErrorKind::usage, "which account? pass --email");
  log::register_secret(opt.code);
  auto fresh = ctx.new_password(opt.password.file, opt.password.from_stdin,
                                "pass --password-stdin or --password-file FILE");
  if (!fresh) return fail(fresh.error());
  if (auto problem = records::password_problem(*fresh, opt.email)) {
    Error e(ErrorKind::input, "the new password is not acceptable; nothing was sent");
    log::forget_secret(*fresh);
    e.fields.push_back({"password", *problem});
    return fail(std::move(e));
  }
  auto api = ctx.api();
  if (!api) return fail(api.error());
  auto r = (*api)->reset_password(opt.email, opt.code, *fresh);
  if (!r) return fail(r.error());
  ctx.print(boost::json::object{{"email", opt.email}, {"status", "password_reset"}});
  ctx.notice("Password reset. Log in with `provportal login --email " + opt.email + "`.");
  return {};
}

}  // namespace

void setup_reset_password(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<ResetPasswordOptions>();
  auto* cmd =
      app.add_subcommand("reset-password", "Set a new password with the code from a reset email");
  cmd->add_option("--email", opt->email, "Your account's email (default: the profile's email)")
      ->type_name("EMAIL");
  cmd->add_option("--code", opt->code, "The code from the reset email")
      ->type_name("CODE")
      ->required();
  add_password_flags(*cmd, opt->password);
  cmd->footer(
      "The new password is asked for twice, or read from the first line of stdin "
      "(--password-stdin) or a file (--password-file).\n\n"
      "Examples:\n"
      "  provportal reset-password --email maria.lopez@clinic.example --code 739105\n"
      "  provportal reset-password --email maria.lopez@clinic.example --code 739105 "
      "--password-file new.txt");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields({"email", "status"});
    ctx.action = [opt, &ctx] { return run_reset_password(*opt, ctx); };
  });
}

}  // namespace portal::cli
