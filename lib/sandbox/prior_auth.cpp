#include "sandbox/prior_auth.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include "portal/records/codes.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/idempotency.hpp"
#include "sandbox/letters.hpp"
#include "sandbox/page_token.hpp"
#include "sandbox/portal.hpp"

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
    if (r["outcome"]) {
      auto d = parse_decision(r["outcome"].Scalar());
      if (!d) bad_seed(origin, entry + ": review outcome must be approve, deny or partial");
      s.review.outcome = *d;
    }
  }
  return s;
}

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
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot read " + file.string());
  std::string text;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  return parse(text, file.string());
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
          {"procedure_codes", std::move(codes)},
          {"questions", std::move(questions)}};
}

// ---- orders over SQLite (Portal's prior-authorization members) ------------------------------

namespace {

constexpr const char* k_schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS orders (
  order_id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, created_by TEXT NOT NULL,
  acmp_number TEXT UNIQUE, status TEXT NOT NULL, health_plan TEXT NOT NULL, solution TEXT NOT NULL,
  member_id TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
  date_of_birth TEXT NOT NULL, ordering_npi TEXT NOT NULL, servicing_npi TEXT NOT NULL,
  procedures TEXT NOT NULL, diagnoses TEXT NOT NULL, answers TEXT NOT NULL, additional_info TEXT,
  service_start TEXT NOT NULL, service_end TEXT NOT NULL, urgency TEXT NOT NULL,
  documents_required TEXT NOT NULL, review_due_at INTEGER, decision_note TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, decided_at INTEGER);
CREATE INDEX IF NOT EXISTS orders_by_organization ON orders(organization_id, created_at, order_id);
CREATE INDEX IF NOT EXISTS orders_by_member ON orders(organization_id, member_id, solution);
CREATE INDEX IF NOT EXISTS orders_by_review ON orders(status, review_due_at);
CREATE TABLE IF NOT EXISTS case_requests (
  scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
  response_body TEXT NOT NULL, order_id TEXT, created_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS documents (
  document_id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(order_id),
  document_type TEXT NOT NULL, description TEXT NOT NULL, filename TEXT NOT NULL,
  content_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
  stored_name TEXT NOT NULL, uploaded_by TEXT NOT NULL, received_at INTEGER NOT NULL,
  UNIQUE (order_id, sha256));
CREATE TABLE IF NOT EXISTS letters (
  letter_id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(order_id),
  kind TEXT NOT NULL, file TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS letters_by_order ON letters(order_id);
)sql";

constexpr const char* k_order_columns =
    "order_id, organization_id, acmp_number, status, health_plan, solution, member_id, first_name, "
    "last_name, date_of_birth, ordering_npi, servicing_npi, procedures, diagnoses, answers, "
    "additional_info, service_start, service_end, urgency, documents_required, review_due_at, "
    "decision_note, created_at, updated_at, decided_at";

// Orders answered by one search page before the lazy reviews are applied in bulk.
constexpr std::size_t k_review_batch = 1000;

std::int64_t unix_of(SysTime t) { return t.time_since_epoch().count(); }
SysTime time_of(std::int64_t s) { return SysTime{std::chrono::seconds{s}}; }

ApiError api_error(int status, std::string code, std::string message, json::object extra = {}) {
  return ApiError{status, std::move(code), std::move(message), std::move(extra)};
}

ApiError validation_error(const std::vector<FieldError>& problems) {
  json::array errors;
  for (const auto& p : problems)
    errors.push_back(json::object{{"field", p.field}, {"message", p.message}});
  std::string msg = "the record is not valid";
  if (!problems.empty()) msg += ": " + problems.front().field + " " + problems.front().message;
  return api_error(400, "validation_failed", msg, json::object{{"errors", std::move(errors)}});
}

ApiError case_rejected(const std::vector<CaseReason>& reasons, json::object extra = {}) {
  json::array list;
  for (const auto& r : reasons) {
    json::object o{{"code", r.code}, {"message", r.message}};
    if (!r.field.empty()) o["field"] = r.field;
    list.push_back(std::move(o));
  }
  std::string msg = "the case was rejected: " + reasons.front().message;
  if (reasons.size() > 1) msg += " (and " + std::to_string(reasons.size() - 1) + " more reasons)";
  extra["reasons"] = std::move(list);
  return api_error(422, "case_rejected", msg, std::move(extra));
}

ApiError not_found(std::string_view what, std::string_view id) {
  return api_error(
      404, "not_found",
      "no " + std::string(what) + " has the ID " + quotable(id) + " in your organisation");
}

std::string text_of(const json::object& body, std::string_view key) {
  const auto* v = body.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Unicode code points in UTF-8 text (what JSON Schema's maxLength counts).
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0u) != 0x80u; }));
}

