// provportal register: ask for a portal account for one person at a provider organisation.
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "portal/log/log.hpp"
#include "portal/records/password_policy.hpp"
#include "portal/records/schema.hpp"
#include "record_file.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct RegisterOptions {
  std::string file;
  std::string provider_type, npi, tax_id, first_name, last_name, email, phone, fax;
  std::string organization_id;
  bool accept_terms = false;
  PasswordFlags password;
};

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

Expected<json::object> build_record(const RegisterOptions& opt) {
  json::object rec;
  if (!opt.file.empty()) {
    auto r = read_record_file(opt.file);
    if (!r) return r;
    rec = std::move(*r);
  }
  put_flags(rec, {{"provider_type", opt.provider_type},
                  {"npi", opt.npi},
                  {"tax_id", opt.tax_id},
                  {"first_name", opt.first_name},
                  {"last_name", opt.last_name},
                  {"email", opt.email},
                  {"phone", opt.phone},
                  {"fax", opt.fax},
                  {"organization_id", opt.organization_id}});
  if (opt.accept_terms) rec["accept_terms"] = true;
  return rec;
}

// Lets the person pick one of several organisations, or says which flag picks one.
Expected<std::string> choose_organization(Context& ctx, const json::array& orgs,
                                          const std::string& npi) {
  std::string list;
  for (const auto& o : orgs) {
    list += (list.empty() ? "" : ", ") + text_of(o.as_object(), "id");
  }
  if (!ctx.can_prompt()) {
    return fail(ErrorKind::usage, std::to_string(orgs.size()) + " organisations share NPI " + npi,
                "choose one with --organization-id (" + list + ")");
  }
  for (;;) {
    auto answer = ctx.prompt_line("Which organisation do you work for? [1-" +
                                  std::to_string(orgs.size()) + "]: ");
    if (!answer) return fail(answer.error());
    try {
      std::size_t n = std::stoul(*answer);
      if (n >= 1 && n <= orgs.size()) return text_of(orgs[n - 1].as_object(), "id");
    } catch (const std::exception&) {
    }
    ctx.err() << "Enter a number between 1 and " << orgs.size() << ".\n";
  }
}

Expected<void> run_register(const RegisterOptions& opt, Context& ctx) {
  auto built = build_record(opt);
  if (!built) return fail(built.error());
  json::object rec = std::move(*built);

  Error invalid(ErrorKind::input, "the registration is not valid; nothing was sent");
  invalid.fields = records::validate_record("registration", rec);
  if (!invalid.fields.empty()) {
    invalid.hint = "see `provportal register --help` for each field's format";
    return fail(std::move(invalid));
  }

  auto password = ctx.password(opt.password, "Choose a password: ");
  if (!password) return fail(password.error());
  if (!opt.password.from_stdin && opt.password.file.empty()) {
    auto again = ctx.prompt_secret("Password again: ");
    if (!again) return fail(again.error());
    if (*again != *password) return fail(ErrorKind::input, "the passwords did not match");
  }
  if (auto problem =
          records::password_problem(*password, text_of(rec, "email"), text_of(rec, "first_name"),
                                    text_of(rec, "last_name"))) {
    Error e(ErrorKind::input, "the password is not acceptable; nothing was sent",
            "use a longer passphrase that does not contain your name or email");
    log::forget_secret(*password);
    e.fields.push_back({"password", *problem});
    return fail(std::move(e));
  }

  auto api = ctx.api();
  if (!api) return fail(api.error());
  std::string npi = text_of(rec, "npi");
  auto orgs = (*api)->organizations(npi);
  if (!orgs) return fail(orgs.error());
  // None on file: the portal refuses the registration itself, saying whom to call.
  if (!orgs->empty()) {
    ctx.notice("Organisations with NPI " + npi + ":");
    int n = 0;
    for (const auto& o : *orgs) {
      const auto& obj = o.as_object();
      ctx.notice("  " + std::to_string(++n) + ". " + text_of(obj, "id") + "  " +
                 text_of(obj, "name") + " (" + text_of(obj, "city") + ", " + text_of(obj, "state") +
                 ")");
    }
  }
  if (orgs->size() > 1 && !rec.contains("organization_id")) {
    auto chosen = choose_organization(ctx, *orgs, npi);
    if (!chosen) return fail(chosen.error());
    rec["organization_id"] = *chosen;
  }

  auto created = (*api)->register_account(rec, *password);
  if (!created) return fail(created.error());
  json::object result{
      {"id", created->contains("id") ? created->at("id") : json::value()},
      {"email", created->contains("email") ? created->at("email") : json::value()},
      {"status", created->contains("status") ? created->at("status") : json::value()}};
  if (auto it = created->find("organization"); it != created->end())
    result["organization"] = it->value();
  ctx.print(result);
  ctx.notice(
      "Registered. The health plan reviews every new account: an administrator must approve "
      "it; then verify your email with `provportal verify-email --email " +
      text_of(rec, "email") + " --code CODE` using the code sent to you, and log in.");
  return {};
}

}  // namespace

void setup_register(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<RegisterOptions>();
  auto* cmd =
      app.add_subcommand("register", "Register a portal account (reviewed by the health plan)");
  cmd->add_option("--file", opt->file,
                  "Read the record from a JSON or YAML file (flags override it)")
      ->type_name("FILE");
  with_choices(cmd->add_option("--provider-type", opt->provider_type, "What you register as"),
               {"physician", "nurse_practitioner", "physician_assistant", "therapist", "facility",
                "group_practice", "office_staff"});
  cmd->add_option("--npi", opt->npi, "The organisation's 10-digit NPI")->type_name("NPI");
  cmd->add_option("--tax-id", opt->tax_id,
                  "The organisation's Tax ID (EIN), e.g. 36-1234567 "
                  "(not for office_staff)")
      ->type_name("EIN");
  cmd->add_option("--first-name", opt->first_name, "Your first name")->type_name("NAME");
  cmd->add_option("--last-name", opt->last_name, "Your last name")->type_name("NAME");
  cmd->add_option("--email", opt->email, "Your own business email (your login name)")
      ->type_name("EMAIL");
  cmd->add_option("--phone", opt->phone, "Business phone, e.g. 312-555-0142")->type_name("PHONE");
  cmd->add_option("--fax", opt->fax, "Business fax, e.g. 312-555-0143")->type_name("PHONE");
  cmd->add_flag("--accept-terms", opt->accept_terms, "Accept the portal's terms of use (required)");
  cmd->add_option("--organization-id", opt->organization_id,
                  "Which organisation to join when several share the NPI")
      ->type_name("ID");
  add_password_flags(*cmd, opt->password);
  cmd->footer(
      "The password is never a flag: you are asked for it twice, or give it with "
      "--password-stdin or --password-file.\n"
      "After registering, an administrator approves the account; then verify your email.\n\n"
      "Examples:\n"
      "  provportal register --provider-type physician --npi 1234567893 --tax-id 36-1234567 \\\n"
      "      --first-name Maria --last-name Lopez --email maria.lopez@clinic.example \\\n"
      "      --phone 312-555-0142 --fax 312-555-0143 --accept-terms\n"
      "  provportal register --file me.yaml --password-file ~/.portal-password\n"
      "  printf '%s\\n' \"$PW\" | provportal register --file me.json --password-stdin "
      "--organization-id org_riverside_cardio_north");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(
        {"id", "email", "status", "organization.id", "organization.name", "organization.npi"});
    ctx.action = [opt, &ctx] { return run_register(*opt, ctx); };
  });
}

}  // namespace portal::cli
