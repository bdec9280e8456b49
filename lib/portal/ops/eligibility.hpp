// Eligibility on the batch engine: the operation behind `check-eligibility` (one eligibility
// record per row; on the JSON wire, POST /v1/eligibility).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "portal/batch/runner.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// An eligibility check for each row, the date of service defaulting to `today()` (asked once,
// when the first row without one is read: the portal's date, America/Chicago on its clock). An
// answer is ok (active or not); a reject is `rejected` with the reject reason's code and message.
Expected<batch::Operation> eligibility_operation(std::shared_ptr<const wire::Wire> wire,
                                                 std::function<std::string()> today);

}  // namespace portal::ops
