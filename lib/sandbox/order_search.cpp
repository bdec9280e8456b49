#include "sandbox/orders.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <boost/json.hpp>

#include "portal/records/codes.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/adjudication.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/idempotency.hpp"
#include "sandbox/letters.hpp"
#include "sandbox/order_rows.hpp"
#include "sandbox/page_token.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;

ApiResult<json::object> Orders::search_orders(const std::string& user_id,
                                              const std::map<std::string, std::string>& query) {
  static const std::vector<std::string> k_filters = {
      "order_id", "acmp_number", "member_id", "date_of_birth", "from",   "to",
      "status",   "health_plan", "solution",  "updated_since", "overdue"};
  std::vector<FieldError> problems;
  for (const auto& [name, value] : query) {
    if (name != "page_size" && name != "page_token" &&
        std::find(k_filters.begin(), k_filters.end(), name) == k_filters.end()) {
      // The name is the client's: quoted, so any bytes it holds still make valid JSON.
      problems.push_back({quotable(name),
                          "is not a search parameter (they are: order_id, acmp_number, member_id, "
                          "date_of_birth, from, to, status, health_plan, solution, updated_since, "
                          "overdue, page_size, page_token)"});
    }
  }
  auto param = [&](const std::string& name) -> DbValue {
    auto it = query.find(name);
    if (it == query.end() || it->second.empty()) return nullptr;
    return it->second;
  };
  auto value = [&](const std::string& name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  auto given = [&](const std::string& name) { return !value(name).empty(); };
  if (given("member_id") && !given("date_of_birth")) {
    problems.push_back(
        {"member_id",
         "needs date_of_birth as well (a member is searched by ID and date of birth)"});
  }
  for (const char* name : {"date_of_birth", "from", "to"}) {
    if (given(name) && !parse_date(value(name))) {
      problems.push_back({name, "must be a date written YYYY-MM-DD"});
    }
  }
  DbValue updated_since = nullptr;
  if (given("updated_since")) {
    auto t = parse_iso8601(value("updated_since"));
    if (!t)
      problems.push_back(
          {"updated_since", "must be an ISO 8601 time such as 2026-11-17T00:00:00Z"});
    else
      updated_since = unix_of(*t);
  }
  if (given("status")) {
    std::string s = value("status");
    if (s != k_status_approved && s != k_status_pended && s != k_status_needs_documents &&
        s != k_status_denied && s != k_status_partial && s != k_status_cancelled) {
      problems.push_back({"status",
                          "must be approved, pended, needs-documents, denied, partially-approved "
                          "or cancelled"});
    }
  }
  DbValue overdue = nullptr;
  if (given("overdue")) {
    if (value("overdue") != "true" && value("overdue") != "false")
      problems.push_back({"overdue", "must be true or false"});
    else
      overdue = std::int64_t{value("overdue") == "true" ? 1 : 0};
  }
  std::int64_t page_size = k_search_page_size_default;
  if (given("page_size")) {
    std::string text = value("page_size");
    bool digits = !text.empty() && text.size() < 6 &&
                  text.find_first_not_of("0123456789") == std::string::npos;
    page_size = digits ? std::stoll(text) : 0;
    if (page_size < 1 || page_size > static_cast<std::int64_t>(k_search_page_size_max)) {
      problems.push_back({"page_size", "must be a whole number from 1 to " +
                                           std::to_string(k_search_page_size_max)});
    }
  }
  if (!problems.empty()) return tl::unexpected(validation_error(problems));
  // Identifiers the portal hands out in upper case match however they were typed.
  auto upper_param = [&](const std::string& name) {
    return given(name) ? DbValue(util::upper(value(name))) : DbValue(nullptr);
  };
  DbValue member_id = upper_param("member_id");

  // The page token carries the last (created_at, order_id) answered and the first page's
  // as_of, is bound to the filters and signed, so it can be neither forged nor reused with
  // another search, and a pull that pages across a clock move sees one consistent window.
  std::string filters;
  for (const auto& name : k_filters) {
    if (given(name)) filters += name + "=" + value(name) + "\n";
  }
  std::string fingerprint = sha256_hex(filters).substr(0, 16);
  DbValue after_created = nullptr, after_id = nullptr;
  std::optional<std::int64_t> pinned_as_of;
  if (given("page_token")) {
    auto parts = open_page_token(m_store.admin_token_hash, value("page_token"));
    auto is_number = [](const std::string& t) {
      return !t.empty() && t.size() < 19 && t.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!parts || parts->size() != 4 || (*parts)[2] != fingerprint || !is_number((*parts)[0]) ||
        !is_number((*parts)[3])) {
      return tl::unexpected(
          api_error(400, "invalid_page_token",
                    "page_token is not one this search returned; start again without it"));
    }
    after_created = std::stoll((*parts)[0]);
    after_id = (*parts)[1];
    pinned_as_of = std::stoll((*parts)[3]);
  }

  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  apply_due_reviews_locked(now);
  std::int64_t as_of = pinned_as_of ? *pinned_as_of : unix_of(now - k_feed_settle);
  std::string org = m_store.organization_of_locked(user_id);
  std::vector<std::pair<std::int64_t, std::string>> ids;
  {
    auto st = m_store.db.query(
        "SELECT created_at, order_id FROM orders WHERE organization_id = ?1 "
        "AND (?2 IS NULL OR order_id = ?2) AND (?3 IS NULL OR acmp_number = ?3) "
        "AND (?4 IS NULL OR member_id = ?4) AND (?5 IS NULL OR date_of_birth = ?5) "
        "AND (?6 IS NULL OR service_end >= ?6) AND (?7 IS NULL OR service_start <= ?7) "
        "AND (?8 IS NULL OR status = ?8) AND (?9 IS NULL OR health_plan = ?9) AND (?10 IS NULL OR "
        "solution = ?10) "
        "AND (?11 IS NULL OR (updated_at > ?11 AND updated_at <= ?15)) "
        "AND (?12 IS NULL OR created_at > ?12 OR (created_at = ?12 AND order_id > ?13)) "
        // Late as adjudication.hpp's is_overdue() says it, at the portal's clock (?17).
        "AND (?16 IS NULL OR ?16 = (decision_due_at IS NOT NULL AND CASE "
        "WHEN decided_at IS NOT NULL THEN decided_at > decision_due_at "
        "WHEN cancelled_at IS NOT NULL THEN cancelled_at > decision_due_at "
        "ELSE ?17 > decision_due_at END)) "
        "ORDER BY created_at, order_id LIMIT ?14",
        {org, upper_param("order_id"), upper_param("acmp_number"), member_id,
         param("date_of_birth"), param("from"), param("to"), param("status"), param("health_plan"),
         param("solution"), updated_since, after_created, after_id, page_size + 1, as_of, overdue,
         unix_of(now)});
    while (st.step()) ids.emplace_back(st.integer(0), st.text(1));
  }
  json::value next = nullptr;
  if (ids.size() > static_cast<std::size_t>(page_size)) {
    ids.pop_back();
    next = seal_page_token(
        m_store.admin_token_hash,
        {std::to_string(ids.back().first), ids.back().second, fingerprint, std::to_string(as_of)});
  }
  json::array orders;
  for (const auto& [created, id] : ids) orders.push_back(*order_json_locked(org, id, now));
  return json::object{{"as_of", format_iso8601(time_of(as_of))},
                      {"orders", std::move(orders)},
                      {"next_page_token", std::move(next)}};
}

}  // namespace portal::sandbox
