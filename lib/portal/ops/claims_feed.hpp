// The claims feed (claim-status without an inquiry): the organisation's claims, those changed
// since a time, oldest change first, read page by page over the profile's wire (ops/pages.hpp);
// and the columns a claim shows, whether it came from the feed or an inquiry.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/wire/wire.hpp"

namespace portal::ops {

// The filters of the feed (empty: not given).
struct ClaimFeedQuery {
  std::string changed_since;  // RFC 3339
  std::string provider_npi;
  std::string status;         // a category (F1), a status (finalized-paid) or a class (pending)
  std::size_t page_size = 0;  // 0: the portal's default
};

// The query of the first page, by the portal's filter names.
wire::PageQuery page_query(const ClaimFeedQuery& query);

// What makes two pulls of the feed the same query (every filter but the window).
std::string query_key(const ClaimFeedQuery& query);

// The pull in words for messages ("the claims feed, provider 1003000126").
std::string describe(const ClaimFeedQuery& query);

// The columns a table or CSV shows for a claim, and a claim's row of them (status reasons as
// their codes; the texts are in the JSON output).
const std::vector<std::string>& claim_columns();
boost::json::object claim_summary(const boost::json::object& claim);

}  // namespace portal::ops
