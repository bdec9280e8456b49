// Prior authorization as data: the solutions of examples/sandbox/solutions.yaml (covered
// procedure codes, clinical questions, criteria, review rule), held in memory as an immutable
// catalogue, and the pure rules that check a case's answers and decide its first status. The
// orders themselves live in SQLite (Portal, prior_auth.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "sandbox/api_error.hpp"
#include "sandbox/db.hpp"

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

// The statuses of an order. Open: pended and needs-documents (a decision is still to come).
inline constexpr std::string_view k_status_approved = "approved";
inline constexpr std::string_view k_status_pended = "pended";
inline constexpr std::string_view k_status_needs_documents = "needs-documents";
inline constexpr std::string_view k_status_denied = "denied";
inline constexpr std::string_view k_status_partial = "partially-approved";

enum class AnswerType { yes_no, number, text, choice };

struct Question {
  std::string id, text;
  AnswerType type = AnswerType::text;
  bool required = false;
  std::vector<std::string> choices;  // for choice
};

// An answer after checking it against its question: yes_no → bool, number → double, text and
// choice → string (a choice spelt as the seed spells it).
using Answer = std::variant<bool, double, std::string>;

// One condition of a rule's `when` (see solutions.yaml).
struct Condition {
  enum class Op { equals, at_least, at_most, one_of, answered, unanswered };
  std::string question;
  Op op = Op::equals;
  std::vector<Answer> values;  // equals: one; one_of: several; at_least/at_most: one number
};

struct RequiredDocument {
  std::string document_type, description;
};

struct CriteriaRule {
  std::vector<Condition> when;
  std::string outcome;  // approved | pended | needs-documents
  std::vector<RequiredDocument> documents;
};

enum class Decision { approve, deny, partial };

struct ReviewRule {
  int days = 2;
  int urgent_days = 1;
  Decision outcome = Decision::approve;
  int partial_percent = 50;
};

struct Solution {
  std::string id, name;
  bool acmp = false;
  std::vector<std::pair<std::string, std::string>> code_ranges;  // inclusive, same-shape codes
  std::vector<Question> questions;
  std::vector<CriteriaRule> criteria;
  std::string otherwise = "pended";
  ReviewRule review;

  bool covers(std::string_view code) const;
  const Question* question(std::string_view id) const;
};

// The solutions, read once; const member functions are safe from any thread.
class SolutionCatalog {
 public:
  // Reads SEED_DIR/solutions.yaml (no file: no solutions). Throws std::runtime_error naming the
  // file and entry when it is inconsistent.
  static SolutionCatalog load(const std::filesystem::path& seed_dir);
  // The same from YAML text, for tests.
  static SolutionCatalog parse(std::string_view yaml, std::string_view origin = "solutions.yaml");

  const std::vector<Solution>& solutions() const { return m_solutions; }
  const Solution* find(std::string_view id) const;

 private:
  std::vector<Solution> m_solutions;
};

// A refusal reason of a case: {code, message, field?}.
struct CaseReason {
  std::string code, message, field;
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

// "approve" | "deny" | "partial" → Decision.
std::optional<Decision> parse_decision(std::string_view text);

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

// Creates the tables of orders, their idempotency keys, documents and letters (idempotent).
void create_prior_auth_schema(Database& db);

// {"id", "name", "acmp", "procedure_codes", "questions": [...]} as GET /v1/solutions lists it.
boost::json::object solution_json(const Solution& s);

}  // namespace portal::sandbox
