// provportal submit-case: prior authorization cases, one from flags or a file, or a batch; the
// portal answers with an order (approved, pended or needs-documents) and the attachments are
// uploaded in the same run when it asks for documents.
#include <fstream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "batch_cmd.hpp"
#include "commands.hpp"
#include "exit_code.hpp"
#include "portal/ops/fields.hpp"
#include "portal/ops/prior_auth.hpp"
#include "portal/util/clock.hpp"
#include "record_file.hpp"
#include "stream_printer.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct CaseOptions {
  std::string case_file;
  std::string ref, health_plan, solution, member_id, first_name, last_name, date_of_birth,
      ordering_npi, servicing_npi, service_start, service_end, urgency, additional_info,
      additional_info_file;
  std::vector<std::string> procedures, diagnoses, answers, attachments;
  bool not_duplicate = false;
  bool wait_decision = false;
  std::string max_wait;
  BatchFlags batch;

  bool any_record_flag() const {
    return !case_file.empty() || !ref.empty() || !health_plan.empty() || !solution.empty() ||
           !member_id.empty() || !first_name.empty() || !last_name.empty() ||
           !date_of_birth.empty() || !ordering_npi.empty() || !servicing_npi.empty() ||
           !service_start.empty() || !service_end.empty() || !urgency.empty() ||
           !additional_info.empty() || !additional_info_file.empty() || !procedures.empty() ||
           !diagnoses.empty() || !answers.empty() || !attachments.empty() || not_duplicate;
  }
};

