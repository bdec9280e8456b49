// Changes a provider asks for on an order still open: a revision (more units, later end date,
// another diagnosis) and a cancellation. Each is idempotent under its key, stored in the same
// transaction as the change, as case submissions are.
#include <algorithm>

#include <boost/json.hpp>

#include "portal/records/codes.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/adjudication.hpp"
#include "sandbox/idempotency.hpp"
#include "sandbox/order_rows.hpp"
#include "sandbox/orders.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;

namespace {

constexpr std::size_t k_cancel_reason_max = 500;
constexpr std::int64_t k_units_max = 9999;

ApiError not_open(const OrderRow& o, std::string_view what) {
  std::string hint = o.status == k_status_cancelled
                         ? "it was cancelled; submit a new case if the service is still needed"
                         : "it is decided; submit a new case (with not_duplicate and the reason) "
                           "for more services";
  return api_error(409, "invalid_state",
                   "order " + o.order_id + " is " + o.status +
                       "; only pended or needs-documents "
                       "orders can be " +
                       std::string(what) + " (" + hint + ")",
                   json::object{{"status", o.status}});
}

json::object error_body(const ApiError& e) {
  json::object err = e.extra;
  err["code"] = e.code;
  err["message"] = e.message;
  return json::object{{"error", std::move(err)}};
}

}  // namespace

std::optional<CaseSubmission> Orders::replay_locked(const std::string& scope, std::string_view key,
                                                    std::string_view request_hash, SysTime now) {
  if (key.empty()) return std::nullopt;
  auto st = m_store.db.query(
      "SELECT request_hash, status, response_body FROM case_requests "
      "WHERE scope = ? AND key = ? AND created_at > ?",
      {scope, std::string(key), unix_of(now - k_idempotency_ttl)});
  if (!st.step()) return std::nullopt;
  if (st.text(0) != request_hash) {
    return CaseSubmission{
        tl::unexpected(api_error(409, "idempotency_conflict",
                                 "this Idempotency-Key was already used for a different request "
                                 "(another body); send a new key with a new request")),
        std::nullopt};
  }
  return CaseSubmission{json::object{}, StoredAnswer{static_cast<int>(st.integer(1)), st.text(2)}};
}

void Orders::remember_locked(const std::string& scope, std::string_view key,
                             std::string_view request_hash, int status, const std::string& response,
                             const std::string& order_id, SysTime now) {
  if (key.empty()) return;
  m_store.db.run(
      "INSERT OR REPLACE INTO case_requests(scope, key, request_hash, status, response_body, "
      "order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {scope, std::string(key), std::string(request_hash), std::int64_t{status}, response,
       order_id.empty() ? DbValue(nullptr) : DbValue(order_id), unix_of(now)});
}

CaseSubmission Orders::cancel_case(const std::string& user_id, std::string_view order_id,
                                   const json::object& body, std::string_view idempotency_key,
                                   std::string_view request_hash) {
  // Another organisation's order (or none) is 404 whatever the body says, as on every order
  // route.
  if (!order_visible(user_id, order_id))
    return {tl::unexpected(not_found("order", order_id)), std::nullopt};
  std::string reason(util::trim(text_of(body, "reason")));
  const auto* given = body.if_contains("reason");
  if (!given || !given->is_string() || reason.empty() ||
      given->as_string().size() > k_cancel_reason_max) {
    return {tl::unexpected(validation_error(
                {{"reason", "must say why, in 1 to " + std::to_string(k_cancel_reason_max) +
                                " characters"}})),
            std::nullopt};
  }
  std::string id = util::upper(order_id);
  std::string scope = user_id + " POST /v1/cases/" + id + "/cancellation";
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  if (auto replay = replay_locked(scope, idempotency_key, request_hash, now)) return *replay;
  apply_due_reviews_locked(now);
  std::string org = m_store.organization_of_locked(user_id);
  auto found = find_order(m_store.db, org, id);
  if (org.empty() || !found) return {tl::unexpected(not_found("order", order_id)), std::nullopt};
  Transaction tx(m_store.db);
  if (found->status != k_status_cancelled) {
    if (!is_open(found->status)) {
      auto e = not_open(*found, "cancelled");
      remember_locked(scope, idempotency_key, request_hash, e.status,
                      json::serialize(error_body(e)), id, now);
      tx.commit();
      return {tl::unexpected(std::move(e)), std::nullopt};
    }
    m_store.db.run(
        "UPDATE orders SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, "
        "review_due_at = NULL, updated_at = ? WHERE order_id = ?",
        {unix_of(now), reason, unix_of(now), id});
  }
  auto order = *order_json_locked(org, id, now);
  remember_locked(scope, idempotency_key, request_hash, 200, json::serialize(order), id, now);
  tx.commit();
  return {std::move(order), std::nullopt};
}

