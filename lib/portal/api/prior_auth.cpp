#include "portal/api/prior_auth.hpp"

#include <boost/json.hpp>

#include "portal/records/schema.hpp"

namespace portal::api {

namespace json = boost::json;

namespace {

// A positive whole number of `v` (a JSON number), or 0.
std::uint64_t count_of(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64()) return v->get_int64() > 0 ? static_cast<std::uint64_t>(v->get_int64()) : 0;
  return 0;
}

}  // namespace

std::size_t schema_additional_info_max_chars() {
  static const std::size_t max = [] {
    std::size_t n = records::property_max_length("case", "additional_info");
    return n ? n : std::size_t{2000};
  }();
  return max;
}

std::size_t PortalLimits::additional_info_max_for(std::string_view solution) const {
  auto it = additional_info_max_chars_by_solution.find(solution);
  return it != additional_info_max_chars_by_solution.end() ? it->second : additional_info_max_chars;
}

PortalLimits parse_limits(const json::object& answer) {
  PortalLimits limits;
  limits.announced = true;
  if (auto n = count_of(answer.if_contains("additional_info_max_chars"))) {
    limits.additional_info_max_chars = n;
  }
  if (const auto* per = answer.if_contains("per_solution"); per && per->is_object()) {
    for (const auto& [id, v] : per->get_object()) {
      if (!v.is_object()) continue;
      if (auto n = count_of(v.get_object().if_contains("additional_info_max_chars"))) {
        limits.additional_info_max_chars_by_solution.emplace(std::string(id), n);
      }
    }
  }
  if (auto n = count_of(answer.if_contains("document_max_bytes"))) {
    limits.document_max_bytes = n;
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

json::object limits_json(const PortalLimits& limits) {
  json::object per;
  for (const auto& [id, n] : limits.additional_info_max_chars_by_solution) {
    per[id] = json::object{{"additional_info_max_chars", n}};
  }
  json::array types;
  for (const auto& t : limits.document_content_types) types.emplace_back(t);
  return {{"additional_info_max_chars", limits.additional_info_max_chars},
          {"per_solution", std::move(per)},
          {"document_max_bytes", limits.document_max_bytes},
          {"document_content_types", std::move(types)}};
}

}  // namespace portal::api