// The case from --case-file and the flags (flags win), as the schema names its fields.
Expected<json::object> case_record(const CaseOptions& opt) {
  json::object record;
  if (!opt.case_file.empty()) {
    auto r = read_record_file(opt.case_file);
    if (!r) return fail(r.error());
    record = std::move(*r);
  }
  put_flags(record, {{"ref", opt.ref},
                     {"health_plan", opt.health_plan},
                     {"solution", opt.solution},
                     {"member_id", opt.member_id},
                     {"first_name", opt.first_name},
                     {"last_name", opt.last_name},
                     {"date_of_birth", opt.date_of_birth},
                     {"ordering_npi", opt.ordering_npi},
                     {"servicing_npi", opt.servicing_npi},
                     {"service_start", opt.service_start},
                     {"service_end", opt.service_end},
                     {"urgency", opt.urgency},
                     {"additional_info", opt.additional_info}});
  if (!opt.additional_info_file.empty()) {
    std::ifstream in(opt.additional_info_file, std::ios::binary);
    if (!in) {
      return fail(ErrorKind::input,
                  "cannot read --additional-info-file " + opt.additional_info_file,
                  "check the path");
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string info = text.str();
    while (!info.empty() && (info.back() == '\n' || info.back() == '\r')) info.pop_back();
    record["additional_info"] = info;
  }
  // Repeated flags give lists; coerce_to_schema turns "70551:1" into {code, units}.
  auto list = [&](const char* key, const std::vector<std::string>& values) {
    if (values.empty()) return;
    json::array a;
    for (const auto& v : values) a.emplace_back(json::string(v));
    record[key] = std::move(a);
  };
  list("procedures", opt.procedures);
  list("diagnoses", opt.diagnoses);
  list("attachments", opt.attachments);
  if (opt.not_duplicate) record["not_duplicate"] = true;
  if (!opt.answers.empty()) {
    json::object answers;
    if (auto* given = record.if_contains("answers"); given && given->is_object())
      answers = given->get_object();
    for (const auto& a : opt.answers) {
      auto eq = a.find('=');
      if (eq == std::string::npos || eq == 0) {
        return fail(ErrorKind::usage,
                    "--answer " + a + ": write QUESTION=ANSWER, e.g. --answer q1=yes",
                    "provportal submit-case --help lists the flags");
      }
      answers[a.substr(0, eq)] = a.substr(eq + 1);
    }
    record["answers"] = std::move(answers);
  }
  return record;
}

// What a person needs from an order first.
json::object order_summary(const json::object& order) {
  json::object s;
  for (const char* key : {"order_id", "acmp_number", "status", "health_plan", "solution",
                          "documents_uploaded", "next_step"}) {
    if (const auto* v = order.if_contains(key)) s[key] = *v;
  }
  if (const auto* req = order.if_contains("documents_required");
      req && req->is_array() && !req->get_array().empty()) {
    json::array types;
    for (const auto& d : req->get_array()) {
      if (const auto* t = d.is_object() ? d.get_object().if_contains("document_type") : nullptr)
        types.push_back(*t);
    }
    s["documents_required"] = std::move(types);
  }
  return s;
}

// `made` waiting for each pended order's decision when --wait-decision is given.
Expected<batch::Operation> with_wait(const CaseOptions& opt, std::shared_ptr<const wire::Wire> wire,
                                     Expected<batch::Operation> made) {
  if (!made || !opt.wait_decision) return made;
  ops::DecisionWait wait;
  if (!opt.max_wait.empty()) {
    auto d = parse_duration(opt.max_wait);
    if (!d || d->count() <= 0) {
      return fail(ErrorKind::usage, "--max-wait " + opt.max_wait + " is not a duration",
                  "write it as 90s, 30m, 4h or 2d");
    }
    wait.max_wait = *d;
  }
  return ops::waiting_for_decision(std::move(*made), std::move(wire), wait);
}

Expected<void> run_single_case(const CaseOptions& opt, Context& ctx) {
  auto record = case_record(opt);
  if (!record) return fail(record.error());
  std::filesystem::path base = opt.case_file.empty() || opt.case_file == "-"
                                   ? std::filesystem::path()
                                   : std::filesystem::path(opt.case_file).parent_path();
  auto op = ctx.over_chosen_wire([&](auto wire) {
    return with_wait(opt, wire,
                     ops::case_operation(wire, base, portal_limits(ctx, opt.batch.dry_run),
                                         forget_limits_when_refused(ctx)));
  });
  if (!op) return fail(op.error());
  auto result = run_single(ctx, *op, std::move(*record), &opt.batch);
  if (!result) return fail(result.error());
  if (result->outcome == "ok") {
    if (ctx.format() == output::Format::table || ctx.format() == output::Format::csv) {
      auto summary = order_summary(result->answer);
      ctx.print(ctx.fields() ? shown_row(result->answer, summary) : summary);
    } else {
      ctx.print(result->answer);
    }
    const auto* status = result->answer.if_contains("status");
    if (status && status->is_string() && status->get_string() == "needs-documents") {
      std::string order_id;
      if (const auto* id = result->answer.if_contains("order_id"); id && id->is_string())
        order_id = id->get_string();
      ctx.notice("The portal needs documents for order " + order_id +
                 ": upload them with `provportal upload-docs " + order_id +
                 " FILE --document-type TYPE` (or give --attach FILE with the case).");
    }
    return {};
  }
  if (result->outcome == "pending") {
    // Submitted, not decided within --max-wait: the order is printed, and exit 7 says the run
    // is to be repeated (its key replays the same order, and the wait goes on).
    ctx.print(ctx.format() == output::Format::table || ctx.format() == output::Format::csv
                  ? order_summary(result->answer)
                  : result->answer);
    ctx.notice(result->message + ".");
    ctx.exit_code = k_exit_rows_failed;
    return {};
  }
  ErrorKind kind = result->outcome == "rejected"  ? ErrorKind::refused
                   : result->outcome == "invalid" ? ErrorKind::input
                                                  : ErrorKind::unavailable;
  std::string message = result->message.empty() ? "the case was not submitted" : result->message;
  Error e(kind, message);
  e.code = result->code;
  e.http_status = result->http_status;
  if (result->code == "case_rejected") {
    e.message = "the portal rejected the case";
    e.fields = result->errors;
    std::string existing;
    if (const auto* id = result->answer.if_contains("existing_order_id"); id && id->is_string()) {
      existing = id->get_string();
    }
    e.hint = existing.empty()
                 ? "correct the fields named above and submit again"
                 : "order " + existing +
                       " is still open: see it with `provportal search-orders --order-id " +
                       existing + "`";
  } else if (result->code == "duplicate_order") {
    std::string existing;
    if (const auto* id = result->answer.if_contains("existing_order_id"); id && id->is_string()) {
      existing = id->get_string();
    }
    e.message = "the portal rejected the case as a duplicate: order " + existing +
                " already approves these procedure codes for this member and these dates";
    e.hint = "see it with `provportal search-orders --order-id " + existing +
             "`; if this case really is new, add --not-duplicate with the reason in "
             "--additional-info";
  } else if (result->outcome == "failed") {
    e.hint = "run the same command again: the idempotency key makes the portal answer it only once";
  }
  return fail(std::move(e));
}

Expected<void> run_submit(const CaseOptions& opt, Context& ctx) {
  if (!opt.batch.file.empty()) {
    if (opt.any_record_flag()) {
      return fail(ErrorKind::usage, "--batch and the flags of one case cannot be combined",
                  "put the case in the batch file, or leave out --batch");
    }
    auto op = ctx.over_chosen_wire([&](auto wire) {
      return with_wait(opt, wire,
                       ops::case_operation(wire, batch_base_dir(opt.batch.file),
                                           portal_limits(ctx, opt.batch.dry_run),
                                           forget_limits_when_refused(ctx)));
    });
    if (!op) return fail(op.error());
    return run_batch_command(ctx, *op, opt.batch);
  }
  if (!opt.any_record_flag()) {
    return fail(ErrorKind::usage, "no case given",
                "give the case's flags, --case-file FILE or --batch FILE (see provportal "
                "submit-case --help)");
  }
  return run_single_case(opt, ctx);
}

}  // namespace

