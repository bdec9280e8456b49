// Prior-authorization orders over SQLite: what GET /v1/limits states about them, and the
// answer to a case submission.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "sandbox/api_error.hpp"

namespace portal::sandbox {

// What GET /v1/limits states.
inline constexpr std::size_t k_additional_info_max_chars = 2000;
inline constexpr std::size_t k_search_page_size_default = 50;
inline constexpr std::size_t k_search_page_size_max = 100;
// How far an order search's `as_of` trails the portal's clock. With updated_since, a search lists
// the orders changed in (updated_since, as_of]; a change written while the page is read (in the
// same second, or by `provportal-sandbox admin` in another process) carries a later time than
// as_of, so the next pull from as_of sees it and none is missed.
inline constexpr std::chrono::seconds k_feed_settle{2};

// The answer to a case submission: made now (`result`), or the stored answer of an earlier
// request with the same idempotency key (`replay`, sent again as it was).
struct StoredAnswer {
  int status = 0;
  std::string body;
};
struct CaseSubmission {
  ApiResult<boost::json::object> result = boost::json::object{};
  std::optional<StoredAnswer> replay;
};

}  // namespace portal::sandbox
