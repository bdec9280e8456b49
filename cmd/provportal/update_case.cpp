// provportal update-case: a revision of an order still open (units added to its procedures, a
// later service end date, diagnoses added), one from flags or a batch; idempotent and journaled
// like a case.
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "batch_cmd.hpp"
#include "commands.hpp"
#include "order_change.hpp"
#include "portal/ops/case_changes.hpp"
#include "portal/ops/fields.hpp"
#include "record_file.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

struct UpdateOptions {
  std::string order_id, ref, service_end;
  std::vector<std::string> units, diagnoses;
  OrderParties parties;  // what a 278 revision names besides the order (the X12 wires)
  BatchFlags batch;

  bool any_record_flag() const {
    return !order_id.empty() || !ref.empty() || !service_end.empty() || !units.empty() ||
           !diagnoses.empty() || parties.any();
  }
};

Expected<void> run_update(const UpdateOptions& opt, Context& ctx) {
  auto op = ctx.over_chosen_wire([](auto wire) { return ops::case_update_operation(wire); });
  if (!op) return fail(op.error());
  if (!opt.batch.file.empty()) {
    if (opt.any_record_flag()) {
      return fail(ErrorKind::usage, "--batch and the flags of one update cannot be combined",
                  "put every update in the batch file (ref, order_id, procedures, service_end, "
                  "diagnoses)");
    }
    return run_batch_command(ctx, *op, opt.batch);
  }
  if (opt.order_id.empty()) {
    return fail(ErrorKind::usage, "update-case needs an order ID",
                "provportal update-case ORDER_ID --units CODE:N, --end-date DATE or --diagnosis "
                "CODE; or --batch FILE");
  }
  json::object record;
  put_flags(record,
            {{"order_id", opt.order_id}, {"ref", opt.ref}, {"service_end", opt.service_end}});
  opt.parties.put(record);
  auto list = [&](const char* key, const std::vector<std::string>& values) {
    if (values.empty()) return;
    json::array a;
    for (const auto& v : values) a.emplace_back(json::string(v));
    record[key] = std::move(a);
  };
  list("procedures", opt.units);
  list("diagnoses", opt.diagnoses);
  return run_order_change(ctx, *op, std::move(record), opt.batch, "revise");
}

}  // namespace

void setup_update_case(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<UpdateOptions>();
  auto* cmd = app.add_subcommand(
      "update-case",
      "Revise an open order: add units, extend its service dates, add a diagnosis (or a batch)");
  cmd->add_option("order_id", opt->order_id, "The order to revise, e.g. ORD-12345678")
      ->type_name("ORDER_ID");
  cmd->add_option("--units", opt->units,
                  "Units to add to a procedure of the order, CODE:N, e.g. 97597:2 (repeatable)")
      ->type_name("CODE:N");
  cmd->add_option("--end-date", opt->service_end,
                  "A later last date of service (YYYY-MM-DD): the dates are extended")
      ->type_name("DATE");
  cmd->add_option("--diagnosis", opt->diagnoses, "An ICD-10-CM code to add (repeatable)")
      ->type_name("CODE");
  cmd->add_option("--ref", opt->ref,
                  "Your reference, echoed in the result (and the idempotency key)")
      ->type_name("REF");
  opt->parties.add_flags(*cmd);
  add_batch_flags(*cmd, opt->batch);
  cmd->footer(
      "Examples:\n"
      "  provportal update-case ORD-12345678 --units 97597:2\n"
      "  provportal update-case ORD-12345678 --end-date 2027-03-31 --diagnosis L97.412 -o json\n"
      "  provportal update-case --batch updates.csv --results updated.csv\n\n"
      "Only an order still open (pended or needs-documents) can be revised; a decided or\n"
      "cancelled one is refused with its status named (submit a new case instead). The batch's\n"
      "columns are the fields of schemas/case_update.schema.json: ref, order_id, procedures\n"
      "(units to add, 97597:2;97598:1), service_end, diagnoses (L97.412;E11.621).\n"
      "Each update carries an idempotency key from its content (or its ref): run again, the\n"
      "portal answers it as before and adds nothing twice. To add units again on purpose, give\n"
      "a new --ref.\n"
      "Over x12-core the revision is a 278 (UM02 S, REF*BB the order ID, DTP*036 the new end\n"
      "date, HI the added diagnoses, a 2000F per code with the units to add), which names the\n"
      "plan, the member and the requester too: give them as flags or columns (health_plan,\n"
      "member_id, first_name, last_name, date_of_birth, ordering_npi).\n"
      "Exit 0 when the order was revised, 2 on bad flags, 3 when the update is not valid\n"
      "(nothing was sent), 4 when not logged in, 5 when the portal cannot be reached, 6 when\n"
      "the portal refused it (unknown order, decided or cancelled order, a code not on the\n"
      "order, an earlier end date); for a batch 0 when every row is ok, 1 when some were not.");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(
        printed_fields(opt->batch, ops::order_fields(), ops::case_change_result_columns()));
    ctx.action = [opt, &ctx] { return run_update(*opt, ctx); };
  });
}

}  // namespace portal::cli
