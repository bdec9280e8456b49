#include "order_change.hpp"

#include <string>

#include <boost/json.hpp>

#include "portal/ops/case_changes.hpp"
#include "stream_printer.hpp"

namespace portal::cli {

namespace json = boost::json;

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
