// Changes to an order already submitted, on the batch engine: a revision (`update-case`: units
// added, a later service end, diagnoses added) and a cancellation (`cancel-case`). Each row is
// idempotent under its key and journaled like a case.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/batch/runner.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// Checks of a case_update record beyond its schema: at least one change asked for, the
// procedure and diagnosis codes in their formats.
std::vector<FieldError> check_case_update(const boost::json::object& record);

// A revision for each row (on the JSON wire: POST /v1/cases/{order_id}/revisions).
Expected<batch::Operation> case_update_operation(std::shared_ptr<const wire::Wire> wire);

// A cancellation for each row (on the JSON wire: POST /v1/cases/{order_id}/cancellation).
Expected<batch::Operation> case_cancel_operation(std::shared_ptr<const wire::Wire> wire);

// The answer's columns of the results of both.
const std::vector<std::string>& case_change_result_columns();

}  // namespace portal::ops
