// provportal cancel-case: cancels an order still open (pended or needs-documents), one from flags
// or a batch; idempotent and journaled like a case.
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

struct CancelOptions {
  std::string order_id, ref, reason;
  OrderParties parties;  // what a 278 cancellation names besides the order (the X12 wires)
  BatchFlags batch;
};

Expected<void> run_cancel(const CancelOptions& opt, Context& ctx) {
  auto op = ctx.over_chosen_wire([](auto wire) { return ops::case_cancel_operation(wire); });
  if (!op) return fail(op.error());
  if (!opt.batch.file.empty()) {
    if (!opt.order_id.empty() || !opt.ref.empty() || !opt.reason.empty() || opt.parties.any()) {
      return fail(ErrorKind::usage, "--batch and the flags of one cancellation cannot be combined",
                  "put every cancellation in the batch file (ref, order_id, reason)");
    }
    return run_batch_command(ctx, *op, opt.batch);
  }
  if (opt.order_id.empty() || opt.reason.empty()) {
    return fail(ErrorKind::usage, "cancel-case needs an order ID and --reason",
                "provportal cancel-case ORDER_ID --reason \"service no longer needed\"; or "
                "--batch FILE");
  }
  json::object record;
  put_flags(record, {{"order_id", opt.order_id}, {"ref", opt.ref}, {"reason", opt.reason}});
  opt.parties.put(record);
  return run_order_change(ctx, *op, std::move(record), opt.batch, "cancel");
}

}  // namespace

void setup_cancel_case(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<CancelOptions>();
  auto* cmd = app.add_subcommand("cancel-case",
                                 "Cancel an open order (pended or needs-documents), or a batch");
  cmd->add_option("order_id", opt->order_id, "The order to cancel, e.g. ORD-12345678")
      ->type_name("ORDER_ID");
  cmd->add_option("--reason", opt->reason,
                  "Why the case is cancelled, 1 to 500 characters (no member details needed)")
      ->type_name("TEXT");
  cmd->add_option("--ref", opt->ref,
                  "Your reference, echoed in the result (and the idempotency key)")
      ->type_name("REF");
  opt->parties.add_flags(*cmd);
  add_batch_flags(*cmd, opt->batch);
  cmd->footer(
      "Examples:\n"
      "  provportal cancel-case ORD-12345678 --reason \"service no longer needed\"\n"
      "  provportal cancel-case --batch cancellations.csv --results cancelled.csv\n"
      "  provportal --wire x12-core cancel-case ORD-12345678 --reason \"no longer needed\" \\\n"
      "      --health-plan acme-commercial --member-id ACM100234 --first-name James \\\n"
      "      --last-name Whitaker --dob 1958-03-14 --ordering-npi 1234567893\n\n"
      "Only an order still open (pended or needs-documents) can be cancelled; a decided one is\n"
      "refused with its status named. Cancelling an order already cancelled answers the order as\n"
      "it is, and a cancellation run again (same content or ref) is answered as before.\n"
      "The batch's columns are the fields of schemas/case_cancel.schema.json: ref, order_id,\n"
      "reason. search-orders then shows the order as cancelled (--status cancelled).\n"
      "Over x12-core the cancellation is a 278 (BHT02 01, UM02 3, REF*BB the order ID), which\n"
      "names the plan, the member and the requester too: give them as flags or columns\n"
      "(health_plan, member_id, first_name, last_name, date_of_birth, ordering_npi); the JSON\n"
      "wire does not need them and does not send them.\n"
      "Exit 0 when the order is cancelled, 2 on bad flags, 3 when the row is not valid (nothing\n"
      "was sent), 4 when not logged in, 5 when the portal cannot be reached, 6 when the portal\n"
      "refused it (unknown or decided order); for a batch 0 when every row is ok, 1 when some\n"
      "were not.");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(
        printed_fields(opt->batch, ops::order_fields(), ops::case_change_result_columns()));
    ctx.action = [opt, &ctx] { return run_cancel(*opt, ctx); };
  });
}

}  // namespace portal::cli
