// The order search (search-orders): the organisation's prior authorization orders across every
// health plan and solution, by order ID, ACMP number, member, dates and status, read page by page
// over the profile's wire (ops/pages.hpp), and their determination letters.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/api/portal_api.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// The filters of a search (empty: not given).
struct OrderQuery {
  std::string order_id, acmp_number, member_id, date_of_birth, from, to, status, health_plan,
      solution, updated_since;
  bool overdue = false;       // only the orders decided after, or still undecided past, their
                              // CMS-0057-F decision_due
  std::size_t page_size = 0;  // 0: the portal's default
};

// A usage error when the filters do not make a search (a member needs both member_id and
// date_of_birth).
Expected<void> check_order_query(const OrderQuery& query);

// The query of the first page, by the portal's filter names.
wire::PageQuery page_query(const OrderQuery& query);

// What makes two searches the same query (every filter but the window), as text: it holds the
// member's fields, so it may only reach a file name hashed.
std::string query_key(const OrderQuery& query);

// The search in words for messages ("orders, status approved, one member"): no PHI.
std::string describe(const OrderQuery& query);

// The columns a table or CSV shows for an order, and an order's row of them (letters as their
// IDs).
const std::vector<std::string>& order_columns();
boost::json::object order_summary(const boost::json::object& order);

// The PDF of one of an order's letters.
Expected<std::string> letter(api::PortalApi& api, const wire::Wire& wire,
                             std::string_view letter_id);

}  // namespace portal::ops
