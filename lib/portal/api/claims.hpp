// The claims change feed on the portal's API: the query of GET /v1/claims. The inquiry
// operation behind `claim-status` is in portal/ops/claim_status.hpp.
#pragma once

#include <cstddef>
#include <string>

namespace portal::api {

// The filters of GET /v1/claims (empty: not given).
struct ClaimFeedQuery {
  std::string changed_since, provider_npi, status;
  std::size_t page_size = 0;  // 0: the portal's default
};

// The encoded query string of one page of the feed (without '?').
std::string claims_query(const ClaimFeedQuery& query, const std::string& page_token);

}  // namespace portal::api
