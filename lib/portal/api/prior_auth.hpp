// Prior authorization's data on the portal's API: the limits the portal announces
// (GET /v1/limits). The operations that submit cases and documents are in
// portal/ops/prior_auth.hpp, the order search in portal/ops/orders_search.hpp.
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

}  // namespace portal::api
