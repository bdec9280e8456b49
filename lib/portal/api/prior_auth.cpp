#include "portal/api/prior_auth.hpp"

#include <boost/json.hpp>

namespace portal::api {

namespace json = boost::json;

PortalLimits parse_limits(const json::object& answer) {
  PortalLimits limits;
  if (const auto* v = answer.if_contains("additional_info_max_chars"); v && v->is_number()) {
    limits.additional_info_max_chars = v->to_number<std::size_t>();
  }
  if (const auto* v = answer.if_contains("document_max_bytes"); v && v->is_number()) {
    limits.document_max_bytes = v->to_number<std::uint64_t>();
  }
  if (const auto* v = answer.if_contains("document_content_types"); v && v->is_array()) {
    std::vector<std::string> types;
    for (const auto& t : v->get_array()) {
      if (t.is_string()) types.emplace_back(t.get_string());
    }
    if (!types.empty()) limits.document_content_types = std::move(types);
  }
  return limits;
}

}  // namespace portal::api