void setup_submit_case(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<CaseOptions>();
  auto* cmd = app.add_subcommand(
      "submit-case",
      "Submit prior authorization cases (one, or a batch) and upload their documents");
  const char* g = "Case";
  cmd->add_option("--case-file", opt->case_file,
                  "Read the case from a JSON or YAML file (flags override it)")
      ->type_name("FILE")
      ->group(g);
  cmd->add_option("--ref", opt->ref,
                  "Your reference, echoed in the result (and the idempotency key)")
      ->type_name("REF")
      ->group(g);
  cmd->add_option("--health-plan", opt->health_plan, "Health plan id, e.g. acme-commercial")
      ->type_name("PLAN")
      ->group(g);
  with_choices(cmd->add_option("--solution", opt->solution, "Clinical program, e.g. radiology")
                   ->type_name("SOLUTION")
                   ->group(g),
               {"radiology", "cardiology", "sleep", "musculoskeletal", "genetic_testing", "dmepos",
                "home_health", "post_acute", "wound_care"},
               false);
  cmd->add_option("--member-id", opt->member_id, "Member ID as on the ID card")
      ->type_name("ID")
      ->group(g);
  cmd->add_option("--first-name", opt->first_name, "Member's first name")
      ->type_name("NAME")
      ->group(g);
  cmd->add_option("--last-name", opt->last_name, "Member's last name")->type_name("NAME")->group(g);
  cmd->add_option("--date-of-birth,--dob", opt->date_of_birth,
                  "Member's date of birth (YYYY-MM-DD)")
      ->type_name("DATE")
      ->group(g);
  cmd->add_option("--ordering-npi", opt->ordering_npi, "NPI of the ordering provider")
      ->type_name("NPI")
      ->group(g);
  cmd->add_option("--servicing-npi", opt->servicing_npi,
                  "NPI of the servicing provider or facility")
      ->type_name("NPI")
      ->group(g);
  cmd->add_option("--procedure", opt->procedures,
                  "CPT/HCPCS code and units, e.g. 70551:1 (repeatable)")
      ->type_name("CODE:UNITS")
      ->group(g);
  cmd->add_option("--diagnosis", opt->diagnoses, "ICD-10-CM code, primary first (repeatable)")
      ->type_name("CODE")
      ->group(g);
  cmd->add_option("--service-start", opt->service_start, "First date of service (YYYY-MM-DD)")
      ->type_name("DATE")
      ->group(g);
  cmd->add_option("--service-end", opt->service_end, "Last date of service (YYYY-MM-DD)")
      ->type_name("DATE")
      ->group(g);
  with_choices(cmd->add_option("--urgency", opt->urgency, "routine (default) or urgent")
                   ->type_name("URGENCY")
                   ->group(g),
               {"routine", "urgent"});
  cmd->add_option("--answer", opt->answers,
                  "Answer to a clinical question, e.g. q1=yes (repeatable)")
      ->type_name("Q=A")
      ->group(g);
  cmd->add_option("--additional-info", opt->additional_info,
                  "Free text for the reviewer (at most the solution's limit, GET /v1/limits)")
      ->type_name("TEXT")
      ->group(g);
  cmd->add_option("--additional-info-file", opt->additional_info_file,
                  "Read the free text for the reviewer from FILE")
      ->type_name("FILE")
      ->excludes("--additional-info")
      ->group(g);
  cmd->add_flag("--not-duplicate", opt->not_duplicate,
                "The case is new although it repeats an approved order's member, codes and "
                "dates (give the reason in --additional-info)")
      ->group(g);
  cmd->add_option(
         "--attach", opt->attachments,
         "A PDF, TIFF, JPEG or PNG to upload with the case, whatever its status (repeatable)")
      ->type_name("FILE")
      ->group(g);
  auto* wait_flag = cmd->add_flag("--wait-decision", opt->wait_decision,
                                  "For a pended case, wait for the portal's decision (polling "
                                  "the order politely)");
  cmd->add_option("--max-wait", opt->max_wait,
                  "How long --wait-decision waits, e.g. 30m or 2h (default 1h)")
      ->type_name("DURATION")
      ->needs(wait_flag);
  add_batch_flags(*cmd, opt->batch);
  cmd->footer(
      "Examples:\n"
      "  provportal submit-case --health-plan acme-commercial --solution radiology \\\n"
      "      --member-id ACM100234 --first-name James --last-name Whitaker --dob 1958-03-14 \\\n"
      "      --ordering-npi 1234567893 --servicing-npi 1245319599 --procedure 70551:1 \\\n"
      "      --diagnosis M54.16 --service-start 2026-12-01 --service-end 2027-02-28 \\\n"
      "      --answer q1=no --answer q2=8 --answer q3=no --attach notes.pdf\n"
      "  provportal submit-case --case-file case.yaml -o json\n"
      "  provportal submit-case --batch examples/cases.yaml --results cases-results.csv\n"
      "  provportal submit-case --batch cases.csv --dry-run\n"
      "  provportal submit-case --case-file case.yaml --wait-decision --max-wait 2h\n\n"
      "Columns (CSV) and keys (YAML, JSON Lines) are the fields of schemas/case.schema.json. In "
      "CSV a\n"
      "list is one cell with ';' between items (procedures 70551:1;70553:1, diagnoses "
      "M54.16;M51.26,\n"
      "attachments a.pdf;b.png) and answers are one column per question (answers.q1, answers.q2).\n"
      "Attachment paths in a batch are relative to the batch file's directory. They are checked\n"
      "before anything is sent (a regular file, not a symlink, PDF/TIFF/JPEG/PNG by content, "
      "within\n"
      "the portal's size limit) and uploaded to the order whatever its status: in order, as "
      "the\n"
      "documents the portal asks for (needs-documents), the rest as `other`.\n"
      "A case repeating the member, procedure codes and dates of an approved order is rejected "
      "as\n"
      "duplicate_order naming that order (existing_order_id); --not-duplicate (column "
      "not_duplicate)\n"
      "sends it anyway, with the reason in additional_info.\n"
      "additional_info is checked against the limit the portal announces for the case's solution\n"
      "(GET /v1/limits), cached per profile in $XDG_CACHE_HOME/provportal/limits/ and asked again\n"
      "after a day; --dry-run uses the cache offline at any age (with none and no portal: the\n"
      "schema's generic maximum, and it says so).\n"
      "--wait-decision polls a pended order (1s, then each wait half as long again, up to 30s;\n"
      "Retry-After honoured) until it is decided or --max-wait passes. Killed, the same command\n"
      "(or --resume for a batch) submits nothing twice: the idempotency key replays the order\n"
      "and the wait goes on. Out of time, a case is `pending` (its order printed, the CMS-0057-F\n"
      "decision_due with it): exit 7 for one case; in a batch, pending rows leave the exit code\n"
      "as it is and --resume waits for them again.\n"
      "Exit 0 when the order was created (whatever its status), 6 when the portal rejected the "
      "case\n"
      "(each reason is named); for a batch 0 when every row is ok, 1 when some were rejected or "
      "invalid.");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(printed_fields(opt->batch, ops::case_fields(), ops::case_result_columns()));
    ctx.action = [opt, &ctx] { return run_submit(*opt, ctx); };
  });
}

}  // namespace portal::cli
