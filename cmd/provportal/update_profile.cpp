// provportal update-profile: change name, phone, fax or email, the password, and the TOTP app.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "portal/auth/totp.hpp"
#include "portal/auth/totp_steps.hpp"
#include "portal/log/log.hpp"
#include "portal/ops/fields.hpp"
#include "portal/ops/profile.hpp"
#include "portal/records/password_policy.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/clock.hpp"
#include "record_file.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct UpdateProfileOptions {
  std::string first_name, last_name, phone, fax, email;
  bool change_password = false;
  PasswordFlags password;
  std::string new_password_file;
  bool enroll_totp = false;
  std::string totp_secret_out;
  std::string otp_code;
  bool remove_totp = false;
};

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

// The otpauth:// URI without its secret parameter, safe to print.
std::string uri_without_secret(const std::string& uri) {
  auto q = uri.find('?');
  if (q == std::string::npos) return uri;
  std::string out = uri.substr(0, q);
  std::string_view query = std::string_view(uri).substr(q + 1);
  char sep = '?';
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    if (pair.rfind("secret=", 0) != 0) {
      out += sep;
      out += pair;
      sep = '&';
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// Writes the secret to `path` as a 0600 file.
Expected<void> write_secret_file(const std::string& path, const std::string& secret) {
  auto written = write_file_atomically(path, secret + "\n",
                                       {.mode = 0600, .exact_mode = true, .unique_temp = true});
  if (!written) {
    return fail(ErrorKind::input, "cannot write " + path + ": " + written.error().message);
  }
  return {};
}

// The portal's clock: its /v1/health time plus the time since, or ours when it sends none.
SysTime portal_now(api::PortalApi& api) {
  auto started = std::chrono::steady_clock::now();
  auto h = api.health();
  if (h) {
    if (auto t = parse_iso8601(text_of(*h, "time"))) {
      return *t + std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now() - started);
    }
  }
  return SystemClock().now();
}

Expected<json::object> enroll_totp(const UpdateProfileOptions& opt, Context& ctx,
                                   api::PortalApi& api) {
  auto enrolment = api.enrol_totp();
  if (!enrolment) return fail(enrolment.error());
  std::string code = opt.otp_code;
  std::optional<std::uint64_t> step;  // of the code computed here
  if (!opt.totp_secret_out.empty()) {
    if (auto w = write_secret_file(opt.totp_secret_out, enrolment->secret); !w)
      return fail(w.error());
    ctx.notice("TOTP secret written to " + opt.totp_secret_out +
               " (mode 0600); authenticator URI "
               "without the secret: " +
               uri_without_secret(enrolment->otpauth_uri));
    if (code.empty()) {
      step = auth::totp_step(portal_now(api));
      auto c = auth::totp_code_at_step(enrolment->secret, *step);
      if (!c)
        return fail(ErrorKind::unavailable, "the portal sent a TOTP secret that is not Base32");
      code = *c;
    }
  } else {
    if (log::current_format() == log::Format::json) {
      // What the person asked for: the secret goes as a field, which redaction leaves alone.
      json::object fields{{"secret", enrolment->secret}, {"otpauth_uri", enrolment->otpauth_uri}};
      log::message("Add this account to your authenticator app", "info", &fields);
    } else {
      ctx.err() << "Add this account to your authenticator app:\n"
                << "  secret: " << enrolment->secret << "\n"
                << "  URI:    " << enrolment->otpauth_uri << "\n";
    }
    if (code.empty()) {
      auto c = ctx.prompt_line("Code shown by the app: ");
      if (!c) return fail(c.error());
      code = *c;
    }
  }
  log::register_secret(code);
  auto confirmed = api.confirm_totp(code);
  if (!confirmed) return fail(confirmed.error());
  // The portal has spent this step: a login in the same 30 seconds must use the next one.
  if (step) {
    if (auto kept = ctx.totp_steps().remember(enrolment->secret, *step); !kept)
      spdlog::warn("cannot record the TOTP step used: {}", kept.error().message);
  }
  ctx.notice("Authenticator app enrolled; log in with it from now on (--mfa totp).");
  return *confirmed;
}

Expected<void> run_update_profile(const UpdateProfileOptions& opt, Context& ctx) {
  json::object changes;
  put_flags(changes, {{"first_name", opt.first_name},
                      {"last_name", opt.last_name},
                      {"phone", opt.phone},
                      {"fax", opt.fax},
                      {"email", opt.email}});
  if (changes.empty() && !opt.change_password && !opt.enroll_totp && !opt.remove_totp) {
    return fail(ErrorKind::usage, "nothing to change",
                "give --first-name, --last-name, --phone, --fax, --email, --change-password, "
                "--enroll-totp or --remove-totp");
  }
  if (!changes.empty()) {
    if (auto checked = ops::check_profile_change(changes); !checked) return fail(checked.error());
  }
  auto wire = ctx.chosen_wire();
  if (!wire) return fail(wire.error());
  if (opt.enroll_totp && opt.totp_secret_out.empty() && opt.otp_code.empty() && !ctx.can_prompt()) {
    return fail(ErrorKind::usage,
                "enrolling an authenticator app needs a terminal to show the secret",
                "pass --totp-secret-out FILE to enrol unattended");
  }

  // Secrets first, so a missing one fails before anything changes.
  std::string current;
  if (opt.change_password || opt.remove_totp) {
    auto pw = ctx.password(opt.password, "Current password: ");
    if (!pw) return fail(pw.error());
    current = *pw;
  }
  auto api = ctx.api_with_session();
  if (!api) return fail(api.error());
  std::string fresh;
  if (opt.change_password) {
    auto profile = (*api)->profile();
    if (!profile) return fail(profile.error());
    auto np = ctx.new_password(opt.new_password_file, opt.password.from_stdin,
                               "pass --new-password-file FILE, or the new password on the second "
                               "line of stdin with --password-stdin");
    if (!np) return fail(np.error());
    if (auto problem = records::password_problem(*np, text_of(*profile, "email"),
                                                 text_of(*profile, "first_name"),
                                                 text_of(*profile, "last_name"))) {
      Error e(ErrorKind::input, "the new password is not acceptable; nothing was changed");
      log::forget_secret(*np);
      e.fields.push_back({"new_password", *problem});
      return fail(std::move(e));
    }
    fresh = *np;
  }

  std::optional<json::object> profile;
  if (!changes.empty()) {
    auto r = ops::change_profile(**api, **wire, changes);
    if (!r) return fail(r.error());
    profile = std::move(*r);
  }
  if (opt.change_password) {
    if (auto r = (*api)->change_password(current, fresh); !r) return fail(r.error());
    ctx.notice("Password changed.");
  }
  if (opt.remove_totp) {
    auto r = (*api)->disable_totp(current);
    if (!r) return fail(r.error());
    ctx.notice("Authenticator app removed; sign-in codes now come by email.");
  }
  if (opt.enroll_totp) {
    auto r = enroll_totp(opt, ctx, **api);
    if (!r) return fail(r.error());
  }
  if (!profile || opt.enroll_totp || opt.remove_totp) {
    auto r = (*api)->profile();
    if (!r) return fail(r.error());
    profile = std::move(*r);
  }
  if (opt.change_password) (*profile)["password_changed"] = true;
  ctx.print(*profile);
  return {};
}

}  // namespace