CaseSubmission Orders::revise_case(const std::string& user_id, std::string_view order_id,
                                   const json::object& body, std::string_view idempotency_key,
                                   std::string_view request_hash) {
  // Another organisation's order (or none) is 404 whatever the body says, as on every order
  // route.
  if (!order_visible(user_id, order_id))
    return {tl::unexpected(not_found("order", order_id)), std::nullopt};
  std::vector<FieldError> problems;
  for (const auto& [name, v] : body) {
    if (name != "procedures" && name != "service_end" && name != "diagnoses")
      problems.push_back({quotable(name),
                          "is not a revision field (they are: procedures, service_end, "
                          "diagnoses)"});
  }
  std::vector<std::pair<std::string, std::int64_t>> units;
  if (const auto* p = body.if_contains("procedures")) {
    if (!p->is_array() || p->as_array().empty()) {
      problems.push_back({"procedures", "must be a list of {code, units} to add"});
    } else {
      for (std::size_t i = 0; i < p->as_array().size(); ++i) {
        const auto& item = p->as_array()[i];
        std::string field = "procedures[" + std::to_string(i) + "]";
        const auto* code = item.is_object() ? item.as_object().if_contains("code") : nullptr;
        const auto* n = item.is_object() ? item.as_object().if_contains("units") : nullptr;
        if (!code || !code->is_string() || !n || !n->is_int64() || n->as_int64() < 1 ||
            n->as_int64() > k_units_max) {
          problems.push_back(
              {field, "must be {code, units} with units from 1 to " + std::to_string(k_units_max)});
          continue;
        }
        units.emplace_back(util::upper(code->as_string()), n->as_int64());
      }
    }
  }
  std::string service_end;
  if (const auto* e = body.if_contains("service_end")) {
    if (!e->is_string() || !parse_date(e->as_string()))
      problems.push_back({"service_end", "must be a date written YYYY-MM-DD"});
    else
      service_end = std::string(e->as_string());
  }
  std::vector<std::string> diagnoses;
  if (const auto* d = body.if_contains("diagnoses")) {
    if (!d->is_array() || d->as_array().empty()) {
      problems.push_back({"diagnoses", "must be a list of ICD-10-CM codes to add"});
    } else {
      for (std::size_t i = 0; i < d->as_array().size(); ++i) {
        const auto& c = d->as_array()[i];
        if (!c.is_string() || !records::is_icd10cm_code(c.as_string())) {
          problems.push_back(
              {"diagnoses[" + std::to_string(i) + "]", "must be an ICD-10-CM code such as M54.16"});
          continue;
        }
        diagnoses.push_back(records::canonical_icd10cm(c.as_string()));
      }
    }
  }
  if (problems.empty() && units.empty() && service_end.empty() && diagnoses.empty()) {
    problems.push_back({"revision",
                        "asks for no change: give procedures, service_end or "
                        "diagnoses"});
  }
  if (!problems.empty()) return {tl::unexpected(validation_error(problems)), std::nullopt};

  std::string id = util::upper(order_id);
  std::string scope = user_id + " POST /v1/cases/" + id + "/revisions";
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  if (auto replay = replay_locked(scope, idempotency_key, request_hash, now)) return *replay;
  apply_due_reviews_locked(now);
  std::string org = m_store.organization_of_locked(user_id);
  auto found = find_order(m_store.db, org, id);
  if (org.empty() || !found) return {tl::unexpected(not_found("order", order_id)), std::nullopt};
  OrderRow& o = *found;
  Transaction tx(m_store.db);
  auto refuse = [&](ApiError e) -> CaseSubmission {
    remember_locked(scope, idempotency_key, request_hash, e.status, json::serialize(error_body(e)),
                    id, now);
    tx.commit();
    return {tl::unexpected(std::move(e)), std::nullopt};
  };
  if (!is_open(o.status)) return refuse(not_open(o, "revised"));
  std::vector<FieldError> reasons;
  for (std::size_t i = 0; i < units.size(); ++i) {
    auto it = std::find_if(o.procedures.begin(), o.procedures.end(), [&](const json::value& p) {
      return p.as_object().at("code").as_string() == units[i].first;
    });
    if (it == o.procedures.end()) {
      reasons.push_back({"procedures[" + std::to_string(i) + "].code",
                         "procedure code " + units[i].first + " is not on order " + id +
                             "; a new procedure needs a new case"});
      continue;
    }
    auto& proc = it->as_object();
    std::int64_t total = proc.at("units").to_number<std::int64_t>() + units[i].second;
    if (total > k_units_max) {
      reasons.push_back({"procedures[" + std::to_string(i) + "].units",
                         "would make " + std::to_string(total) + " units of " + units[i].first +
                             "; at most " + std::to_string(k_units_max)});
      continue;
    }
    proc["units"] = total;
  }
  if (!service_end.empty() && service_end < o.service_end) {
    reasons.push_back(
        {"service_end", "is before the order's service_end " + o.service_end +
                            "; a revision extends the dates, it never shortens them"});
  }
  if (!reasons.empty()) {
    std::string msg = "the revision was rejected: " + reasons.front().message;
    json::array list;
    for (const auto& r : reasons) {
      list.push_back(
          json::object{{"code", "revision_invalid"}, {"message", r.message}, {"field", r.field}});
    }
    return refuse(api_error(422, "case_rejected", msg, json::object{{"reasons", std::move(list)}}));
  }
  for (const auto& d : diagnoses) {
    if (std::find(o.diagnoses.begin(), o.diagnoses.end(), json::value(d)) == o.diagnoses.end())
      o.diagnoses.push_back(json::string(d));
  }
  if (!service_end.empty()) o.service_end = service_end;
  m_store.db.run(
      "UPDATE orders SET procedures = ?, diagnoses = ?, service_end = ?, revision = revision + 1, "
      "updated_at = ? WHERE order_id = ?",
      {json::serialize(o.procedures), json::serialize(o.diagnoses), o.service_end, unix_of(now),
       id});
  auto order = *order_json_locked(org, id, now);
  remember_locked(scope, idempotency_key, request_hash, 200, json::serialize(order), id, now);
  tx.commit();
  return {std::move(order), std::nullopt};
}

}  // namespace portal::sandbox
