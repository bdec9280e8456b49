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
  bool resend = false;
};

// Asks the portal for a new code. Its answer is the same whether or not the address waits for
// verification, so this says what happens in either case.
Expected<void> run_resend(const VerifyEmailOptions& opt, Context& ctx) {
  auto api = ctx.api();
  if (!api) return fail(api.error());
  auto r = (*api)->resend_verification(opt.email);
  if (!r) {
    Error e = r.error();
    if (e.code == "rate_limited") {
      // --wait cannot help: a request without an idempotency key is never sent twice.
      e.hint =
          "the portal sends at most one new code a minute and 5 a day per address; use the "
          "newest email's code, or ask again later";
    }
    return fail(std::move(e));
  }
  ctx.print(boost::json::object{{"email", opt.email}, {"status", "requested"}});
  ctx.notice("If " + opt.email +
             " has an approved registration waiting for verification, a new code is on its way "
             "(earlier codes no longer work); then run `provportal verify-email --email " +
             opt.email + " --code CODE`. No email? The registration may still wait for review.");
  return {};
}

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
  if (opt.resend) return run_resend(opt, ctx);
  if (opt.code.empty()) {
    return fail(ErrorKind::usage, "which code? pass --code CODE from the verification email",
                "an expired code? ask for a new one with `provportal verify-email --resend "
                "--email " +
                    opt.email + "`");
  }
  log::register_secret(opt.code);
  auto api = ctx.api();
  if (!api) return fail(api.error());
  auto r = (*api)->verify_email(opt.email, opt.code);
  if (!r) {
    Error e = r.error();
    if (e.code == "invalid_code") {
      e.message = "the verification code is wrong or has expired";
      e.hint =
          "codes last 7 days and only the newest works; ask for a new one with `provportal "
          "verify-email --resend --email " +
          opt.email + "`";
    }
    return fail(std::move(e));
  }
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
  auto* code = cmd->add_option("--code", opt->code, "The verification code from the email")
                   ->type_name("CODE");
  cmd->add_flag("--resend", opt->resend,
                "Ask for a new code (the old ones stop working); the portal limits how often")
      ->excludes(code);
  cmd->footer(
      "The code is sent once an administrator has approved the registration; it lasts 7 days.\n"
      "An expired or lost code: --resend asks the portal for a new one. The portal answers the "
      "same\n"
      "whether or not the address waits for verification, and allows one request a minute, five "
      "a day.\n\n"
      "Examples:\n"
      "  provportal verify-email --email maria.lopez@clinic.example --code 482913\n"
      "  provportal verify-email --resend --email maria.lopez@clinic.example");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields({"email", "status"});
    ctx.action = [opt, &ctx] { return run_verify_email(*opt, ctx); };
  });
}

}  // namespace portal::cli