std::string date_of(SysTime t) { return format_iso8601(t).substr(0, 10); }

bool is_open(std::string_view status) {
  return status == k_status_pended || status == k_status_needs_documents;
}

// One row of `orders` (k_order_columns).
struct OrderRow {
  std::string order_id, organization_id, acmp_number, status, health_plan, solution, member_id,
      first_name, last_name, date_of_birth, ordering_npi, servicing_npi;
  json::array procedures, diagnoses, documents_required;
  json::object answers;
  std::optional<std::string> additional_info;
  std::string service_start, service_end, urgency, decision_note;
  std::optional<std::int64_t> review_due_at, decided_at;
  std::int64_t created_at = 0, updated_at = 0;
};

OrderRow read_order(Statement& st) {
  OrderRow o;
  o.order_id = st.text(0);
  o.organization_id = st.text(1);
  o.acmp_number = st.text(2);
  o.status = st.text(3);
  o.health_plan = st.text(4);
  o.solution = st.text(5);
  o.member_id = st.text(6);
  o.first_name = st.text(7);
  o.last_name = st.text(8);
  o.date_of_birth = st.text(9);
  o.ordering_npi = st.text(10);
  o.servicing_npi = st.text(11);
  o.procedures = json::parse(st.text(12)).as_array();
  o.diagnoses = json::parse(st.text(13)).as_array();
  o.answers = json::parse(st.text(14)).as_object();
  if (!st.is_null(15)) o.additional_info = st.text(15);
  o.service_start = st.text(16);
  o.service_end = st.text(17);
  o.urgency = st.text(18);
  o.documents_required = json::parse(st.text(19)).as_array();
  o.review_due_at = st.optional_integer(20);
  o.decision_note = st.text(21);
  o.created_at = st.integer(22);
  o.updated_at = st.integer(23);
  o.decided_at = st.optional_integer(24);
  return o;
}

std::optional<OrderRow> find_order(Database& db, std::string_view org_id,
                                   std::string_view order_id) {
  auto st = db.query(std::string("SELECT ") + k_order_columns +
                         " FROM orders WHERE order_id = ? AND (? = '' OR organization_id = ?)",
                     {std::string(order_id), std::string(org_id), std::string(org_id)});
  if (!st.step()) return std::nullopt;
  return read_order(st);
}

// The required documents not uploaded yet.
json::array missing_documents(Database& db, const OrderRow& o) {
  std::vector<std::string> present;
  {
    auto st =
        db.query("SELECT DISTINCT document_type FROM documents WHERE order_id = ?", {o.order_id});
    while (st.step()) present.push_back(st.text(0));
  }
  json::array missing;
  for (const auto& d : o.documents_required) {
    std::string type(d.as_object().at("document_type").as_string());
    if (std::find(present.begin(), present.end(), type) == present.end()) missing.push_back(d);
  }
  return missing;
}

std::string next_step(const OrderRow& o, const json::array& missing) {
  if (o.status == k_status_approved) return "nothing: approved";
  if (o.status == k_status_partial)
    return "nothing: partially approved; the letter lists the approved units";
  if (o.status == k_status_denied)
    return "nothing: denied; the letter says how to appeal within 60 days";
  if (o.status == k_status_needs_documents) {
    std::string s = "upload ";
    for (std::size_t i = 0; i < missing.size(); ++i) {
      const auto& d = missing[i].as_object();
      s += (i == 0 ? "" : " and ") + std::string("a ") +
           std::string(d.at("document_type").as_string()) + " document";
      if (const auto* desc = d.if_contains("description"); desc && !desc->as_string().empty()) {
        s += " (" + std::string(desc->as_string()) + ")";
      }
    }
    return s;
  }
  if (o.review_due_at)
    return "clinical review, expect a decision by " + date_of(time_of(*o.review_due_at));
  return "clinical review";
}

