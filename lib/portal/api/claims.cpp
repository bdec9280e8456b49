#include "portal/api/claims.hpp"

#include <boost/json.hpp>

#include "portal/api/portal_api.hpp"

namespace portal::api {

namespace json = boost::json;

namespace {

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The columns a results file shows for the claims an inquiry found.
void summarize(json::object& answer) {
  json::array numbers, categories, statuses;
  std::size_t count = 0;
  if (const auto* claims = answer.if_contains("claims"); claims && claims->is_array()) {
    for (const auto& c : claims->get_array()) {
      if (!c.is_object()) continue;
      ++count;
      numbers.push_back(json::string(text(c.get_object(), "claim_number")));
      categories.push_back(json::string(text(c.get_object(), "status_category")));
      statuses.push_back(json::string(text(c.get_object(), "status")));
    }
  }
  answer["claim_count"] = count;
  answer["claim_numbers"] = std::move(numbers);
  answer["status_categories"] = std::move(categories);
  answer["statuses"] = std::move(statuses);
}

batch::RowResult inquiry_action(batch::RowContext& ctx, const std::string& changed_since) {
  json::object body = ctx.record();
  if (!changed_since.empty()) body["changed_since"] = changed_since;
  http::Request req;
  req.method = "POST";
  req.target = "/v1/claims/status";
  req.body = json::serialize(body);
  auto answer = ctx.send(std::move(req));
  if (!answer) return ctx.unanswered();
  batch::RowResult result = batch::interpret_answer(*answer);
  if (result.outcome == "ok") {
    summarize(result.answer);
    return result;
  }
  if (const auto* reason = result.answer.if_contains("reject_reason");
      reason && reason->is_object()) {
    result.code = text(reason->get_object(), "code");
    result.message = text(reason->get_object(), "message");
  }
  return result;
}

}  // namespace

std::vector<FieldError> check_claim_status(const json::object& record) {
  std::vector<FieldError> problems;
  std::string from = text(record, "service_from"), to = text(record, "service_to");
  if (!from.empty() && !to.empty() && to < from)
    problems.push_back({"service_to", "is before service_from"});
  return problems;
}

batch::Operation claim_status_operation(std::string changed_since) {
  batch::Operation op;
  op.name = "claim-status";
  op.schema = "claim_status";
  op.target = "/v1/claims/status";
  op.check = [](const json::object& record) { return check_claim_status(record); };
  op.action = [changed_since = std::move(changed_since)](batch::RowContext& ctx) {
    return inquiry_action(ctx, changed_since);
  };
  op.result_columns = {
      "as_of",    "claim_count",        "claim_numbers",        "status_categories",
      "statuses", "reject_reason.code", "reject_reason.x12_aaa"};
  return op;
}

std::string claims_query(const ClaimFeedQuery& q, const std::string& page_token) {
  std::string out;
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    out += (out.empty() ? "" : "&") + std::string(name) + "=" + url_encode(value);
  };
  add("changed_since", q.changed_since);
  add("provider_npi", q.provider_npi);
  add("status", q.status);
  if (q.page_size) add("page_size", std::to_string(q.page_size));
  add("page_token", page_token);
  return out;
}

}  // namespace portal::api