void setup_update_profile(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<UpdateProfileOptions>();
  auto* cmd = app.add_subcommand("update-profile",
                                 "Change your name, phone, fax, email, password or second factor");
  cmd->add_option("--first-name", opt->first_name, "New first name")->type_name("NAME");
  cmd->add_option("--last-name", opt->last_name, "New last name")->type_name("NAME");
  cmd->add_option("--phone", opt->phone, "New business phone")->type_name("PHONE");
  cmd->add_option("--fax", opt->fax, "New business fax")->type_name("PHONE");
  cmd->add_option("--email", opt->email, "New business email (also your login name)")
      ->type_name("EMAIL");
  cmd->add_flag("--change-password", opt->change_password,
                "Change the password (current one from the prompt, --password-stdin or "
                "--password-file)");
  add_password_flags(*cmd, opt->password);
  cmd->add_option("--new-password-file", opt->new_password_file, "Read the new password from FILE")
      ->type_name("FILE");
  auto* enroll =
      cmd->add_flag("--enroll-totp", opt->enroll_totp, "Enrol an authenticator app (TOTP)");
  cmd->add_option("--totp-secret-out", opt->totp_secret_out,
                  "Write the new TOTP secret to FILE (0600) and confirm unattended")
      ->type_name("FILE");
  cmd->add_option("--otp-code", opt->otp_code, "Code from the app to confirm the enrolment")
      ->type_name("CODE");
  auto* remove = cmd->add_flag("--remove-totp", opt->remove_totp,
                               "Remove the authenticator app (needs the password)");
  enroll->excludes(remove);
  cmd->footer(
      "Examples:\n"
      "  provportal update-profile --phone 312-555-0199 --fax 312-555-0198\n"
      "  provportal update-profile --change-password\n"
      "  printf '%s\\n%s\\n' \"$OLD\" \"$NEW\" | provportal update-profile --change-password "
      "--password-stdin\n"
      "  provportal update-profile --enroll-totp --totp-secret-out ~/.portal-totp\n"
      "  provportal update-profile --remove-totp --password-file ~/.portal-pw");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(ops::profile_fields());
    ctx.action = [opt, &ctx] { return run_update_profile(*opt, ctx); };
  });
}

}  // namespace portal::cli
