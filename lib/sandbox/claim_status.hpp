// Claim status as the portal answers it: the inquiry, the change feed and one claim, derived from
// the seeded timelines (claims.hpp) on the portal's clock. Only the caller's organisation's claims
// exist for it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "sandbox/api_error.hpp"
#include "sandbox/claims.hpp"
#include "sandbox/store.hpp"

namespace portal::sandbox {

class ClaimStatus {
 public:
  explicit ClaimStatus(Store& store) : m_store(store) {}

  // POST /v1/claims/status: a claim_status record plus an optional changed_since →
  // {ref?, as_of, changed_since, claims}; 422 validation_failed or claim_status_rejected.
  ApiResult<boost::json::object> claim_status(const std::string& user_id,
                                              const boost::json::object& body);
  // GET /v1/claims: the claims that changed in (changed_since, as_of], paged with tokens that pin
  // as_of → {as_of, changed_since, claims, next_page_token}; 400 on bad parameters.
  ApiResult<boost::json::object> claims_feed(const std::string& user_id,
                                             const std::map<std::string, std::string>& query);
  // GET /v1/claims/{claim_number}: one claim now; 404 not_found when it is another
  // organisation's or not received yet.
  ApiResult<boost::json::object> get_claim(const std::string& user_id,
                                           std::string_view claim_number);

 private:
  // Day 0 of the claims (the stored epoch, or today until one is stored).
  ClaimCalendar claim_calendar_locked();

  // What a question about claims is answered against: the asker's organisation, the time the
  // answer is as of (now on the portal's clock, or `pinned`) and the claims' calendar.
  struct View {
    std::string organization;
    SysTime as_of;
    ClaimCalendar calendar;
  };
  View view_for(const std::string& user_id, std::optional<SysTime> pinned = {});

  Store& m_store;
};

}  // namespace portal::sandbox
