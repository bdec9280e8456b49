#include "sandbox/adjudication.hpp"

#include <algorithm>
#include <string>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;

namespace {

bool holds(const Condition& c, const std::unordered_map<std::string, Answer>& answers) {
  auto it = answers.find(c.question);
  if (c.op == Condition::Op::answered) return it != answers.end();
  if (c.op == Condition::Op::unanswered) return it == answers.end();
  if (it == answers.end()) return false;
  const Answer& a = it->second;
  switch (c.op) {
    case Condition::Op::equals:
      return a == c.values.front();
    case Condition::Op::one_of:
      return std::find(c.values.begin(), c.values.end(), a) != c.values.end();
    case Condition::Op::at_least:
    case Condition::Op::at_most: {
      const double* n = std::get_if<double>(&a);
      const double* bound = std::get_if<double>(&c.values.front());
      if (n == nullptr || bound == nullptr) return false;
      return c.op == Condition::Op::at_least ? *n >= *bound : *n <= *bound;
    }
    default:
      return false;
  }
}

}  // namespace

std::vector<CaseReason> check_answers(const Solution& s, const json::object* answers,
                                      std::unordered_map<std::string, Answer>& checked) {
  std::vector<CaseReason> reasons;
  if (answers != nullptr) {
    for (const auto& [key, value] : *answers) {
      std::string id(key);
      std::string field = "answers." + id;
      const Question* q = s.question(id);
      if (q == nullptr) {
        reasons.push_back({"answer_invalid", s.name + " has no question " + id, field});
        continue;
      }
      std::optional<Answer> a;
      if (value.is_bool()) {
        if (q->type == AnswerType::yes_no) a = Answer{value.as_bool()};
      } else if (value.is_number()) {
        if (q->type == AnswerType::number)
          a = Answer{value.to_number<double>()};
        else if (q->type == AnswerType::text)
          a = Answer{json::serialize(value)};
      } else if (value.is_string()) {
        std::string_view text = value.as_string();
        if (text.empty() || text.find_first_not_of(" \t") == std::string_view::npos)
          continue;  // unanswered
        a = answer_from_text(*q, text);
      } else if (value.is_null()) {
        continue;
      }
      if (!a) {
        std::string expected = q->type == AnswerType::yes_no   ? "yes or no"
                               : q->type == AnswerType::number ? "a number"
                               : q->type == AnswerType::choice ? "one of the choices"
                                                               : "text";
        if (q->type == AnswerType::choice) {
          expected += " (";
          for (std::size_t i = 0; i < q->choices.size(); ++i)
            expected += (i ? ", " : "") + q->choices[i];
          expected += ")";
        }
        reasons.push_back(
            {"answer_invalid", "the answer to " + id + " must be " + expected, field});
        continue;
      }
      checked.emplace(id, std::move(*a));
    }
  }
  for (const auto& q : s.questions) {
    if (q.required && checked.count(q.id) == 0) {
      bool invalid = std::any_of(reasons.begin(), reasons.end(),
                                 [&](const CaseReason& r) { return r.field == "answers." + q.id; });
      if (!invalid) {
        reasons.push_back({"answer_missing", "question " + q.id + " must be answered: " + q.text,
                           "answers." + q.id});
      }
    }
  }
  return reasons;
}

Adjudication adjudicate(const Solution& s, const std::unordered_map<std::string, Answer>& answers) {
  for (const auto& rule : s.criteria) {
    bool all = std::all_of(rule.when.begin(), rule.when.end(),
                           [&](const Condition& c) { return holds(c, answers); });
    if (all) return {rule.outcome, rule.documents};
  }
  return {s.otherwise, {}};
}

// The order's review deadline from `from` by the solution's rule.
std::int64_t review_due(const Solution* s, std::string_view urgency, SysTime from) {
  ReviewRule rule = s ? s->review : ReviewRule{};
  int days = urgency == "urgent" ? rule.urgent_days : rule.days;
  return unix_of(from + std::chrono::days{days});
}

std::int64_t decision_due(std::string_view urgency, std::int64_t complete_at) {
  constexpr std::int64_t k_expedited = 72 * 3600;
  constexpr std::int64_t k_standard = 7 * 24 * 3600;
  return complete_at + (urgency == "urgent" ? k_expedited : k_standard);
}

bool decides_late(std::string_view order_id, int late_percent) {
  if (late_percent <= 0) return false;
  std::string hex = sha256_hex(order_id).substr(0, 8);
  return static_cast<int>(std::stoul(hex, nullptr, 16) % 100) < late_percent;
}

std::int64_t review_due_of(const Solution* s, std::string_view order_id, std::string_view urgency,
                           SysTime complete_at) {
  int late = s ? s->review.late_percent : 0;
  if (decides_late(order_id, late)) return decision_due(urgency, unix_of(complete_at)) + 24 * 3600;
  return review_due(s, urgency, complete_at);
}

bool is_overdue(std::optional<std::int64_t> due, std::optional<std::int64_t> decided_at,
                std::optional<std::int64_t> cancelled_at, std::int64_t now) {
  if (!due) return false;
  if (decided_at) return *decided_at > *due;
  if (cancelled_at) return *cancelled_at > *due;
  return now > *due;
}

}  // namespace portal::sandbox
