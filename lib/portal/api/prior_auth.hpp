// Prior authorization's data on the portal's API: the limits the portal announces
// (GET /v1/limits) and the order search query (GET /v1/orders). The operations that submit
// cases and documents are in portal/ops/prior_auth.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace portal::api {

// What the portal accepts (GET /v1/limits), with the documented values as defaults.
struct PortalLimits {
  std::size_t additional_info_max_chars = 2000;
  std::uint64_t document_max_bytes = 256ull << 20;
  std::vector<std::string> document_content_types = {"application/pdf", "image/tiff", "image/jpeg",
                                                     "image/png"};
};

// The limits of a GET /v1/limits answer; fields it lacks keep their defaults.
PortalLimits parse_limits(const boost::json::object& answer);

// The filters of GET /v1/orders, by the API's parameter names (empty: not given).
struct OrderQuery {
  std::string order_id, acmp_number, member_id, date_of_birth, from, to, status, health_plan,
      solution, updated_since;
  std::size_t page_size = 0;  // 0: the portal's default
};

// The encoded query string of one page of a search (without '?').
std::string orders_query(const OrderQuery& query, const std::string& page_token);

}  // namespace portal::api
