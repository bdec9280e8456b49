#include "portal/api/prior_auth.hpp"

#include <boost/json.hpp>

#include "portal/api/portal_api.hpp"

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

std::string orders_query(const OrderQuery& q, const std::string& page_token) {
  std::string out;
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    out += (out.empty() ? "" : "&") + std::string(name) + "=" + url_encode(value);
  };
  add("order_id", q.order_id);
  add("acmp_number", q.acmp_number);
  add("member_id", q.member_id);
  add("date_of_birth", q.date_of_birth);
  add("from", q.from);
  add("to", q.to);
  add("status", q.status);
  add("health_plan", q.health_plan);
  add("solution", q.solution);
  add("updated_since", q.updated_since);
  if (q.page_size) add("page_size", std::to_string(q.page_size));
  add("page_token", page_token);
  return out;
}

}  // namespace portal::api
