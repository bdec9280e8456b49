#include "portal/ops/claim_status.hpp"

#include <boost/json.hpp>

#include "portal/ops/fields.hpp"
#include "portal/ops/over_wire.hpp"

namespace portal::ops {

namespace json = boost::json;

namespace {

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::vector<FieldError> check_claim_status(const json::object& record) {
  std::vector<FieldError> problems;
  std::string from = text(record, "service_from"), to = text(record, "service_to");
  if (!from.empty() && !to.empty() && to < from)
    problems.push_back({"service_to", "is before service_from"});
  return problems;
}

Expected<batch::Operation> claim_status_operation(std::shared_ptr<const wire::Wire> wire,
                                                  std::string changed_since) {
  batch::Operation op;
  op.name = "claim-status";
  op.schema = "claim_status";
  op.check = [](const json::object& record) { return check_claim_status(record); };
  op.result_columns = claim_status_result_columns();
  return over_wire(std::move(op), wire::Function::claim_inquiry, std::move(wire),
                   {.changed_since = std::move(changed_since)});
}

}  // namespace portal::ops
