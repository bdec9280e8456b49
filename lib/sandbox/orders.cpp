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

namespace {

ApiError case_rejected(const std::vector<CaseReason>& reasons, json::object extra = {}) {
  json::array list;
  for (const auto& r : reasons) {
    json::object o{{"code", r.code}, {"message", r.message}};
    if (!r.field.empty()) o["field"] = r.field;
    if (r.max_chars != 0) o["max_chars"] = r.max_chars;
    list.push_back(std::move(o));
  }
  std::string msg = "the case was rejected: " + reasons.front().message;
  if (reasons.size() > 1) msg += " (and " + std::to_string(reasons.size() - 1) + " more reasons)";
  extra["reasons"] = std::move(list);
  return api_error(422, "case_rejected", msg, std::move(extra));
}
// Unicode code points in UTF-8 text (what JSON Schema's maxLength counts).
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0u) != 0x80u; }));
}

// Whether the case says it is not a repeat of an approved order (not_duplicate: true).
bool says_not_duplicate(const json::object& body) {
  const auto* v = body.if_contains("not_duplicate");
  return v && v->is_bool() && v->get_bool();
}

}  // namespace

json::object Orders::limits() const {
  json::array types, content_types;
  for (const auto& t : document_types()) types.push_back(json::string(t));
  for (const auto& t : document_content_types()) content_types.push_back(json::string(t));
  // Each solution's own additional_info limit; the top-level value is the largest of them, what
  // a client that reads no per_solution could at most send (the portal still applies each
  // solution's own).
  json::object per_solution;
  std::size_t largest = 0;
  for (const auto& s : m_store.solutions->solutions()) {
    per_solution[s.id] = json::object{{"additional_info_max_chars", s.additional_info_max_chars}};
    largest = std::max(largest, s.additional_info_max_chars);
  }
  if (largest == 0) largest = k_additional_info_max_chars_default;
  return {{"additional_info_max_chars", largest},
          {"per_solution", std::move(per_solution)},
          {"document_max_bytes", k_document_max_bytes},
          {"document_content_types", std::move(content_types)},
          {"document_types", std::move(types)},
          {"search_page_size_max", k_search_page_size_max}};
}

ApiResult<json::object> Orders::solutions(std::string_view health_plan) const {
  std::vector<std::string> offered;
  if (!health_plan.empty()) {
    const HealthPlan* plan = m_store.roster->plan(health_plan);
    if (plan == nullptr) {
      return tl::unexpected(api_error(404, "plan_not_found",
                                      "no health plan has the id \"" + std::string(health_plan) +
                                          "\" (GET /v1/health-plans lists them)"));
    }
    if (const auto* pa = plan->benefits.if_contains("prior_authorization"); pa && pa->is_array()) {
      for (const auto& v : pa->as_array()) {
        if (v.is_string()) offered.emplace_back(v.as_string());
      }
    }
  }
  json::array list;
  for (const auto& s : m_store.solutions->solutions()) {
    if (!health_plan.empty() && std::find(offered.begin(), offered.end(), s.id) == offered.end())
      continue;
    list.push_back(solution_json(s));
  }
  return json::object{{"solutions", std::move(list)}};
}

