// The pure rules of a case against its solution: the answers checked against the questions,
// the first status by the criteria, the review deadline. No SQL: orders.cpp stores the result.
#pragma once

#include <cstdint>
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

}  // namespace portal::sandbox
