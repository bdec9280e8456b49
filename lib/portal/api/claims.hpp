// Claim status on the batch engine and the change feed: the inquiry operation behind
// `claim-status` (one claim_status record per row, POST /v1/claims/status), the checks made
// before anything is sent, and the query of GET /v1/claims.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/batch/runner.hpp"
#include "portal/util/error.hpp"

namespace portal::api {

// Checks of a claim_status record beyond its schema: service_to not before service_from.
std::vector<FieldError> check_claim_status(const boost::json::object& record);

// POST /v1/claims/status for each row, with `changed_since` (RFC 3339; empty: none) added to
// every body. An answer is ok whether it holds claims or none; a member who cannot be matched
// is rejected with the reject reason's code. The answer gains claim_count, claim_numbers,
// status_categories and statuses for the results file.
batch::Operation claim_status_operation(std::string changed_since = {});

// The filters of GET /v1/claims (empty: not given).
struct ClaimFeedQuery {
  std::string changed_since, provider_npi, status;
  std::size_t page_size = 0;  // 0: the portal's default
};

// The encoded query string of one page of the feed (without '?').
std::string claims_query(const ClaimFeedQuery& query, const std::string& page_token);

}  // namespace portal::api
