// provportal claim-status: where claims stand. One inquiry by claim number or by member +
// provider + dates of service, a batch of inquiries, or (with neither) the organisation's
// change feed, streamed page by page; --since last makes a nightly pull return only what
// changed since the previous one.
#include <algorithm>
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "batch_cmd.hpp"
#include "commands.hpp"
#include "incremental.hpp"
#include "portal/batch/rows.hpp"
#include "portal/ops/claim_status.hpp"
#include "portal/ops/claims_feed.hpp"
#include "portal/ops/fields.hpp"
#include "portal/ops/pages.hpp"
#include "record_file.hpp"
#include "stream_printer.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct ClaimStatusOptions {
  std::string ref, claim_number, member_id, first_name, last_name, date_of_birth, health_plan,
      provider_npi, service_from, service_to;
  std::string status;
  std::size_t page_size = 0;
  SinceFlags since;
  BatchFlags batch;
};

bool inquiry_flags(const ClaimStatusOptions& o) {
  return !o.ref.empty() || !o.claim_number.empty() || !o.member_id.empty() ||
         !o.first_name.empty() || !o.last_name.empty() || !o.health_plan.empty() ||
         !o.date_of_birth.empty() || !o.service_from.empty() || !o.service_to.empty();
}

json::object inquiry_record(const ClaimStatusOptions& o) {
  json::object record;
  put_flags(record, {{"ref", o.ref},
                     {"claim_number", o.claim_number},
                     {"member_id", o.member_id},
                     {"first_name", o.first_name},
                     {"last_name", o.last_name},
                     {"date_of_birth", o.date_of_birth},
                     {"health_plan", o.health_plan},
                     {"provider_npi", o.provider_npi},
                     {"service_from", o.service_from},
                     {"service_to", o.service_to}});
  return record;
}

// Prints the claims, then makes the output complete before the watermark moves.
Expected<void> deliver(Context& ctx, StreamPrinter& printer, IncrementalPull& pull) {
  printer.finish();
  if (auto done = ctx.commit_output(); !done) return fail(done.error());
  return pull.finish(ctx, printer.count(), "claim");
}

Expected<void> run_inquiry(const ClaimStatusOptions& opt, Context& ctx) {
  json::object record = inquiry_record(opt);
  // What makes two inquiries the same query: the record (it may hold PHI; only hashed).
  auto pull = IncrementalPull::start(ctx, opt.since, "claim-status",
                                     "inquiry\n" + batch::canonical_json(record),
                                     "one inquiry (its fields are kept out of this file)");
  if (!pull) return fail(pull.error());
  auto op = ctx.over_chosen_wire(
      [&](auto wire) { return ops::claim_status_operation(wire, (*pull)->changed_since()); });
  if (!op) return fail(op.error());
  auto result = run_single(ctx, *op, std::move(record), &opt.batch);
  if (!result) return fail(result.error());
  if (report_pending(ctx, *result)) return {};
  if (result->outcome != "ok") {
    Error e = single_row_error(*result, "claim status inquiry");
    if (result->code == "subscriber_not_found" || result->code == "invalid_member_id") {
      e.hint = "check the member ID on the member's ID card";
    } else if (result->code == "invalid_date_of_birth") {
      e.hint = "check the member's date of birth";
    }
    return fail(std::move(e));
  }
  (*pull)->answered(result->answer);
  json::array claims;
  if (const auto* c = result->answer.if_contains("claims"); c && c->is_array())
    claims = c->get_array();
  if (claims.empty()) ctx.notice("No claim of your organisation matches this inquiry.");
  StreamPrinter printer(ctx, ops::claim_columns(), ops::claim_summary);
  if (auto printed = printer.page(claims); !printed) return fail(printed.error());
  return deliver(ctx, printer, **pull);
}

Expected<void> run_feed(const ClaimStatusOptions& opt, Context& ctx) {
  ops::ClaimFeedQuery query;
  query.provider_npi = opt.provider_npi;
  query.status = opt.status;
  query.page_size = opt.page_size;
  auto pull = IncrementalPull::start(ctx, opt.since, "claim-status", ops::query_key(query),
                                     ops::describe(query));
  if (!pull) return fail(pull.error());
  query.changed_since = (*pull)->changed_since();
  auto wire = ctx.chosen_wire();
  if (!wire) return fail(wire.error());
  auto api = ctx.api_with_session();
  if (!api) return fail(api.error());
  auto pages = ops::PageReader::open(**api, *wire, wire::Feed::claims, ops::page_query(query));
  if (!pages) return fail(pages.error());
  StreamPrinter printer(ctx, ops::claim_columns(), ops::claim_summary);
  while (true) {
    auto page = pages->next();
    if (!page) return fail(page.error());
    if (!*page) break;
    (*pull)->answered((*page)->answer);
    if (auto printed = printer.page((*page)->items); !printed) return fail(printed.error());
  }
  return deliver(ctx, printer, **pull);
}

