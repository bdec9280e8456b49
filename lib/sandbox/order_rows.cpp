#include "sandbox/order_rows.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/adjudication.hpp"
#include "sandbox/rules.hpp"
#include "sandbox/solutions.hpp"

namespace portal::sandbox {

namespace json = boost::json;

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
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, decided_at INTEGER,
  complete_at INTEGER, decision_due_at INTEGER, cancelled_at INTEGER, cancel_reason TEXT,
  revision INTEGER NOT NULL DEFAULT 0);
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

// Columns added after the first release, for a data directory made before them.
constexpr std::pair<const char*, const char*> k_added_columns[] = {
    {"complete_at", "INTEGER"},
    {"decision_due_at", "INTEGER"},
    {"cancelled_at", "INTEGER"},
    {"cancel_reason", "TEXT"},
    {"revision", "INTEGER NOT NULL DEFAULT 0"}};

}  // namespace

void create_prior_auth_schema(Database& db) {
  db.exec(k_schema_sql);
  std::vector<std::string> have;
  {
    auto st = db.query("SELECT name FROM pragma_table_info('orders')");
    while (st.step()) have.push_back(st.text(0));
  }
  for (const auto& [name, type] : k_added_columns) {
    if (std::find(have.begin(), have.end(), name) == have.end())
      db.exec(std::string("ALTER TABLE orders ADD COLUMN ") + name + " " + type);
  }
  db.exec("CREATE INDEX IF NOT EXISTS orders_by_due ON orders(organization_id, decision_due_at)");
}

void add_decision_clock(json::object& out, const OrderRow& o, std::int64_t now) {
  auto when = [](const std::optional<std::int64_t>& t) {
    return t ? json::value(format_iso8601(time_of(*t))) : json::value(nullptr);
  };
  out["received_at"] = format_iso8601(time_of(o.created_at));
  out["complete_at"] = when(o.complete_at);
  out["decision_due"] = when(o.decision_due_at);
  out["overdue"] = is_overdue(o.decision_due_at, o.decided_at, o.cancelled_at, now);
  out["cancelled_at"] = when(o.cancelled_at);
  out["cancel_reason"] = o.cancelled_at ? json::value(o.cancel_reason) : json::value(nullptr);
  out["revision"] = o.revision;
}

ApiError not_found(std::string_view what, std::string_view id) {
  return api_error(
      404, "not_found",
      "no " + std::string(what) + " has the ID " + quotable(id) + " in your organisation");
}

std::string date_of(SysTime t) { return format_iso8601(t).substr(0, 10); }

bool is_open(std::string_view status) {
  return status == k_status_pended || status == k_status_needs_documents;
}

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
  o.complete_at = st.optional_integer(25);
  o.decision_due_at = st.optional_integer(26);
  o.cancelled_at = st.optional_integer(27);
  if (!st.is_null(28)) o.cancel_reason = st.text(28);
  o.revision = st.integer(29);
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
  if (o.status == k_status_cancelled) return "nothing: cancelled";
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

std::string unique_id(Database& db, std::string_view prefix, int digits, const char* sql) {
  for (;;) {
    std::string id = std::string(prefix) + random_digits(digits);
    auto st = db.query(sql, {id});
    if (!st.step()) return id;
  }
}
}  // namespace portal::sandbox
