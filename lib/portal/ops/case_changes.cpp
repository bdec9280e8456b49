#include "portal/ops/case_changes.hpp"

#include <utility>

#include <boost/json.hpp>

#include "portal/ops/over_wire.hpp"
#include "portal/records/codes.hpp"

namespace portal::ops {

namespace json = boost::json;

std::vector<FieldError> check_case_update(const json::object& record) {
  std::vector<FieldError> problems;
  if (!record.contains("procedures") && !record.contains("service_end") &&
      !record.contains("diagnoses")) {
    problems.push_back({"order_id",
                        "the update asks for no change: give procedures (units to "
                        "add), service_end or diagnoses"});
  }
  if (const auto* d = record.if_contains("diagnoses"); d && d->is_array()) {
    for (std::size_t i = 0; i < d->get_array().size(); ++i) {
      const auto& c = d->get_array()[i];
      if (c.is_string() && !records::is_icd10cm_code(c.get_string()))
        problems.push_back(
            {"diagnoses[" + std::to_string(i) + "]", "is not an ICD-10-CM code (such as M54.16)"});
    }
  }
  return problems;
}

const std::vector<std::string>& case_change_result_columns() {
  static const std::vector<std::string> k_columns = {"order_id",     "status",       "revision",
                                                     "service_end",  "decision_due", "overdue",
                                                     "cancelled_at", "next_step"};
  return k_columns;
}

Expected<batch::Operation> case_update_operation(std::shared_ptr<const wire::Wire> wire) {
  batch::Operation op;
  op.name = "case_update";
  op.schema = "case_update";
  op.check = [](const json::object& record) { return check_case_update(record); };
  op.result_columns = case_change_result_columns();
  return over_wire(std::move(op), wire::Function::case_update, std::move(wire));
}

Expected<batch::Operation> case_cancel_operation(std::shared_ptr<const wire::Wire> wire) {
  batch::Operation op;
  op.name = "case_cancel";
  op.schema = "case_cancel";
  op.result_columns = case_change_result_columns();
  return over_wire(std::move(op), wire::Function::case_cancel, std::move(wire));
}

}  // namespace portal::ops