// The order's review deadline from `from` by the solution's rule.
std::int64_t review_due(const Solution* s, std::string_view urgency, SysTime from) {
  ReviewRule rule = s ? s->review : ReviewRule{};
  int days = urgency == "urgent" ? rule.urgent_days : rule.days;
  return unix_of(from + std::chrono::days{days});
}

std::string unique_id(Database& db, std::string_view prefix, int digits, const char* sql) {
  for (;;) {
    std::string id = std::string(prefix) + random_digits(digits);
    auto st = db.query(sql, {id});
    if (!st.step()) return id;
  }
}

}  // namespace

void create_prior_auth_schema(Database& db) { db.exec(k_schema_sql); }

json::object Portal::limits() {
  json::array types, content_types;
  for (const auto& t : document_types()) types.push_back(json::string(t));
  for (const auto& t : document_content_types()) content_types.push_back(json::string(t));
  return {{"additional_info_max_chars", k_additional_info_max_chars},
          {"document_max_bytes", k_document_max_bytes},
          {"document_content_types", std::move(content_types)},
          {"document_types", std::move(types)},
          {"search_page_size_max", k_search_page_size_max}};
}

ApiResult<json::object> Portal::solutions(std::string_view health_plan) const {
  std::vector<std::string> offered;
  if (!health_plan.empty()) {
    const HealthPlan* plan = m_roster->plan(health_plan);
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
  for (const auto& s : m_solutions->solutions()) {
    if (!health_plan.empty() && std::find(offered.begin(), offered.end(), s.id) == offered.end())
      continue;
    list.push_back(solution_json(s));
  }
  return json::object{{"solutions", std::move(list)}};
}

std::string Portal::organization_of_locked(const std::string& user_id) {
  auto st = m_db.query("SELECT organization_id FROM users WHERE id = ?", {user_id});
  return st.step() ? st.text(0) : std::string();
}

std::optional<json::object> Portal::order_json_locked(const std::string& org_id,
                                                      std::string_view order_id, SysTime now) {
  (void)now;
  auto found = find_order(m_db, org_id, order_id);
  if (!found) return std::nullopt;
  const OrderRow& o = *found;
  json::array documents, letters;
  {
    auto st = m_db.query(
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
    auto st = m_db.query(
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
      o.status == k_status_needs_documents ? missing_documents(m_db, o) : json::array{};
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
  return out;
}

void Portal::decide_locked(const std::string& order_id, Decision decision,
                           const std::unordered_map<std::string, std::int64_t>& approved_units,
                           const std::string& note, SysTime decided_at) {
  auto found = find_order(m_db, "", order_id);
  if (!found) return;
  OrderRow& o = *found;
  const Solution* solution = m_solutions->find(o.solution);
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
  std::string letter_id = unique_id(m_db, "LTR-", 10, "SELECT 1 FROM letters WHERE letter_id = ?");
  const HealthPlan* plan = m_roster->plan(o.health_plan);
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
  write_letter_pdf(letter, m_data_dir / "letters" / file);
  m_db.run(
      "INSERT INTO letters(letter_id, order_id, kind, file, created_at) VALUES (?, ?, ?, ?, ?)",
      {letter_id, o.order_id, kind, file, unix_of(decided_at)});
  m_db.run(
      "UPDATE orders SET status = ?, procedures = ?, decision_note = ?, decided_at = ?, updated_at "
      "= ?, "
      "review_due_at = NULL WHERE order_id = ?",
      {status, json::serialize(o.procedures), note, unix_of(decided_at), unix_of(decided_at),
       o.order_id});
}

void Portal::apply_due_reviews_locked(SysTime now) {
  for (;;) {
    std::vector<std::pair<std::string, std::int64_t>> due;
    std::vector<std::string> solutions;
    {
      auto st = m_db.query(
          "SELECT order_id, review_due_at, solution FROM orders WHERE status = 'pended' "
          "AND review_due_at <= ? ORDER BY review_due_at LIMIT ?",
          {unix_of(now), static_cast<std::int64_t>(k_review_batch)});
      while (st.step()) {
        due.emplace_back(st.text(0), st.integer(1));
        solutions.push_back(st.text(2));
      }
    }
    if (due.empty()) return;
    Transaction tx(m_db);
    for (std::size_t i = 0; i < due.size(); ++i) {
      const Solution* s = m_solutions->find(solutions[i]);
      // Decided the moment the clock passed the deadline, whenever someone looks: a nightly
      // pull with updated_since sees it exactly once.
      decide_locked(due[i].first, s ? s->review.outcome : Decision::approve, {}, "clinical review",
                    time_of(due[i].second));
    }
    tx.commit();
    if (due.size() < k_review_batch) return;
  }
}

CaseSubmission Portal::submit_case(const std::string& user_id, const json::object& body,
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
    if (!problems.empty()) invalid = validation_error(problems);
  }
  std::string scope = user_id + " POST /v1/cases";
  std::string key(idempotency_key);
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  if (!key.empty()) {
    auto oldest = unix_of(now - k_idempotency_ttl);
    auto st = m_db.query(
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
  Transaction tx(m_db);
  auto remember = [&](int status, const std::string& response, const std::string& order_id) {
    if (key.empty()) return;
    m_db.run(
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
  const HealthPlan* plan = m_roster->plan(plan_id);
  const Solution* solution = m_solutions->find(solution_id);
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
    auto e = sandbox::check_eligibility(*m_roster, elig, chicago_today(now));
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
  std::string info = text_of(body, "additional_info");
  if (code_points(info) > k_additional_info_max_chars) {
    reasons.push_back({"additional_info_too_long",
                       "additional_info has " + std::to_string(code_points(info)) +
                           " characters; the limit is " +
                           std::to_string(k_additional_info_max_chars),
                       "additional_info"});
  }
  if (!reasons.empty()) return refuse(case_rejected(reasons));

  std::string org_id = organization_of_locked(user_id);
  std::string member_id = util::upper(text_of(body, "member_id"));
  // A duplicate: an open order of the organisation for the member and solution that already
  // asks for one of the codes.
  {
    auto st = m_db.query(
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

  Adjudication decision = adjudicate(*solution, answers);
  std::string order_id = unique_id(m_db, "ORD-", 8, "SELECT 1 FROM orders WHERE order_id = ?");
  DbValue acmp = nullptr;
  if (solution->acmp)
    acmp = unique_id(m_db, "ACMP", 9, "SELECT 1 FROM orders WHERE acmp_number = ?");
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
  DbValue due = nullptr;
  if (decision.status == k_status_pended) due = review_due(solution, urgency, now);
  m_db.run(
      "INSERT INTO orders(order_id, organization_id, created_by, acmp_number, status, health_plan, "
      "solution, "
      "member_id, first_name, last_name, date_of_birth, ordering_npi, servicing_npi, procedures, "
      "diagnoses, "
      "answers, additional_info, service_start, service_end, urgency, documents_required, "
      "review_due_at, "
      "decision_note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, "
      "?, ?, '', ?, ?)",
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
       unix_of(now)});
  if (decision.status == k_status_approved) decide_locked(order_id, Decision::approve, {}, "", now);
  auto order = *order_json_locked(org_id, order_id, now);
  remember(201, json::serialize(order), order_id);
  tx.commit();
  return {std::move(order), std::nullopt};
}

ApiResult<json::object> Portal::get_case(const std::string& user_id, std::string_view order_id) {
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  apply_due_reviews_locked(now);
  auto order = order_json_locked(organization_of_locked(user_id), order_id, now);
  if (!order) return tl::unexpected(not_found("order", order_id));
  return std::move(*order);
}

bool Portal::order_visible(const std::string& user_id, std::string_view order_id) {
  std::lock_guard lock(m_mutex);
  std::string org = organization_of_locked(user_id);
  auto st = m_db.query("SELECT 1 FROM orders WHERE order_id = ? AND organization_id = ?",
                       {std::string(order_id), org});
  return !org.empty() && st.step();
}

ApiResult<json::object> Portal::search_orders(const std::string& user_id,
                                              const std::map<std::string, std::string>& query) {
  static const std::vector<std::string> k_filters = {
      "order_id", "acmp_number", "member_id",   "date_of_birth", "from",
      "to",       "status",      "health_plan", "solution",      "updated_since"};
  std::vector<FieldError> problems;
  for (const auto& [name, value] : query) {
    if (name != "page_size" && name != "page_token" &&
        std::find(k_filters.begin(), k_filters.end(), name) == k_filters.end()) {
      // The name is the client's: quoted, so any bytes it holds still make valid JSON.
      problems.push_back({quotable(name),
                          "is not a search parameter (they are: order_id, acmp_number, member_id, "
                          "date_of_birth, from, to, status, health_plan, solution, updated_since, "
                          "page_size, page_token)"});
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
        s != k_status_denied && s != k_status_partial) {
      problems.push_back(
          {"status", "must be approved, pended, needs-documents, denied or partially-approved"});
    }
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
  DbValue member_id =
      given("member_id") ? DbValue(util::upper(value("member_id"))) : DbValue(nullptr);

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
    auto parts = open_page_token(m_admin_token_hash, value("page_token"));
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

  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  apply_due_reviews_locked(now);
  std::int64_t as_of = pinned_as_of ? *pinned_as_of : unix_of(now - k_feed_settle);
  std::string org = organization_of_locked(user_id);
  std::vector<std::pair<std::int64_t, std::string>> ids;
  {
    auto st = m_db.query(
        "SELECT created_at, order_id FROM orders WHERE organization_id = ?1 "
        "AND (?2 IS NULL OR order_id = ?2) AND (?3 IS NULL OR acmp_number = ?3) "
        "AND (?4 IS NULL OR member_id = ?4) AND (?5 IS NULL OR date_of_birth = ?5) "
        "AND (?6 IS NULL OR service_end >= ?6) AND (?7 IS NULL OR service_start <= ?7) "
        "AND (?8 IS NULL OR status = ?8) AND (?9 IS NULL OR health_plan = ?9) AND (?10 IS NULL OR "
        "solution = ?10) "
        "AND (?11 IS NULL OR (updated_at > ?11 AND updated_at <= ?15)) "
        "AND (?12 IS NULL OR created_at > ?12 OR (created_at = ?12 AND order_id > ?13)) "
        "ORDER BY created_at, order_id LIMIT ?14",
        {org, param("order_id"), param("acmp_number"), member_id, param("date_of_birth"),
         param("from"), param("to"), param("status"), param("health_plan"), param("solution"),
         updated_since, after_created, after_id, page_size + 1, as_of});
    while (st.step()) ids.emplace_back(st.integer(0), st.text(1));
  }
  json::value next = nullptr;
  if (ids.size() > static_cast<std::size_t>(page_size)) {
    ids.pop_back();
    next = seal_page_token(m_admin_token_hash, {std::to_string(ids.back().first), ids.back().second,
                                                fingerprint, std::to_string(as_of)});
  }
  json::array orders;
  for (const auto& [created, id] : ids) orders.push_back(*order_json_locked(org, id, now));
  return json::object{{"as_of", format_iso8601(time_of(as_of))},
                      {"orders", std::move(orders)},
                      {"next_page_token", std::move(next)}};
}

ApiResult<std::string> Portal::letter_pdf(const std::string& user_id, std::string_view letter_id) {
  std::string file;
  {
    std::lock_guard lock(m_mutex);
    std::string org = organization_of_locked(user_id);
    auto st = m_db.query(
        "SELECT l.file FROM letters l JOIN orders o ON o.order_id = l.order_id "
        "WHERE l.letter_id = ? AND o.organization_id = ?",
        {std::string(letter_id), org});
    if (!st.step()) return tl::unexpected(not_found("letter", letter_id));
    file = st.text(0);
  }
  std::FILE* f = std::fopen((m_data_dir / "letters" / file).c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("letter file missing: " + file);
  std::string bytes;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
  std::fclose(f);
  return bytes;
}

ApiResult<json::object> Portal::decide_case(std::string_view order_id, const json::object& body) {
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
  std::lock_guard lock(m_mutex);
  SysTime now = now_locked();
  apply_due_reviews_locked(now);
  auto order = find_order(m_db, "", order_id);
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
  Transaction tx(m_db);
  decide_locked(order->order_id, *decision, units,
                note ? std::string(note->as_string()) : std::string(), now);
  auto out = *order_json_locked("", order->order_id, now);
  tx.commit();
  return out;
}

}  // namespace portal::sandbox
