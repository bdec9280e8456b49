// provportal verify-email: confirm the email address of an approved registration.
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "portal/log/log.hpp"

namespace portal::cli {

namespace {

struct VerifyEmailOptions {
  std::string email;
  std::string code;
};

Expected<void> run_verify_email(VerifyEmailOptions opt, Context& ctx) {
  if (opt.email.empty()) {
    auto s = ctx.settings();
    if (!s) return fail(s.error());
    opt.email = (*s)->profile.email;
  }
  if (opt.email.empty()) {
    return fail(ErrorKind::usage, "which email address? pass --email",
                "or set it once with `provportal config set email EMAIL`");
  }
  log::register_secret(opt.code);
  auto api = ctx.api();
  if (!api) return fail(api.error());
  auto r = (*api)->verify_email(opt.email, opt.code);
  if (!r) return fail(r.error());
  boost::json::object result{{"email", opt.email}};
  result["status"] = r->contains("status") ? r->at("status") : boost::json::value("active");
  ctx.print(result);
  ctx.notice("Email verified. Log in with `provportal login --email " + opt.email + "`.");
  return {};
}

}  // namespace

void setup_verify_email(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<VerifyEmailOptions>();
  auto* cmd = app.add_subcommand("verify-email", "Verify your email with the code mailed to you");
  cmd->add_option("--email", opt->email, "The email you registered (default: the profile's email)")
      ->type_name("EMAIL");
  cmd->add_option("--code", opt->code, "The verification code from the email")
      ->type_name("CODE")
      ->required();
  cmd->footer(
      "The code is sent once an administrator has approved the registration.\n\n"
      "Examples:\n"
      "  provportal verify-email --email maria.lopez@clinic.example --code 482913");
  cmd->callback([opt, &ctx] { ctx.action = [opt, &ctx] { return run_verify_email(*opt, ctx); }; });
}

}  // namespace portal::cli
