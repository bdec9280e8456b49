// Prior authorization as data: the solutions of examples/sandbox/solutions.yaml (covered
// procedure codes, clinical questions, criteria, review rule), held in memory as an immutable
// catalogue. Pure: no SQL, no clock.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

namespace portal::sandbox {

// The statuses of an order. Open: pended and needs-documents (a decision is still to come).
inline constexpr std::string_view k_status_approved = "approved";
inline constexpr std::string_view k_status_pended = "pended";
inline constexpr std::string_view k_status_needs_documents = "needs-documents";
inline constexpr std::string_view k_status_denied = "denied";
inline constexpr std::string_view k_status_partial = "partially-approved";
inline constexpr std::string_view k_status_cancelled = "cancelled";

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
  // The share (0-100) of pended orders whose review comes a day after their CMS-0057-F decision
  // is due, chosen from a hash of the order ID (adjudication.hpp, decides_late).
  int late_percent = 0;
};

// The additional_info limit of a solution whose seed states none.
inline constexpr std::size_t k_additional_info_max_chars_default = 2000;

struct Solution {
  std::string id, name;
  bool acmp = false;
  // The most characters (code points) of additional_info a case of this solution may carry;
  // never more than case.schema.json's maxLength (the seed is refused otherwise).
  std::size_t additional_info_max_chars = k_additional_info_max_chars_default;
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

// "approve" | "deny" | "partial" → Decision.
std::optional<Decision> parse_decision(std::string_view text);

// The answer `text` (a seed scalar or a string answer) to question `q`, converted to its type;
// nullopt when it is not one (a choice matches its spelling in any case).
std::optional<Answer> answer_from_text(const Question& q, std::string_view text);

// {"id", "name", "acmp", "additional_info_max_chars", "procedure_codes", "questions": [...]} as
// GET /v1/solutions lists it.
boost::json::object solution_json(const Solution& s);
}  // namespace portal::sandbox
