// provportal x12 build 270|276|278: a batch of the commands' records (check-eligibility's,
// claim-status's, submit-case's) as one X12 interchange, offline: each row validated as the command
// validates it, then one ST..SE per row, its TRN02 the trace of the row's idempotency key, so a
// payer's answers to the file match the rows as they do over the X12 wires.
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "context.hpp"
#include "portal/batch/reader.hpp"
#include "portal/batch/rows.hpp"
#include "portal/log/log.hpp"
#include "portal/ops/claim_status.hpp"
#include "portal/ops/eligibility.hpp"
#include "portal/ops/prior_auth.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/maintenance.hpp"
#include "portal/wire/x12/controls.hpp"
#include "portal/wire/x12/interchange_stream.hpp"
#include "portal/wire/x12/payers.hpp"
#include "portal/wire/x12/vocabulary.hpp"

namespace portal::cli {

namespace json = boost::json;
namespace x12w = wire::x12w;

namespace {

struct BuildOptions {
  std::string set;  // 270, 276 or 278
  std::string file;
  std::string format;
  std::string sender_id, receiver_id, usage, payers_file;
  std::uint32_t sets_per_group = x12w::InterchangeStream::k_max_sets_per_group;
  bool newlines = false;
  bool no_templates = false, verify_templates = false;  // for tests (hidden flags)
};

// What the build writes with: the profile's keys unless a flag says otherwise.
struct Envelope {
  x12w::Parties parties;
  x12w::Payers payers;
};

Expected<Envelope> envelope_of(const BuildOptions& opt, const config::Profile& profile) {
  Envelope e;
  e.parties.sender_id = opt.sender_id.empty() ? profile.sender_id : opt.sender_id;
  e.parties.receiver_id = opt.receiver_id.empty() ? profile.receiver_id : opt.receiver_id;
  const std::string usage = opt.usage.empty() ? profile.usage_indicator : opt.usage;
  const std::string payers = opt.payers_file.empty() ? profile.payers_file : opt.payers_file;
  auto needs = [](std::string_view what, std::string_view flag, std::string_view key) {
    return fail(ErrorKind::usage,
                "x12 build needs " + std::string(what) + " (1 to 15 characters): " +
                    std::string(flag) + " or the profile's " + std::string(key),
                "provportal config set " + std::string(key) + " ID, or give " + std::string(flag));
  };
  if (e.parties.sender_id.empty() || e.parties.sender_id.size() > 15)
    return needs("the submitter's ID (ISA06, GS02)", "--sender-id", "sender_id");
  if (e.parties.receiver_id.empty() || e.parties.receiver_id.size() > 15)
    return needs("the receiver's ID (ISA08, GS03)", "--receiver-id", "receiver_id");
  if (!usage.empty() && usage != "T" && usage != "P") {
    return fail(ErrorKind::usage, "the usage indicator (ISA15) is T (test) or P (production)",
                "give --usage T or --usage P");
  }
  e.parties.usage = usage == "P" ? 'P' : 'T';
  if (payers.empty()) {
    return fail(ErrorKind::usage,
                "x12 build needs the payers file (health plans to payer IDs, loop 2100A): "
                "--payers-file or the profile's payers_file",
                "give --payers-file examples/payers.yaml (edit it for your clearinghouse's "
                "payer IDs)");
  }
  auto loaded = x12w::Payers::load(payers);
  if (!loaded) return fail(loaded.error());
  e.payers = std::move(*loaded);
  return e;
}

// Today as the commands default a date of service: America/Chicago on the portal's clock, taken
// as this machine's plus the offset seen at the last login (nothing is asked: the build is
// offline), so a row without service_date gets the key check-eligibility --dry-run gives it.
std::function<std::string()> offline_today(Context& ctx) {
  return [&ctx] {
    std::chrono::seconds offset{0};
    if (auto store = ctx.session_store())
      if (auto session = store->load(); session && *session)
        offset = std::chrono::seconds{(*session)->clock_offset};
    return chicago_date(SystemClock().now() + offset);
  };
}

// The operation the command of the set runs (its name scopes the rows' idempotency keys, its
// prepare fills defaults before they are computed, its checks follow the schema's), as over the
// portal's JSON API: the JSON wire adds no check of its own, and the X12 checks are made here.
Expected<batch::Operation> operation_of(wire::Function f, Context& ctx,
                                        const std::string& batch_file) {
  auto json_wire = wire::make(wire::k_default);
  if (!json_wire) return fail(json_wire.error());
  if (f == wire::Function::eligibility)
    return ops::eligibility_operation(*json_wire, offline_today(ctx));
  if (f == wire::Function::case_submission) {
    // Attachments are checked under the batch's folder, against the documented limits (offline:
    // the portal is not asked).
    const std::filesystem::path base = batch_file == "-"
                                           ? std::filesystem::current_path()
                                           : std::filesystem::absolute(batch_file).parent_path();
    return ops::case_operation(*json_wire, base, api::PortalLimits{}, {});
  }
  return ops::claim_status_operation(*json_wire);
}

// The bytes built so far go out in large writes.
constexpr std::size_t k_flush_bytes = 1 << 20;

Expected<void> run_build(const BuildOptions& opt, Context& ctx) {
  const wire::Function f = opt.set == "270"   ? wire::Function::eligibility
                           : opt.set == "276" ? wire::Function::claim_inquiry
                                              : wire::Function::case_submission;
  batch::Format format;
  if (!opt.format.empty()) {
    format = *batch::parse_format(opt.format);
  } else if (opt.file == "-") {
    return fail(ErrorKind::usage, "--batch - reads stdin, whose format cannot be told from a name",
                "add --batch-format csv|yaml|jsonl");
  } else {
    auto by_name = batch::format_of(opt.file);
    if (!by_name) return fail(by_name.error());
    format = *by_name;
  }
  auto settings = ctx.settings();
  if (!settings) return fail(settings.error());
  auto env = envelope_of(opt, (*settings)->profile);
  if (!env) return fail(env.error());
  auto op = operation_of(f, ctx, opt.file);
  if (!op) return fail(op.error());

  std::ifstream file;
  std::istream* in = &std::cin;
  if (opt.file != "-") {
    file.open(opt.file, std::ios::binary);
    if (!file) {
      return fail(ErrorKind::input, "cannot open the batch file " + opt.file,
                  "check the path; --batch - reads stdin");
    }
    in = &file;
  }
  const std::string input_name = opt.file == "-" ? "stdin" : opt.file;
  auto reader = batch::make_reader(format, *in, input_name);

  auto store = x12w::open_control_numbers(config::state_dir(ctx.env()), env->parties.sender_id);
  if (!store) return fail(store.error());
  x12w::InterchangeStream::Options so;
  so.parties = env->parties;
  so.receiver_id = env->parties.receiver_id;
  so.time = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  so.sets_per_group = opt.sets_per_group;
  so.newline_after_segment = opt.newlines;
  so.templates = !opt.no_templates;
  so.verify_templates = opt.verify_templates;
  x12w::InterchangeStream stream(f, std::move(so), *store);

  const auto started = std::chrono::steady_clock::now();
  std::ostream& out = ctx.out();
  auto flush = [&] {
    out.write(stream.out().data(), static_cast<std::streamsize>(stream.out().size()));
    stream.out().clear();
  };
  // One inquiry of each kind, refilled row after row: their strings keep their memory.
  x12::EligibilityInquiry eligibility;
  x12::ClaimInquiry claim;
  x12::ServiceReview review;
  std::size_t rows = 0, invalid = 0;
  std::vector<FieldError> errors;
  std::string key, trace;
  for (;;) {
    auto next = reader->next();
    if (!next) return fail(next.error());
    if (!*next) break;
    batch::Record& rec = **next;
    ++rows;
    errors.clear();
    std::optional<std::string> problem = std::move(rec.problem);
    if (!problem) {
      batch::coerce_to_schema(op->schema, rec.fields);
      if (op->prepare) op->prepare(rec.fields);
      errors = records::validate_record(op->schema, rec.fields);
      if (errors.empty() && op->check) errors = op->check(rec.fields);
    }
    if (!problem && errors.empty()) {
      batch::assign_idempotency_key(key, op->name, rec.fields);
      x12w::assign_trace(trace, key);
      if (f == wire::Function::case_submission) {
        auto made = x12w::service_review(rec.fields, env->payers, env->parties, trace);
        if (made)
          review = std::move(*made);
        else
          errors = std::move(made.error());
      } else {
        errors =
            f == wire::Function::eligibility
                ? x12w::fill_eligibility_inquiry(rec.fields, env->payers, env->parties, trace,
                                                 eligibility)
                : x12w::fill_claim_inquiry(rec.fields, env->payers, env->parties, trace, claim);
      }
      if (errors.empty()) {
        // One interchange goes to one receiver: a payer reached elsewhere needs a file of its own.
        const auto* plan = rec.fields.if_contains("health_plan");
        const auto* payer =
            plan && plan->is_string() ? env->payers.of_plan(plan->get_string()) : nullptr;
        if (payer && !payer->receiver_id.empty() &&
            payer->receiver_id != env->parties.receiver_id) {
          errors.push_back(
              {"health_plan", "its payer's interchanges go to receiver " + payer->receiver_id +
                                  " (payers file), not " + env->parties.receiver_id +
                                  ": build its rows into a file of their own with --receiver-id " +
                                  payer->receiver_id});
        }
      }
      if (errors.empty()) {
        auto added = f == wire::Function::eligibility     ? stream.add(eligibility)
                     : f == wire::Function::claim_inquiry ? stream.add(claim)
                                                          : stream.add(review);
        if (!added) return fail(added.error());
        if (*added) errors.push_back(x12w::field_error_of(f, **added));
      }
    }
    if (problem || !errors.empty()) {
      ++invalid;
      if (!ctx.global.quiet) {
        // The line and the fields, never their values (they may be PHI).
        const std::string where = input_name + ":" + std::to_string(rec.line) + ": ";
        if (problem) log::message(where + *problem, "warning", nullptr, false);
        for (const auto& e : errors) {
          log::message(
              where + (e.field.empty() ? std::string("the row") : e.field) + ": " + e.message,
              "warning", nullptr, false);
        }
      }
    }
    if (stream.out().size() >= k_flush_bytes) flush();
  }
  stream.finish();
  flush();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char line[256];
  std::snprintf(line, sizeof line,
                "%zu rows: %zu %s transaction sets built, %zu invalid; %zu group(s) in "
                "interchange %09u in %.1f s (%.0f rows/s)",
                rows, stream.sets(), opt.set.c_str(), invalid, stream.groups(),
                stream.interchange_control(), secs, secs > 0 ? rows / secs : 0.0);
  ctx.notice(stream.sets() == 0 ? std::string(line) + ": nothing written" : std::string(line));
  ctx.exit_code = invalid > 0 ? 1 : 0;
  return {};
}

}  // namespace

void setup_x12_build(CLI::App& x12, Context& ctx) {
  auto opt = std::make_shared<BuildOptions>();
  auto* build = x12.add_subcommand(
      "build",
      "Build a batch of eligibility (270) or claim status (276) inquiries or prior "
      "authorization cases (278) into one X12 interchange, offline");
  with_choices(build->add_option("set", opt->set, "The transaction set: 270, 276 or 278")
                   ->required()
                   ->type_name("SET"),
               {"270", "276", "278"});
  build
      ->add_option("--batch", opt->file,
                   "The records: CSV with a header, YAML list or JSON Lines (- for stdin), as "
                   "check-eligibility (270), claim-status (276) and submit-case (278) read them")
      ->required()
      ->type_name("FILE");
  with_choices(build
                   ->add_option("--batch-format", opt->format,
                                "Format of --batch when its extension does not say: "
                                "csv|yaml|jsonl")
                   ->type_name("FORMAT"),
               {"csv", "yaml", "jsonl"});
  build
      ->add_option("--sender-id", opt->sender_id,
                   "ISA06/GS02, the submitter (default: the profile's sender_id, "
                   "PROVPORTAL_SENDER_ID)")
      ->type_name("ID");
  build
      ->add_option("--receiver-id", opt->receiver_id,
                   "ISA08/GS03, the clearinghouse or payer the file goes to (default: the "
                   "profile's receiver_id, PROVPORTAL_RECEIVER_ID)")
      ->type_name("ID");
  with_choices(build
                   ->add_option("--usage", opt->usage,
                                "ISA15: T test or P production (default: the profile's "
                                "usage_indicator, else T)")
                   ->type_name("T|P"),
               {"T", "P"});
  build
      ->add_option("--payers-file", opt->payers_file,
                   "Health plans to payer IDs (loop 2100A), like examples/payers.yaml (default: "
                   "the profile's payers_file, PROVPORTAL_PAYERS_FILE)")
      ->type_name("FILE");
  build
      ->add_option("--sets-per-group", opt->sets_per_group,
                   "Transaction sets per functional group (GS..GE) before the next one starts "
                   "(default and most: 999999, what GE01 can count); lower it to what your "
                   "clearinghouse's companion guide accepts")
      ->type_name("N")
      ->check(CLI::Range(1u, x12w::InterchangeStream::k_max_sets_per_group));
  build->add_flag("--newlines", opt->newlines,
                  "A line break after each segment terminator, for people reading the file");
  // The sets' templates (set_template.hpp) off, or checked against the writer set by set.
  build->add_flag("--no-templates", opt->no_templates)->group("");
  build->add_flag("--verify-templates", opt->verify_templates)->group("");
  build->footer(
      "Examples:\n"
      "  provportal x12 build 270 --batch examples/eligibility.csv -O eligibility.x12\n"
      "  provportal x12 build 276 --batch claims.csv --receiver-id CLEARINGHOUSE -O claims.x12\n"
      "  provportal x12 build 278 --batch examples/cases.yaml -O cases.x12\n"
      "  provportal x12 build 270 --batch members.jsonl --sender-id MYOFFICE01 \\\n"
      "      --receiver-id PAYER01 --payers-file payers.yaml > members.x12\n"
      "  provportal x12 validate eligibility.x12\n\n"
      "One interchange (ISA..IEA) with one functional group (HS for 270, HR for 276, HI for 278;\n"
      "a new one every --sets-per-group sets) and one transaction set per valid row, in input\n"
      "order; ISA13 and GS06 come from the sender's control numbers under\n"
      "$XDG_STATE_HOME/provportal/x12/, shared with the x12-core wire, so they never repeat.\n"
      "Each set's TRN02 (and BHT03) is the trace of the row's idempotency key (its ref, else its\n"
      "content), the number the X12 wires send for the same row: `provportal x12 parse` of the\n"
      "payer's 271/277/278 prints it as `trace`. A 278 is written as submit-case sends it over\n"
      "x12-core (docs/core.md, section 9).\n"
      "Rows are validated as the commands validate them (the schema, the NPI check digit, dates,\n"
      "a case's attachments under the batch's folder), then for X12 (a payer ID in the payers\n"
      "file, what the 276 requires, what a 278's MSG can hold); a bad row is reported on stderr as "
      "FILE:LINE: field: reason, never with its\n"
      "values, and left out. Written to -O FILE whole or not at all (FILE.part, then renamed;\n"
      "-O - or no -O: stdout). Memory stays flat for a batch of any size.\n"
      "It exits 0 when every row was built, 1 when some rows were invalid (reported; the others\n"
      "were written), 2 on a usage error (a missing sender, receiver or payers file, a bad flag),\n"
      "3 when the batch cannot be read (nothing is written).");
  build->callback([opt, &ctx] {
    // `-O -` is stdout.
    if (ctx.global.output_file == "-") ctx.global.output_file.clear();
    ctx.action = [opt, &ctx] { return run_build(*opt, ctx); };
  });
}

}  // namespace portal::cli