std::optional<json::object> Orders::order_json_locked(const std::string& org_id,
                                                      std::string_view order_id, SysTime now) {
  auto found = find_order(m_store.db, org_id, order_id);
  if (!found) return std::nullopt;
  const OrderRow& o = *found;
  json::array documents, letters;
  {
    auto st = m_store.db.query(
        "SELECT document_id, document_type, description, filename, content_type, size, sha256, "
        "received_at FROM documents WHERE order_id = ? ORDER BY received_at, document_id",
        {o.order_id});
    while (st.step()) {
      documents.push_back(json::object{{"document_id", st.text(0)},
                                       {"document_type", st.text(1)},
                                       {"description", st.text(2)},
                                       {"filename", st.text(3)},
                                       {"content_type", st.text(4)},
                                       {"size", st.integer(5)},
                                       {"sha256", st.text(6)},
                                       {"received_at", format_iso8601(time_of(st.integer(7)))}});
    }
  }
  {
    auto st = m_store.db.query(
        "SELECT letter_id, kind, created_at FROM letters WHERE order_id = ? "
        "ORDER BY created_at, letter_id",
        {o.order_id});
    while (st.step()) {
      letters.push_back(json::object{{"letter_id", st.text(0)},
                                     {"kind", st.text(1)},
                                     {"created_at", format_iso8601(time_of(st.integer(2)))}});
    }
  }
  json::array missing =
      o.status == k_status_needs_documents ? missing_documents(m_store.db, o) : json::array{};
  auto when = [](const std::optional<std::int64_t>& t) {
    return t ? json::value(format_iso8601(time_of(*t))) : json::value(nullptr);
  };
  json::object out{
      {"order_id", o.order_id},
      {"acmp_number", o.acmp_number.empty() ? json::value(nullptr) : json::value(o.acmp_number)},
      {"status", o.status},
      {"health_plan", o.health_plan},
      {"solution", o.solution},
      {"member_id", o.member_id},
      {"date_of_birth", o.date_of_birth},
      {"first_name", o.first_name},
      {"last_name", o.last_name},
      {"ordering_npi", o.ordering_npi},
      {"servicing_npi", o.servicing_npi},
      {"procedures", o.procedures},
      {"diagnoses", o.diagnoses},
      {"service_start", o.service_start},
      {"service_end", o.service_end},
      {"urgency", o.urgency},
      {"answers", o.answers},
      {"created_at", format_iso8601(time_of(o.created_at))},
      {"updated_at", format_iso8601(time_of(o.updated_at))},
      {"decided_at", when(o.decided_at)},
      {"review_due_at", o.status == k_status_pended ? when(o.review_due_at) : json::value(nullptr)},
      {"documents_required", missing},
      {"documents", std::move(documents)},
      {"letters", std::move(letters)},
      {"next_step", next_step(o, missing)}};
  if (o.additional_info) out["additional_info"] = *o.additional_info;
  if (!o.decision_note.empty()) out["decision_note"] = o.decision_note;
  add_decision_clock(out, o, unix_of(now));
  return out;
}
CaseSubmission Orders::submit_case(const std::string& user_id, const json::object& body,
                                   std::string_view idempotency_key,
                                   std::string_view request_hash) {
  // The schema, but the length of additional_info: that is a rejection reason of its own.
  std::optional<ApiError> invalid;
  {
    json::object record = body;
    record.erase("additional_info");
    auto problems = records::validate_record("case", record);
    if (const auto* info = body.if_contains("additional_info"); info && !info->is_string()) {
      problems.push_back({"additional_info", "must be text"});
    }
    if (says_not_duplicate(body) && util::trim(text_of(body, "additional_info")).empty()) {
      problems.push_back({"additional_info",
                          "must say why the case is new when not_duplicate is true (it repeats "
                          "the member, procedure codes and dates of an approved order)"});
    }
    if (!problems.empty()) invalid = validation_error(problems);
  }
  std::string scope = user_id + " POST /v1/cases";
  std::string key(idempotency_key);
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  if (!key.empty()) {
    auto oldest = unix_of(now - k_idempotency_ttl);
    auto st = m_store.db.query(
        "SELECT request_hash, status, response_body FROM case_requests "
        "WHERE scope = ? AND key = ? AND created_at > ?",
        {scope, key, oldest});
    if (st.step()) {
      if (st.text(0) != request_hash) {
        return {tl::unexpected(
                    api_error(409, "idempotency_conflict",
                              "this Idempotency-Key was already used for a different request "
                              "(another body); send a new key with a new request")),
                std::nullopt};
      }
      return {json::object{}, StoredAnswer{static_cast<int>(st.integer(1)), st.text(2)}};
    }
  }
  // Every answer from here on is final: stored under the key in the transaction that makes it.
  Transaction tx(m_store.db);
  auto remember = [&](int status, const std::string& response, const std::string& order_id) {
    if (key.empty()) return;
    m_store.db.run(
        "INSERT OR REPLACE INTO case_requests(scope, key, request_hash, status, response_body, "
        "order_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {scope, key, std::string(request_hash), std::int64_t{status}, response,
         order_id.empty() ? DbValue(nullptr) : DbValue(order_id), unix_of(now)});
  };
  auto refuse = [&](ApiError e) -> CaseSubmission {
    json::object err = e.extra;
    err["code"] = e.code;
    err["message"] = e.message;
    remember(e.status, json::serialize(json::object{{"error", std::move(err)}}), "");
    tx.commit();
    return {tl::unexpected(std::move(e)), std::nullopt};
  };
  if (invalid) return refuse(std::move(*invalid));

  std::vector<CaseReason> reasons;
  std::string plan_id = text_of(body, "health_plan");
  std::string solution_id = text_of(body, "solution");
  const HealthPlan* plan = m_store.roster->plan(plan_id);
  const Solution* solution = m_store.solutions->find(solution_id);
  if (plan == nullptr) {
    reasons.push_back(
        {"plan_not_found", "no health plan has the id \"" + plan_id + "\"", "health_plan"});
  } else {
    bool offered = false;
    std::string list;
    if (const auto* pa = plan->benefits.if_contains("prior_authorization"); pa && pa->is_array()) {
      for (const auto& v : pa->as_array()) {
        if (!v.is_string()) continue;
        offered = offered || v.as_string() == solution_id;
        list += (list.empty() ? "" : ", ") + std::string(v.as_string());
      }
    }
    if (!offered || solution == nullptr) {
      reasons.push_back(
          {"solution_not_offered",
           plan->name + " does not take " + solution_id +
               " prior-authorization cases; it takes: " + (list.empty() ? "none" : list),
           "solution"});
    }
    json::object elig{{"health_plan", plan_id},
                      {"member_id", text_of(body, "member_id")},
                      {"first_name", text_of(body, "first_name")},
                      {"last_name", text_of(body, "last_name")},
                      {"date_of_birth", text_of(body, "date_of_birth")},
                      {"service_date", text_of(body, "service_start")}};
    auto e = sandbox::check_eligibility(*m_store.roster, elig, chicago_today(now));
    if (!e) {
      const auto* rr = e.error().extra.if_contains("reject_reason");
      std::string code = rr ? std::string(rr->as_object().at("code").as_string()) : e.error().code;
      std::string message =
          rr ? std::string(rr->as_object().at("message").as_string()) : e.error().message;
      if (code == "name_mismatch") {
        reasons.push_back({"name_mismatch", message, "last_name"});
      } else if (code == "invalid_date_of_birth") {
        reasons.push_back({"date_of_birth_mismatch", message, "date_of_birth"});
      } else {
        reasons.push_back({"member_not_found", message, "member_id"});
      }
    } else if (!e->at("active").as_bool()) {
      const auto& coverage = e->at("coverage").as_object();
      std::string why =
          e->at("reason").as_string() == "coverage_not_started"
              ? "the member's coverage starts on " + std::string(coverage.at("start").as_string())
              : "the member's coverage ended on " + std::string(coverage.at("end").as_string());
      reasons.push_back({"member_not_eligible",
                         "the member is not covered on service_start " +
                             text_of(body, "service_start") + ": " + why,
                         "service_start"});
    }
  }
  if (text_of(body, "service_end") < text_of(body, "service_start")) {
    reasons.push_back(
        {"service_dates_invalid", "service_end is before service_start", "service_end"});
  }
  const auto& procedures = body.at("procedures").as_array();
  if (solution != nullptr) {
    for (std::size_t i = 0; i < procedures.size(); ++i) {
      std::string code(procedures[i].as_object().at("code").as_string());
      if (!solution->covers(code)) {
        reasons.push_back({"code_not_covered",
                           "procedure code " + code + " is not covered by the " + solution->id +
                               " solution (" + solution->name + ")",
                           "procedures[" + std::to_string(i) + "].code"});
      }
    }
  }
  std::unordered_map<std::string, Answer> answers;
  if (solution != nullptr) {
    const auto* a = body.if_contains("answers");
    auto problems =
        check_answers(*solution, a && a->is_object() ? &a->as_object() : nullptr, answers);
    reasons.insert(reasons.end(), problems.begin(), problems.end());
  }
  // The limit is the solution's; for a solution there is none of, the schema's maxLength (which
  // bounds every solution's).
  std::string info = text_of(body, "additional_info");
  const std::size_t info_max = solution != nullptr
                                   ? solution->additional_info_max_chars
                                   : records::property_max_length("case", "additional_info");
  if (info_max != 0 && code_points(info) > info_max) {
    reasons.push_back({"additional_info_too_long",
                       "additional_info has " + std::to_string(code_points(info)) +
                           " characters; " +
                           (solution != nullptr ? "the " + solution->id + " solution accepts"
                                                : std::string("a case carries")) +
                           " at most " + std::to_string(info_max),
                       "additional_info", info_max});
  }
  if (!reasons.empty()) return refuse(case_rejected(reasons));

  std::string org_id = m_store.organization_of_locked(user_id);
  std::string member_id = util::upper(text_of(body, "member_id"));
  // A duplicate: an open order of the organisation for the member and solution that already
  // asks for one of the codes.
  {
    auto st = m_store.db.query(
        "SELECT order_id, procedures FROM orders WHERE organization_id = ? AND member_id = ? "
        "AND solution = ? AND status IN ('pended', 'needs-documents') ORDER BY created_at",
        {org_id, member_id, solution_id});
    std::optional<std::pair<std::string, std::string>> duplicate;
    while (!duplicate && st.step()) {
      auto existing = json::parse(st.text(1)).as_array();
      for (const auto& p : procedures) {
        for (const auto& q : existing) {
          if (p.as_object().at("code") == q.as_object().at("code")) {
            duplicate.emplace(st.text(0), std::string(p.as_object().at("code").as_string()));
          }
        }
      }
    }
    st.reset();
    if (duplicate) {
      std::vector<CaseReason> dup{{"duplicate_case",
                                   "order " + duplicate->first +
                                       " for this member and solution is still open and "
                                       "already asks for " +
                                       duplicate->second +
                                       "; upload documents to it or wait for its decision",
                                   "procedures"}};
      auto err = case_rejected(dup, json::object{{"existing_order_id", duplicate->first}});
      err.extra["reasons"].as_array()[0].as_object()["existing_order_id"] = duplicate->first;
      return refuse(std::move(err));
    }
  }

  // A repeat of an approved order: the same member, procedure codes and dates. Resubmitting
  // would approve the same service twice; a case that really is new says so (not_duplicate,
  // with its reason in additional_info).
  if (!says_not_duplicate(body)) {
    if (auto existing = approved_twin(org_id, member_id, solution_id, body); !existing.empty()) {
      return refuse(api_error(
          409, "duplicate_order",
          "order " + existing +
              " already approves these procedure codes for this member and these dates; see it "
              "with its order ID, or, if this case really is new, send it again with "
              "not_duplicate: true and the reason in additional_info",
          json::object{{"existing_order_id", existing}}));
    }
  }

  Adjudication decision = adjudicate(*solution, answers);
  std::string order_id =
      unique_id(m_store.db, "ORD-", 8, "SELECT 1 FROM orders WHERE order_id = ?");
  DbValue acmp = nullptr;
  if (solution->acmp)
    acmp = unique_id(m_store.db, "ACMP", 9, "SELECT 1 FROM orders WHERE acmp_number = ?");
  json::array procs;
  for (const auto& p : procedures) {
    procs.push_back(
        json::object{{"code", p.as_object().at("code")}, {"units", p.as_object().at("units")}});
  }
  json::array diagnoses;
  for (const auto& d : body.at("diagnoses").as_array())
    diagnoses.push_back(json::string(records::canonical_icd10cm(d.as_string())));
  json::array required;
  for (const auto& d : decision.documents) {
    required.push_back(
        json::object{{"document_type", d.document_type}, {"description", d.description}});
  }
  std::string urgency = body.contains("urgency") ? text_of(body, "urgency") : "routine";
  json::object stored_answers;
  if (const auto* a = body.if_contains("answers"); a && a->is_object())
    stored_answers = a->as_object();
  // The decision clock starts once the case is complete: now, unless documents are missing.
  DbValue due = nullptr, complete = nullptr, decision_due_at = nullptr;
  if (decision.status != k_status_needs_documents) {
    complete = unix_of(now);
    decision_due_at = decision_due(urgency, unix_of(now));
  }
  if (decision.status == k_status_pended) due = review_due_of(solution, order_id, urgency, now);
  m_store.db.run(
      "INSERT INTO orders(order_id, organization_id, created_by, acmp_number, status, health_plan, "
      "solution, "
      "member_id, first_name, last_name, date_of_birth, ordering_npi, servicing_npi, procedures, "
      "diagnoses, "
      "answers, additional_info, service_start, service_end, urgency, documents_required, "
      "review_due_at, "
      "decision_note, created_at, updated_at, complete_at, decision_due_at) VALUES (?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)",
      {order_id,
       org_id,
       user_id,
       acmp,
       decision.status,
       plan_id,
       solution_id,
       member_id,
       text_of(body, "first_name"),
       text_of(body, "last_name"),
       text_of(body, "date_of_birth"),
       text_of(body, "ordering_npi"),
       text_of(body, "servicing_npi"),
       json::serialize(procs),
       json::serialize(diagnoses),
       json::serialize(stored_answers),
       body.contains("additional_info") ? DbValue(info) : DbValue(nullptr),
       text_of(body, "service_start"),
       text_of(body, "service_end"),
       urgency,
       json::serialize(required),
       due,
       unix_of(now),
       unix_of(now),
       complete,
       decision_due_at});
  if (decision.status == k_status_approved) decide_locked(order_id, Decision::approve, {}, "", now);
  auto order = *order_json_locked(org_id, order_id, now);
  remember(201, json::serialize(order), order_id);
  tx.commit();
  return {std::move(order), std::nullopt};
}

