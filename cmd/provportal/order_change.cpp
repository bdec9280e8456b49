#include "order_change.hpp"

#include <string>

#include <boost/json.hpp>

#include "portal/ops/case_changes.hpp"
#include "record_file.hpp"
#include "stream_printer.hpp"

namespace portal::cli {

namespace json = boost::json;

bool OrderParties::any() const {
  return !health_plan.empty() || !member_id.empty() || !first_name.empty() || !last_name.empty() ||
         !date_of_birth.empty() || !ordering_npi.empty();
}

void OrderParties::add_flags(CLI::App& cmd) {
  const std::string group = "Over the X12 wires (the 278 names them)";
  cmd.add_option("--health-plan", health_plan, "The order's health plan")
      ->type_name("PLAN")
      ->group(group);
  cmd.add_option("--member-id", member_id, "The order's member ID")->type_name("ID")->group(group);
  cmd.add_option("--first-name", first_name, "The member's first name")
      ->type_name("NAME")
      ->group(group);
  cmd.add_option("--last-name", last_name, "The member's last name")
      ->type_name("NAME")
      ->group(group);
  cmd.add_option("--date-of-birth,--dob", date_of_birth, "The member's date of birth")
      ->type_name("YYYY-MM-DD")
      ->group(group);
  cmd.add_option("--ordering-npi", ordering_npi, "The order's ordering provider's NPI")
      ->type_name("NPI")
      ->group(group);
}

void OrderParties::put(json::object& record) const {
  put_flags(record, {{"health_plan", health_plan},
                     {"member_id", member_id},
                     {"first_name", first_name},
                     {"last_name", last_name},
                     {"date_of_birth", date_of_birth},
                     {"ordering_npi", ordering_npi}});
}

Expected<void> run_order_change(Context& ctx, const batch::Operation& op, json::object record,
                                const BatchFlags& flags, std::string_view verb) {
  std::string order_id;
  if (const auto* id = record.if_contains("order_id"); id && id->is_string())
    order_id = id->get_string();
  auto result = run_single(ctx, op, std::move(record), &flags);
  if (!result) return fail(result.error());
  if (result->outcome == "ok") {
    if (ctx.format() == output::Format::table || ctx.format() == output::Format::csv) {
      json::object summary;
      for (const auto& key : ops::case_change_result_columns()) {
        if (const auto* v = result->answer.if_contains(key)) summary[key] = *v;
      }
      ctx.print(ctx.fields() ? shown_row(result->answer, summary) : summary);
    } else {
      ctx.print(result->answer);
    }
    return {};
  }
  ErrorKind kind = result->outcome == "rejected"  ? ErrorKind::refused
                   : result->outcome == "invalid" ? ErrorKind::input
                                                  : ErrorKind::unavailable;
  Error e(kind,
          result->message.empty() ? "order " + order_id + " was not changed" : result->message);
  e.code = result->code;
  e.http_status = result->http_status;
  e.fields = result->errors;
  if (result->code == "invalid_state") {
    std::string status;
    if (const auto* s = result->answer.if_contains("status"); s && s->is_string())
      status = s->get_string();
    e.message = "cannot " + std::string(verb) + " order " + order_id + ": it is " + status +
                " (only pended or needs-documents orders can be)";
    e.hint = "see it with `provportal search-orders --order-id " + order_id + "`";
  } else if (result->code == "not_found") {
    e.hint = "check the order ID (provportal search-orders lists your organisation's orders)";
  } else if (result->code == "case_rejected") {
    e.message = "the portal refused to " + std::string(verb) + " order " + order_id;
    e.hint = "correct the fields named above and run the command again";
  } else if (result->outcome == "failed") {
    e.hint = "run the same command again: the idempotency key makes the portal apply it once";
  }
  return fail(std::move(e));
}

}  // namespace portal::cli
