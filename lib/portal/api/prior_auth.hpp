// Prior authorization's data on the portal's API: the limits the portal announces
// (GET /v1/limits). The operations that submit cases and documents are in
// portal/ops/prior_auth.hpp, the order search in portal/ops/orders_search.hpp; fetching and
// caching the limits is portal/ops/limits.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace portal::api {

// case.schema.json's maxLength of additional_info: the most any solution may accept, and the
// only bound known while the portal's own limits are not.
std::size_t schema_additional_info_max_chars();

// What the portal accepts (GET /v1/limits), with the documented values as defaults.
struct PortalLimits {
  // The additional_info limit of a solution the portal states none for (by default the
  // schema's generic maximum).
  std::size_t additional_info_max_chars = schema_additional_info_max_chars();
  // Each solution's own additional_info limit, as the portal states it (its `per_solution`).
  std::map<std::string, std::size_t, std::less<>> additional_info_max_chars_by_solution;
  std::uint64_t document_max_bytes = 256ull << 20;
  std::vector<std::string> document_content_types = {"application/pdf", "image/tiff", "image/jpeg",
                                                     "image/png"};
  // True when these are the portal's word; false: the defaults above, nothing announced.
  bool announced = false;

  // The additional_info limit of a case of `solution`: its own when stated, else the generic one.
  std::size_t additional_info_max_for(std::string_view solution) const;
};

// The limits of a GET /v1/limits answer (announced); fields it lacks keep their defaults.
PortalLimits parse_limits(const boost::json::object& answer);

// Announced `limits` in the shape of a GET /v1/limits answer (the limits cache's form):
// parse_limits(limits_json(l)) is `l`.
boost::json::object limits_json(const PortalLimits& limits);

}  // namespace portal::api
