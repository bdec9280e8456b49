// The pure rules of a case against its solution: the answers checked against the questions,
// the first status by the criteria, the review deadline. No SQL: orders.cpp stores the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/solutions.hpp"

namespace portal::sandbox {

// A refusal reason of a case: {code, message, field?}.
struct CaseReason {
  std::string code, message, field;
  std::size_t max_chars = 0;  // additional_info_too_long: the solution's limit
};

// Checks `answers` (the case's answers object, possibly absent) against the solution's
// questions: each required one answered, each answer of its question's type; unknown question
// ids are refused too. Fills `checked` with the converted answers.
std::vector<CaseReason> check_answers(const Solution& s, const boost::json::object* answers,
                                      std::unordered_map<std::string, Answer>& checked);

// The first status by the criteria: approved, pended or needs-documents (with the documents).
struct Adjudication {
  std::string status;
  std::vector<RequiredDocument> documents;
};
Adjudication adjudicate(const Solution& s, const std::unordered_map<std::string, Answer>& answers);

// The review deadline (Unix seconds) of an order pended at `from`, by the solution's review rule
// (`urgent_days` when `urgency` is "urgent"); the default rule when `s` is null.
std::int64_t review_due(const Solution* s, std::string_view urgency, SysTime from);

// CMS-0057-F's decision clock: when the decision on a case that became complete at `complete_at`
// (Unix seconds) is due: 72 hours later for an urgent (expedited) case, 7 calendar days for a
// routine (standard) one.
std::int64_t decision_due(std::string_view urgency, std::int64_t complete_at);

// Whether the review of `order_id` is one of the late share of its solution (`late_percent`):
// the first 8 hex digits of SHA-256 of the ID, modulo 100, below the share.
bool decides_late(std::string_view order_id, int late_percent);

// The review deadline of an order pended at `complete_at`: review_due(), or for the late share
// one day after the decision is due.
std::int64_t review_due_of(const Solution* s, std::string_view order_id, std::string_view urgency,
                           SysTime complete_at);

// Whether an order is late: undecided past its due time (at `now`), or decided after it. An
// order with no clock yet (waiting for documents) or cancelled before its due time is not.
bool is_overdue(std::optional<std::int64_t> due, std::optional<std::int64_t> decided_at,
                std::optional<std::int64_t> cancelled_at, std::int64_t now);

}  // namespace portal::sandbox
