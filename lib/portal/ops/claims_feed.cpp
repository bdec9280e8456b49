#include "portal/ops/claims_feed.hpp"

#include <boost/json.hpp>

namespace portal::ops {

namespace json = boost::json;

wire::PageQuery page_query(const ClaimFeedQuery& q) {
  wire::PageQuery out;
  out.filters = {
      {"changed_since", q.changed_since}, {"provider_npi", q.provider_npi}, {"status", q.status}};
  out.page_size = q.page_size;
  return out;
}

std::string query_key(const ClaimFeedQuery& q) {
  return "feed\nprovider_npi=" + q.provider_npi + "\nstatus=" + q.status;
}

std::string describe(const ClaimFeedQuery& q) {
  return "the claims feed" + (q.provider_npi.empty() ? "" : ", provider " + q.provider_npi) +
         (q.status.empty() ? "" : ", status " + q.status);
}

const std::vector<std::string>& claim_columns() {
  static const std::vector<std::string> k_columns = {
      "claim_number", "status_category", "status",       "status_date", "status_reasons",
      "member_id",    "provider_npi",    "service_from", "service_to",  "billed_amount",
      "paid_amount",  "check_number",    "paid_date",    "updated_at"};
  return k_columns;
}

json::object claim_summary(const json::object& claim) {
  json::object s;
  for (const auto& c : claim_columns()) {
    const auto* v = claim.if_contains(c);
    s[c] = v ? *v : json::value(nullptr);
  }
  json::array codes;
  if (const auto* reasons = claim.if_contains("status_reasons"); reasons && reasons->is_array()) {
    for (const auto& r : reasons->get_array()) {
      if (const auto* c = r.is_object() ? r.get_object().if_contains("code") : nullptr)
        codes.push_back(*c);
    }
  }
  s["status_reasons"] = std::move(codes);
  return s;
}

}  // namespace portal::ops