std::string Orders::approved_twin(const std::string& org_id, const std::string& member_id,
                                  const std::string& solution_id, const json::object& body) {
  auto code_set = [](const json::array& procedures) {
    std::vector<std::string> codes;
    for (const auto& p : procedures) {
      if (const auto* c = p.is_object() ? p.as_object().if_contains("code") : nullptr;
          c && c->is_string())
        codes.push_back(util::upper(c->as_string()));
    }
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    return codes;
  };
  auto wanted = code_set(body.at("procedures").as_array());
  auto st = m_store.db.query(
      "SELECT order_id, procedures FROM orders WHERE organization_id = ? AND member_id = ? AND "
      "solution = ? AND service_start = ? AND service_end = ? AND status IN ('approved', "
      "'partially-approved') ORDER BY created_at, order_id",
      {org_id, member_id, solution_id, text_of(body, "service_start"),
       text_of(body, "service_end")});
  std::string found;
  while (found.empty() && st.step()) {
    if (code_set(json::parse(st.text(1)).as_array()) == wanted) found = st.text(0);
  }
  st.reset();
  return found;
}

ApiResult<json::object> Orders::get_case(const std::string& user_id, std::string_view order_id) {
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  apply_due_reviews_locked(now);
  auto order =
      order_json_locked(m_store.organization_of_locked(user_id), util::upper(order_id), now);
  if (!order) return tl::unexpected(not_found("order", order_id));
  return std::move(*order);
}

bool Orders::order_visible(const std::string& user_id, std::string_view order_id) {
  std::lock_guard lock(m_store.mutex);
  std::string org = m_store.organization_of_locked(user_id);
  auto st = m_store.db.query("SELECT 1 FROM orders WHERE order_id = ? AND organization_id = ?",
                             {util::upper(order_id), org});
  return !org.empty() && st.step();
}

}  // namespace portal::sandbox
