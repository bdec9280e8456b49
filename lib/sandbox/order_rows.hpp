// The orders table as the orders room reads it: its schema, one row, the lookups and the text
// that several endpoints (an order, a search page, a decision) share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/db.hpp"

namespace portal::sandbox {

// Creates the tables of orders, their idempotency keys, documents and letters (idempotent).
void create_prior_auth_schema(Database& db);

// The columns read_order() expects, in its order.
inline constexpr const char* k_order_columns =
    "order_id, organization_id, acmp_number, status, health_plan, solution, member_id, first_name, "
    "last_name, date_of_birth, ordering_npi, servicing_npi, procedures, diagnoses, answers, "
    "additional_info, service_start, service_end, urgency, documents_required, review_due_at, "
    "decision_note, created_at, updated_at, decided_at, complete_at, decision_due_at, "
    "cancelled_at, "
    "cancel_reason, revision";

// One row of `orders` (k_order_columns).
struct OrderRow {
  std::string order_id, organization_id, acmp_number, status, health_plan, solution, member_id,
      first_name, last_name, date_of_birth, ordering_npi, servicing_npi;
  boost::json::array procedures, diagnoses, documents_required;
  boost::json::object answers;
  std::optional<std::string> additional_info;
  std::string service_start, service_end, urgency, decision_note;
  std::optional<std::int64_t> review_due_at, decided_at;
  std::int64_t created_at = 0, updated_at = 0;
  // The CMS-0057-F clock: when the case became complete (every required document in), when its
  // decision is due; null while documents are missing.
  std::optional<std::int64_t> complete_at, decision_due_at, cancelled_at;
  std::string cancel_reason;
  std::int64_t revision = 0;
};

// One row of `orders` as selected with k_order_columns.
OrderRow read_order(Statement& st);

// The order `order_id` of organisation `org_id` (any organisation's when `org_id` is "").
std::optional<OrderRow> find_order(Database& db, std::string_view org_id,
                                   std::string_view order_id);

// The required documents not uploaded yet.
boost::json::array missing_documents(Database& db, const OrderRow& o);

// What the provider should expect or do next, as the order's `next_step` says it.
std::string next_step(const OrderRow& o, const boost::json::array& missing);

// PREFIX followed by `digits` random digits that `sql` (SELECT 1 ... WHERE id = ?) finds unused.
std::string unique_id(Database& db, std::string_view prefix, int digits, const char* sql);

// 404 not_found: no WHAT has the ID in the caller's organisation.
ApiError not_found(std::string_view what, std::string_view id);

// YYYY-MM-DD of `t` in UTC.
std::string date_of(SysTime t);

// The order's decision clock as its JSON shows it: received_at, complete_at, decision_due,
// decided_at's lateness as `overdue` at `now` (Unix seconds).
void add_decision_clock(boost::json::object& out, const OrderRow& o, std::int64_t now);

// Whether a decision is still to come (pended or needs-documents).
bool is_open(std::string_view status);

}  // namespace portal::sandbox