Expected<void> run_claim_status(const ClaimStatusOptions& opt, Context& ctx) {
  if (!opt.batch.file.empty()) {
    if (inquiry_flags(opt) || !opt.provider_npi.empty()) {
      return fail(ErrorKind::usage, "--batch and the flags of one inquiry cannot be combined",
                  "put the inquiry in the batch file, or leave out --batch");
    }
    if (!opt.status.empty() || opt.page_size) {
      return fail(ErrorKind::usage,
                  "--status and --page-size filter the change feed, not a batch of inquiries");
    }
    auto since = opt.since.since.empty() ? Expected<pull::Since>(pull::Since{})
                                         : pull::parse_since(opt.since.since);
    if (!since) return fail(since.error());
    if (!opt.since.since.empty() && since->kind == pull::Since::Kind::last) {
      return fail(
          ErrorKind::usage,
          "--since last keeps a watermark for the change feed and single inquiries, not batches",
          "give the batch a time (--since 2026-11-17T06:00:00Z, --since 24h), or pull the feed "
          "with "
          "`provportal claim-status --since last`");
    }
    auto pull = IncrementalPull::start(ctx, opt.since, "claim-status", {}, {});
    if (!pull) return fail(pull.error());
    auto op = ctx.over_chosen_wire(
        [&](auto wire) { return ops::claim_status_operation(wire, (*pull)->changed_since()); });
    if (!op) return fail(op.error());
    return run_batch_command(ctx, *op, opt.batch);
  }
  if (inquiry_flags(opt)) {
    if (!opt.status.empty() || opt.page_size) {
      return fail(ErrorKind::usage,
                  "--status and --page-size filter the change feed, not an inquiry",
                  "leave out the inquiry's flags to pull the feed");
    }
    return run_inquiry(opt, ctx);
  }
  return run_feed(opt, ctx);
}

}  // namespace

void setup_claim_status(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<ClaimStatusOptions>();
  auto* cmd = app.add_subcommand(
      "claim-status",
      "Where your claims stand: one inquiry, a batch, or what changed since the last pull");
  const char* one = "One inquiry (schemas/claim_status.schema.json)";
  cmd->add_option("--claim-number", opt->claim_number,
                  "The claim number (it alone finds the claim)")
      ->type_name("NUMBER")
      ->group(one);
  cmd->add_option("--member-id", opt->member_id,
                  "The member's ID, with --date-of-birth, --provider-npi and dates")
      ->type_name("ID")
      ->group(one);
  cmd->add_option("--first-name", opt->first_name, "The member's first name (X12 wires send it)")
      ->type_name("NAME")
      ->group(one);
  cmd->add_option("--health-plan", opt->health_plan,
                  "The member's health plan (the X12 wires need it to name the payer)")
      ->type_name("PLAN")
      ->group(one);
  cmd->add_option("--last-name", opt->last_name,
                  "The member's last name (the X12 wires need it: the 276's subscriber)")
      ->type_name("NAME")
      ->group(one);
  cmd->add_option("--date-of-birth,--dob", opt->date_of_birth,
                  "The member's date of birth (YYYY-MM-DD)")
      ->type_name("DATE")
      ->group(one);
  cmd->add_option("--provider-npi", opt->provider_npi,
                  "The billing or rendering provider's NPI (also filters the change feed)")
      ->type_name("NPI")
      ->group(one);
  cmd->add_option("--service-from", opt->service_from,
                  "First date of service to search (YYYY-MM-DD)")
      ->type_name("DATE")
      ->group(one);
  cmd->add_option("--service-to", opt->service_to, "Last date of service to search (YYYY-MM-DD)")
      ->type_name("DATE")
      ->group(one);
  cmd->add_option("--ref", opt->ref, "Your reference, echoed in the result")
      ->type_name("REF")
      ->group(one);
  const char* feed = "The change feed (no inquiry flags)";
  cmd->add_option(
         "--status", opt->status,
         "Only claims whose status is now this category (F1), status (finalized-paid) or class "
         "(acknowledgement, pending, finalized)")
      ->type_name("STATUS")
      ->group(feed);
  cmd->add_option("--page-size", opt->page_size,
                  "Claims per request, 1 to 100 (default: the portal's, 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 100))
      ->group(feed);
  add_since_flags(*cmd, opt->since, "claims");
  add_batch_flags(*cmd, opt->batch);
  cmd->footer(
      "Examples:\n"
      "  provportal claim-status --claim-number C71000000102\n"
      "  provportal claim-status --member-id ACM100234 --dob 1958-03-14 --provider-npi 1234567893 "
      "\\\n"
      "      --service-from 2026-10-01 --service-to 2026-11-30 -o table\n"
      "  provportal claim-status --batch claims.csv --results claim-results.csv\n"
      "  provportal claim-status --since last -O claims.jsonl          # nightly: what changed "
      "since the last pull\n"
      "  provportal claim-status --since last --no-advance -o table     # peek without moving the "
      "watermark\n"
      "  provportal claim-status --since 24h --status finalized -o csv\n"
      "  provportal claim-status --provider-npi 1003000126 -o table     # every claim of one "
      "provider\n\n"
      "With no inquiry flags and no --batch, lists your organisation's claims (those that changed "
      "in the\n"
      "--since window), oldest change first, page by page. Batch columns (CSV) and keys (YAML, "
      "JSON Lines)\n"
      "are the fields of schemas/claim_status.schema.json: ref, claim_number, or member_id, "
      "date_of_birth,\n"
      "provider_npi, service_from, service_to; --results gets each row's claim numbers and status "
      "codes.\n\n"
      "--since last reads the watermark of this profile, portal and query from\n"
      "$XDG_STATE_HOME/provportal/watermarks/ and moves it to the portal's as_of once the output "
      "was\n"
      "written completely (with -O FILE: once FILE is in place). The first pull of a query "
      "returns\n"
      "everything. Delete the query's file there to start over.\n"
      "Exit 0 even when no claim matches; 6 when the portal cannot match the member (reject "
      "reason).");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(
        printed_fields(opt->batch, ops::claim_fields(), ops::claim_status_result_columns()));
    ctx.action = [opt, &ctx] { return run_claim_status(*opt, ctx); };
  });
}

}  // namespace portal::cli
