#include "sandbox/solutions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include "portal/records/codes.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;

namespace {

[[noreturn]] void bad_seed(std::string_view origin, const std::string& what) {
  throw std::runtime_error(std::string(origin) + ": " + what);
}

std::optional<bool> yes_no_of(std::string_view text) {
  std::string t = util::lower(text);
  if (t == "yes" || t == "y" || t == "true") return true;
  if (t == "no" || t == "n" || t == "false") return false;
  return std::nullopt;
}

std::optional<double> number_of(std::string_view text) {
  std::string t(text);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

}  // namespace

// The answer `text` (a seed scalar) for a question of `type`, or nullopt when it is not one.
std::optional<Answer> answer_from_text(const Question& q, std::string_view text) {
  switch (q.type) {
    case AnswerType::yes_no:
      if (auto b = yes_no_of(text)) return Answer{*b};
      return std::nullopt;
    case AnswerType::number:
      if (auto d = number_of(text)) return Answer{*d};
      return std::nullopt;
    case AnswerType::choice:
      for (const auto& c : q.choices) {
        if (util::lower(c) == util::lower(text)) return Answer{c};
      }
      return std::nullopt;
    case AnswerType::text:
      return Answer{std::string(text)};
  }
  return std::nullopt;
}

namespace {

const char* type_name(AnswerType t) {
  switch (t) {
    case AnswerType::yes_no:
      return "yes_no";
    case AnswerType::number:
      return "number";
    case AnswerType::text:
      return "text";
    case AnswerType::choice:
      return "choice";
  }
  return "text";
}

bool valid_outcome(std::string_view o) {
  return o == k_status_approved || o == k_status_pended || o == k_status_needs_documents;
}

Condition read_condition(const Solution& s, const std::string& qid, const YAML::Node& node,
                         std::string_view origin, const std::string& entry) {
  const Question* q = s.question(qid);
  if (q == nullptr) bad_seed(origin, entry + ": `when` names unknown question " + qid);
  Condition c;
  c.question = qid;
  auto value = [&](const YAML::Node& v) {
    if (!v.IsScalar()) bad_seed(origin, entry + ": the condition on " + qid + " needs a value");
    auto a = answer_from_text(*q, v.Scalar());
    if (!a) {
      bad_seed(origin,
               entry + ": " + v.Scalar() + " is not a " + type_name(q->type) + " answer of " + qid);
    }
    return *a;
  };
  if (node.IsScalar()) {
    c.op = Condition::Op::equals;
    c.values.push_back(value(node));
    return c;
  }
  if (!node.IsMap() || node.size() != 1) {
    bad_seed(origin, entry + ": the condition on " + qid +
                         " must be a value or one of "
                         "{at_least: N}, {at_most: N}, {one_of: [...]}, {answered: B}");
  }
  std::string op = node.begin()->first.Scalar();
  const YAML::Node arg = node.begin()->second;
  if (op == "at_least" || op == "at_most") {
    if (q->type != AnswerType::number)
      bad_seed(origin, entry + ": " + op + " needs a number question");
    c.op = op == "at_least" ? Condition::Op::at_least : Condition::Op::at_most;
    c.values.push_back(value(arg));
  } else if (op == "one_of") {
    if (!arg.IsSequence()) bad_seed(origin, entry + ": one_of needs a list");
    c.op = Condition::Op::one_of;
    for (const auto& v : arg) c.values.push_back(value(v));
  } else if (op == "answered") {
    auto b = arg.IsScalar() ? yes_no_of(arg.Scalar()) : std::nullopt;
    if (!b) bad_seed(origin, entry + ": answered needs true or false");
    c.op = *b ? Condition::Op::answered : Condition::Op::unanswered;
  } else {
    bad_seed(origin, entry + ": unknown condition " + op);
  }
  return c;
}

Solution read_solution(const YAML::Node& node, std::string_view origin, std::size_t index) {
  std::string entry = "solution #" + std::to_string(index + 1);
  Solution s;
  auto text = [&](const YAML::Node& n, const char* field, const std::string& where) {
    const YAML::Node v = n[field];
    if (!v || !v.IsScalar() || v.Scalar().empty())
      bad_seed(origin, where + ": " + field + " is required");
    return v.Scalar();
  };
  s.id = text(node, "id", entry);
  entry = "solution " + s.id;
  s.name = text(node, "name", entry);
  s.acmp = node["acmp"] && yes_no_of(node["acmp"].Scalar()).value_or(false);
  if (const YAML::Node m = node["additional_info_max_chars"]) {
    // The schema's maxLength bounds every solution: a case over it is not even a case.
    const std::size_t ceiling = records::property_max_length("case", "additional_info");
    auto d = m.IsScalar() ? number_of(m.Scalar()) : std::nullopt;
    if (!d || *d < 1 || *d != std::floor(*d) || (ceiling != 0 && *d > double(ceiling))) {
      bad_seed(origin, entry + ": additional_info_max_chars must be a whole number from 1 to " +
                           std::to_string(ceiling) + " (case.schema.json's maxLength)");
    }
    s.additional_info_max_chars = static_cast<std::size_t>(*d);
  }
  if (!node["procedure_codes"] || !node["procedure_codes"].IsSequence()) {
    bad_seed(origin, entry + ": procedure_codes is required");
  }
  for (const auto& code : node["procedure_codes"]) {
    std::string c = code.Scalar();
    auto dash = c.find('-');
    std::string first = c.substr(0, dash);
    std::string last = dash == std::string::npos ? first : c.substr(dash + 1);
    bool cpt = records::is_cpt_code(first) && records::is_cpt_code(last);
    bool hcpcs =
        records::is_hcpcs_code(first) && records::is_hcpcs_code(last) && first[0] == last[0];
    if ((!cpt && !hcpcs) || last < first) {
      bad_seed(origin, entry + ": " + c + " is not a CPT/HCPCS code or a range of them");
    }
    s.code_ranges.emplace_back(first, last);
  }
  if (node["questions"]) {
    for (const auto& qn : node["questions"]) {
      Question q;
      q.id = text(qn, "id", entry + " question");
      std::string where = entry + " question " + q.id;
      q.text = text(qn, "text", where);
      std::string type = text(qn, "type", where);
      if (type == "yes_no")
        q.type = AnswerType::yes_no;
      else if (type == "number")
        q.type = AnswerType::number;
      else if (type == "text")
        q.type = AnswerType::text;
      else if (type == "choice")
        q.type = AnswerType::choice;
      else
        bad_seed(origin, where + ": type must be yes_no, number, text or choice");
      q.required = qn["required"] && yes_no_of(qn["required"].Scalar()).value_or(false);
      if (qn["choices"]) {
        for (const auto& c : qn["choices"]) q.choices.push_back(c.Scalar());
      }
      if (q.type == AnswerType::choice && q.choices.empty())
        bad_seed(origin, where + ": choices are required");
      if (s.question(q.id) != nullptr) bad_seed(origin, where + " is listed twice");
      s.questions.push_back(std::move(q));
    }
  }
  if (node["criteria"]) {
    std::size_t i = 0;
    for (const auto& rn : node["criteria"]) {
      std::string where = entry + " criteria #" + std::to_string(++i);
      CriteriaRule rule;
      rule.outcome = text(rn, "outcome", where);
      if (!valid_outcome(rule.outcome)) {
        bad_seed(origin, where + ": outcome must be approved, pended or needs-documents");
      }
      if (rn["when"]) {
        for (const auto& kv : rn["when"]) {
          rule.when.push_back(read_condition(s, kv.first.Scalar(), kv.second, origin, where));
        }
      }
      if (rn["documents"]) {
        for (const auto& dn : rn["documents"]) {
          RequiredDocument d{text(dn, "type", where),
                             dn["description"] ? dn["description"].Scalar() : ""};
          if (!is_document_type(d.document_type)) {
            bad_seed(origin, where + ": unknown document type " + d.document_type);
          }
          rule.documents.push_back(std::move(d));
        }
      }
      if ((rule.outcome == k_status_needs_documents) != !rule.documents.empty()) {
        bad_seed(origin, where + ": needs-documents, and only it, lists documents");
      }
      s.criteria.push_back(std::move(rule));
    }
  }
  if (node["otherwise"]) {
    s.otherwise = node["otherwise"].Scalar();
    if (s.otherwise != k_status_approved && s.otherwise != k_status_pended) {
      bad_seed(origin, entry + ": otherwise must be approved or pended");
    }
  }
  if (const YAML::Node r = node["review"]) {
    auto int_of = [&](const char* field, int fallback) {
      if (!r[field]) return fallback;
      auto d = number_of(r[field].Scalar());
      if (!d || *d < 0 || *d > 365 || *d != std::floor(*d)) {
        bad_seed(origin, entry + ": review " + field + " must be a whole number of days");
      }
      return static_cast<int>(*d);
    };
    s.review.days = int_of("days", 2);
    s.review.urgent_days = int_of("urgent_days", std::min(s.review.days, 1));
    s.review.partial_percent = int_of("partial_percent", 50);
    s.review.late_percent = int_of("late_percent", 0);
    if (s.review.late_percent > 100) bad_seed(origin, entry + ": review late_percent is 0 to 100");
    if (r["outcome"]) {
      auto d = parse_decision(r["outcome"].Scalar());
      if (!d) bad_seed(origin, entry + ": review outcome must be approve, deny or partial");
      s.review.outcome = *d;
    }
  }
  return s;
}

}  // namespace

bool Solution::covers(std::string_view code) const {
  for (const auto& [first, last] : code_ranges) {
    // Same-shape codes (both CPT, or HCPCS of one letter) order as their text does.
    if (code.size() == first.size() && code >= first && code <= last &&
        records::is_cpt_code(code) == records::is_cpt_code(first)) {
      return true;
    }
  }
  return false;
}

const Question* Solution::question(std::string_view id) const {
  for (const auto& q : questions) {
    if (q.id == id) return &q;
  }
  return nullptr;
}

SolutionCatalog SolutionCatalog::load(const std::filesystem::path& seed_dir) {
  auto file = seed_dir / "solutions.yaml";
  if (!std::filesystem::exists(file)) return {};
  return parse(read_seed_file(file), file.string());
}

SolutionCatalog SolutionCatalog::parse(std::string_view yaml, std::string_view origin) {
  SolutionCatalog catalog;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    bad_seed(origin, std::string("not valid YAML: ") + e.what());
  }
  if (!root["solutions"]) return catalog;
  std::size_t i = 0;
  try {
    for (const auto& node : root["solutions"]) {
      Solution s = read_solution(node, origin, i++);
      if (catalog.find(s.id) != nullptr) bad_seed(origin, "solution " + s.id + " is listed twice");
      catalog.m_solutions.push_back(std::move(s));
    }
  } catch (const YAML::Exception& e) {
    bad_seed(origin, "solution #" + std::to_string(i) + ": " + e.what());
  }
  return catalog;
}

const Solution* SolutionCatalog::find(std::string_view id) const {
  for (const auto& s : m_solutions) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::optional<Decision> parse_decision(std::string_view text) {
  if (text == "approve") return Decision::approve;
  if (text == "deny") return Decision::deny;
  if (text == "partial") return Decision::partial;
  return std::nullopt;
}

json::object solution_json(const Solution& s) {
  json::array codes;
  for (const auto& [first, last] : s.code_ranges) {
    codes.push_back(json::string(first == last ? first : first + "-" + last));
  }
  json::array questions;
  for (const auto& q : s.questions) {
    json::object o{
        {"id", q.id}, {"text", q.text}, {"type", type_name(q.type)}, {"required", q.required}};
    if (q.type == AnswerType::choice) {
      json::array choices;
      for (const auto& c : q.choices) choices.push_back(json::string(c));
      o["choices"] = std::move(choices);
    }
    questions.push_back(std::move(o));
  }
  return {{"id", s.id},
          {"name", s.name},
          {"acmp", s.acmp},
          {"additional_info_max_chars", s.additional_info_max_chars},
          {"procedure_codes", std::move(codes)},
          {"questions", std::move(questions)}};
}
}  // namespace portal::sandbox
