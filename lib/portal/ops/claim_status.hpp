// Claim status on the batch engine: the inquiry operation behind `claim-status --batch` and a
// single inquiry (one claim_status record per row, POST /v1/claims/status), and the checks made
// before anything is sent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/batch/runner.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// Checks of a claim_status record beyond its schema: service_to not before service_from.
std::vector<FieldError> check_claim_status(const boost::json::object& record);

// A claim inquiry for each row (on the JSON wire: POST /v1/claims/status), with `changed_since`
// (RFC 3339; empty: none) added to every body. An answer is ok whether it holds claims or none; a
// member who cannot be matched is rejected with the reject reason's code. The answer gains
// claim_count, claim_numbers, status_categories and statuses for the results file.
Expected<batch::Operation> claim_status_operation(std::shared_ptr<const wire::Wire> wire,
                                                  std::string changed_since = {});

}  // namespace portal::ops
