#include "portal/api/claims.hpp"

#include "portal/api/portal_api.hpp"

namespace portal::api {

std::string claims_query(const ClaimFeedQuery& q, const std::string& page_token) {
  std::string out;
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    out += (out.empty() ? "" : "&") + std::string(name) + "=" + url_encode(value);
  };
  add("changed_since", q.changed_since);
  add("provider_npi", q.provider_npi);
  add("status", q.status);
  if (q.page_size) add("page_size", std::to_string(q.page_size));
  add("page_token", page_token);
  return out;
}

}  // namespace portal::api
