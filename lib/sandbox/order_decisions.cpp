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

// Orders answered by one search page before the lazy reviews are applied in bulk.
constexpr std::size_t k_review_batch = 1000;

}  // namespace

void Orders::decide_locked(const std::string& order_id, Decision decision,
                           const std::unordered_map<std::string, std::int64_t>& approved_units,
                           const std::string& note, SysTime decided_at) {
  auto found = find_order(m_store.db, "", order_id);
  if (!found) return;
  OrderRow& o = *found;
  const Solution* solution = m_store.solutions->find(o.solution);
  int percent = solution ? solution->review.partial_percent : 50;
  LetterContent letter;
  for (auto& p : o.procedures) {
    auto& proc = p.as_object();
    std::string code(proc.at("code").as_string());
    std::int64_t units = proc.at("units").to_number<std::int64_t>();
    std::int64_t approved = units;
    if (decision == Decision::deny) {
      approved = 0;
    } else if (decision == Decision::partial) {
      auto it = approved_units.find(code);
      approved = it != approved_units.end() ? it->second
                                            : std::max<std::int64_t>(1, units * percent / 100);
    }
    proc["approved_units"] = approved;
    letter.procedures.push_back({code, units, approved});
  }
  std::string status(decision == Decision::approve ? k_status_approved
                     : decision == Decision::deny  ? k_status_denied
                                                   : k_status_partial);
  std::string kind = decision == Decision::approve ? "approval"
                     : decision == Decision::deny  ? "denial"
                                                   : "partial-approval";
  std::string letter_id =
      unique_id(m_store.db, "LTR-", 10, "SELECT 1 FROM letters WHERE letter_id = ?");
  const HealthPlan* plan = m_store.roster->plan(o.health_plan);
  letter.letter_id = letter_id;
  letter.kind = kind;
  letter.plan_name = plan ? plan->name : o.health_plan;
  letter.solution_name = solution ? solution->name : o.solution;
  letter.order_id = o.order_id;
  letter.acmp_number = o.acmp_number;
  letter.member_name = o.first_name + " " + o.last_name;
  letter.member_id = o.member_id;
  letter.date_of_birth = o.date_of_birth;
  letter.ordering_npi = o.ordering_npi;
  letter.servicing_npi = o.servicing_npi;
  letter.service_start = o.service_start;
  letter.service_end = o.service_end;
  for (const auto& d : o.diagnoses) letter.diagnoses.emplace_back(d.as_string());
  letter.decision_date = date_of(decided_at);
  letter.note = note;
  std::string file = letter_id + ".pdf";
  write_letter_pdf(letter, m_store.data_dir / "letters" / file);
  m_store.db.run(
      "INSERT INTO letters(letter_id, order_id, kind, file, created_at) VALUES (?, ?, ?, ?, ?)",
      {letter_id, o.order_id, kind, file, unix_of(decided_at)});
  m_store.db.run(
      "UPDATE orders SET status = ?, procedures = ?, decision_note = ?, decided_at = ?, updated_at "
      "= ?, "
      "review_due_at = NULL WHERE order_id = ?",
      {status, json::serialize(o.procedures), note, unix_of(decided_at), unix_of(decided_at),
       o.order_id});
}

void Orders::apply_due_reviews_locked(SysTime now) {
  for (;;) {
    std::vector<std::pair<std::string, std::int64_t>> due;
    std::vector<std::string> solutions;
    {
      auto st = m_store.db.query(
          "SELECT order_id, review_due_at, solution FROM orders WHERE status = 'pended' "
          "AND review_due_at <= ? ORDER BY review_due_at LIMIT ?",
          {unix_of(now), static_cast<std::int64_t>(k_review_batch)});
      while (st.step()) {
        due.emplace_back(st.text(0), st.integer(1));
        solutions.push_back(st.text(2));
      }
    }
    if (due.empty()) return;
    Transaction tx(m_store.db);
    for (std::size_t i = 0; i < due.size(); ++i) {
      const Solution* s = m_store.solutions->find(solutions[i]);
      // Decided the moment the clock passed the deadline, whenever someone looks: a nightly
      // pull with updated_since sees it exactly once.
      decide_locked(due[i].first, s ? s->review.outcome : Decision::approve, {}, "clinical review",
                    time_of(due[i].second));
    }
    tx.commit();
    if (due.size() < k_review_batch) return;
  }
}
ApiResult<std::string> Orders::letter_pdf(const std::string& user_id, std::string_view letter_id) {
  std::string file;
  {
    std::lock_guard lock(m_store.mutex);
    std::string org = m_store.organization_of_locked(user_id);
    auto st = m_store.db.query(
        "SELECT l.file FROM letters l JOIN orders o ON o.order_id = l.order_id "
        "WHERE l.letter_id = ? AND o.organization_id = ?",
        {std::string(letter_id), org});
    if (!st.step()) return tl::unexpected(not_found("letter", letter_id));
    file = st.text(0);
  }
  std::FILE* f = std::fopen((m_store.data_dir / "letters" / file).c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("letter file missing: " + file);
  std::string bytes;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
  std::fclose(f);
  return bytes;
}

ApiResult<json::object> Orders::decide_case(std::string_view order_id, const json::object& body) {
  auto decision = parse_decision(text_of(body, "decision"));
  if (!decision) {
    return tl::unexpected(validation_error({{"decision", "must be approve, deny or partial"}}));
  }
  std::unordered_map<std::string, std::int64_t> units;
  if (const auto* u = body.if_contains("approved_units")) {
    if (!u->is_object())
      return tl::unexpected(validation_error({{"approved_units", "must map codes to units"}}));
    for (const auto& [code, n] : u->as_object()) {
      if (!n.is_int64() || n.as_int64() < 0) {
        return tl::unexpected(validation_error(
            {{"approved_units." + std::string(code), "must be a whole number >= 0"}}));
      }
      units.emplace(std::string(code), n.as_int64());
    }
  }
  const auto* note = body.if_contains("note");
  if (note && (!note->is_string() || note->as_string().size() > 1000)) {
    return tl::unexpected(validation_error({{"note", "must be text of at most 1000 characters"}}));
  }
  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  apply_due_reviews_locked(now);
  auto order = find_order(m_store.db, "", order_id);
  if (!order)
    return tl::unexpected(api_error(404, "not_found", "no order has the ID " + quotable(order_id)));
  if (!is_open(order->status)) {
    return tl::unexpected(api_error(409, "invalid_state",
                                    "order " + order->order_id + " is " + order->status +
                                        "; only pended or needs-documents orders can be decided",
                                    json::object{{"status", order->status}}));
  }
  for (const auto& [code, n] : units) {
    bool known = false;
    for (const auto& p : order->procedures) {
      if (p.as_object().at("code").as_string() == code) {
        known = true;
        if (n > p.as_object().at("units").to_number<std::int64_t>()) {
          return tl::unexpected(
              validation_error({{"approved_units." + code, "is more than the units requested"}}));
        }
      }
    }
    if (!known)
      return tl::unexpected(
          validation_error({{"approved_units." + code, "is not a procedure of the order"}}));
  }
  Transaction tx(m_store.db);
  decide_locked(order->order_id, *decision, units,
                note ? std::string(note->as_string()) : std::string(), now);
  auto out = *order_json_locked("", order->order_id, now);
  tx.commit();
  return out;
}

}  // namespace portal::sandbox
