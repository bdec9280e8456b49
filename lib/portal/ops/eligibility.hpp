// Eligibility on the batch engine: the operation behind `check-eligibility` (one eligibility
// record per row; on the JSON wire, POST /v1/eligibility).
#pragma once

#include <memory>

#include "portal/batch/runner.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// An eligibility check for each row, the date of service defaulting to today. An answer is ok
// (active or not); a reject is `rejected` with the reject reason's code and message.
Expected<batch::Operation> eligibility_operation(std::shared_ptr<const wire::Wire> wire);

}  // namespace portal::ops
