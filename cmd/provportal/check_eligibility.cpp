// provportal check-eligibility: is a member covered on the date of service? One member from
// flags, or a batch of them.
#include <algorithm>
#include <functional>
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "batch_cmd.hpp"
#include "commands.hpp"
#include "portal/ops/eligibility.hpp"
#include "portal/ops/fields.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/maintenance.hpp"
#include "record_file.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct EligibilityOptions {
  std::string ref, member_id, first_name, last_name, date_of_birth, health_plan, provider_npi,
      service_date;
  BatchFlags batch;
};

// Today on the portal: the date in America/Chicago on the portal's clock (GET /v1/health), not
// this machine's date in its own time zone. Without asking (a dry run sends nothing) or when the
// portal does not say, its clock is taken as ours plus the offset seen at the last login.
std::function<std::string()> portal_today(Context& ctx, bool may_ask) {
  return [&ctx, may_ask]() -> std::string {
    if (may_ask) {
      if (auto api = ctx.api()) {
        if (auto health = (*api)->health()) {
          const auto* t = health->if_contains("time");
          if (auto now = t && t->is_string() ? parse_iso8601(t->get_string()) : std::nullopt)
            return chicago_date(*now);
        }
      }
    }
    std::chrono::seconds offset{0};
    if (auto store = ctx.session_store()) {
      if (auto session = store->load(); session && *session) {
        offset = std::chrono::seconds{(*session)->clock_offset};
      }
    }
    return chicago_date(SystemClock().now() + offset);
  };
}

Expected<void> run_single_check(const EligibilityOptions& opt, Context& ctx) {
  json::object record;
  put_flags(record, {{"ref", opt.ref},
                     {"member_id", opt.member_id},
                     {"first_name", opt.first_name},
                     {"last_name", opt.last_name},
                     {"date_of_birth", opt.date_of_birth},
                     {"health_plan", opt.health_plan},
                     {"provider_npi", opt.provider_npi},
                     {"service_date", opt.service_date}});
  auto op = ctx.over_chosen_wire(
      [&](auto wire) { return ops::eligibility_operation(wire, portal_today(ctx, true)); });
  if (!op) return fail(op.error());
  auto result = run_single(ctx, *op, std::move(record), &opt.batch);
  if (!result) return fail(result.error());
  if (result->outcome == "ok") {
    ctx.print(result->answer);
    return {};
  }
  if (report_pending(ctx, *result)) return {};
  Error e = single_row_error(*result, "eligibility check");
  if (result->code == "subscriber_not_found" || result->code == "invalid_member_id") {
    e.hint = "check the member ID and health plan on the member's ID card";
  } else if (result->code == "name_mismatch") {
    e.hint = "use the names exactly as printed on the member's ID card";
  } else if (result->code == "invalid_date_of_birth") {
    e.hint = "check the member's date of birth";
  } else if (result->code == "plan_not_found") {
    e.hint = "use a health plan id the portal lists";
  }
  return fail(std::move(e));
}

Expected<void> run_check(const EligibilityOptions& opt, Context& ctx) {
  if (!opt.batch.file.empty()) {
    bool single_flags = !opt.member_id.empty() || !opt.first_name.empty() ||
                        !opt.last_name.empty() || !opt.date_of_birth.empty() || !opt.ref.empty();
    if (single_flags) {
      return fail(ErrorKind::usage, "--batch and the flags of one member cannot be combined",
                  "put the member in the batch file, or leave out --batch");
    }
    auto op = ctx.over_chosen_wire([&](auto wire) {
      return ops::eligibility_operation(wire, portal_today(ctx, !opt.batch.dry_run));
    });
    if (!op) return fail(op.error());
    return run_batch_command(ctx, *op, opt.batch);
  }
  return run_single_check(opt, ctx);
}

}  // namespace

void setup_check_eligibility(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<EligibilityOptions>();
  auto* cmd = app.add_subcommand("check-eligibility",
                                 "Check members' coverage on a date of service (one, or a batch)");
  cmd->add_option("--member-id", opt->member_id, "Member ID as on the ID card")->type_name("ID");
  cmd->add_option("--first-name", opt->first_name, "Member's first name")->type_name("NAME");
  cmd->add_option("--last-name", opt->last_name, "Member's last name")->type_name("NAME");
  cmd->add_option("--date-of-birth,--dob", opt->date_of_birth,
                  "Member's date of birth (YYYY-MM-DD)")
      ->type_name("DATE");
  cmd->add_option("--health-plan", opt->health_plan, "Health plan id, e.g. acme-commercial")
      ->type_name("PLAN");
  cmd->add_option("--provider-npi", opt->provider_npi,
                  "NPI of the provider who will see the member")
      ->type_name("NPI");
  cmd->add_option("--service-date", opt->service_date,
                  "Date of service (YYYY-MM-DD; default the portal's today, in US Central "
                  "time)")
      ->type_name("DATE");
  cmd->add_option("--ref", opt->ref, "Your reference, echoed in the result")->type_name("REF");
  add_batch_flags(*cmd, opt->batch);
  cmd->footer(
      "Examples:\n"
      "  provportal check-eligibility --member-id ACM100234 --first-name James --last-name "
      "Whitaker \\\n"
      "      --dob 1958-03-14 --health-plan acme-commercial --provider-npi 1234567893\n"
      "  provportal check-eligibility --batch examples/eligibility.csv --results results.csv\n"
      "  provportal check-eligibility --batch members.yaml --dry-run\n"
      "  provportal check-eligibility --batch big.csv --concurrency 32 --shard 0/4 --results "
      "part0.jsonl\n"
      "  provportal check-eligibility --batch big.csv --resume      # after a crash or Ctrl-C\n\n"
      "Columns (CSV) and keys (YAML, JSON Lines) are the fields of "
      "schemas/eligibility.schema.json:\n"
      "ref, member_id, first_name, last_name, date_of_birth, health_plan, provider_npi, "
      "service_date.\n"
      "Exit 0 when every row is ok, 1 when some were rejected or invalid (see --results).");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(
        printed_fields(opt->batch, ops::eligibility_fields(), ops::eligibility_result_columns()));
    ctx.action = [opt, &ctx] { return run_check(*opt, ctx); };
  });
}

}  // namespace portal::cli
