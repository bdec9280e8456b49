// The attachment control numbers of 278 requests (PWK06), so that the 275 carrying a document
// (005010X210, its TRN02) reaches the order the 278 made (docs/core.md, section 9).
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "sandbox/order_rows.hpp"
#include "sandbox/orders.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace {

constexpr const char* k_schema =
    "CREATE TABLE IF NOT EXISTS attachment_controls ("
    "organization_id TEXT NOT NULL, control_number TEXT NOT NULL, order_id TEXT NOT NULL, "
    "report_type TEXT NOT NULL, recorded_at INTEGER NOT NULL, "
    "PRIMARY KEY (organization_id, control_number))";

// document.schema.json's document type of a PWK01 report type (005010X217's list), "" when
// the report type says none in particular.
std::string document_type_of(std::string_view report_type) {
  struct Row {
    std::string_view codes, type;
  };
  static constexpr Row k_rows[] = {
      {"11 13 BR BT LA P4 PQ RT", "lab_result"},
      {"DG RB RR XP", "imaging_report"},
      {"03 15 CB", "letter_of_medical_necessity"},
      {"05 06 07 08 09 10 21 AS DS HR M1 NN OB OD OE P5 PN PY SG", "clinical_notes"},
  };
  for (const Row& row : k_rows) {
    std::string_view codes = row.codes;
    while (!codes.empty()) {
      const std::size_t sp = codes.find(' ');
      if (codes.substr(0, sp) == report_type) return std::string(row.type);
      if (sp == std::string_view::npos) break;
      codes.remove_prefix(sp + 1);
    }
  }
  return {};
}

}  // namespace

void Orders::record_attachment_controls(const std::string& user_id, std::string_view order_id,
                                        const std::vector<AttachmentControl>& controls) {
  if (controls.empty()) return;
  std::lock_guard lock(m_store.mutex);
  m_store.db.exec(k_schema);
  const std::string org = m_store.organization_of_locked(user_id);
  if (org.empty()) return;
  const SysTime now = m_store.now_locked();
  for (const AttachmentControl& c : controls) {
    if (c.control_number.empty()) continue;
    m_store.db.run(
        "INSERT OR IGNORE INTO attachment_controls(organization_id, control_number, order_id, "
        "report_type, recorded_at) VALUES (?, ?, ?, ?, ?)",
        {org, c.control_number, std::string(order_id), c.report_type, unix_of(now)});
  }
}

std::optional<AttachmentTarget> Orders::attachment_target(const std::string& user_id,
                                                          std::string_view control_number) {
  std::lock_guard lock(m_store.mutex);
  m_store.db.exec(k_schema);
  const std::string org = m_store.organization_of_locked(user_id);
  if (org.empty()) return std::nullopt;
  AttachmentTarget target;
  std::string report_type;
  {
    auto st = m_store.db.query(
        "SELECT order_id, report_type FROM attachment_controls WHERE organization_id = ? AND "
        "control_number = ?",
        {org, std::string(control_number)});
    if (!st.step()) return std::nullopt;
    target.order_id = st.text(0);
    report_type = st.text(1);
  }
  target.document_type = document_type_of(report_type);
  if (target.document_type.empty()) {
    target.document_type = "other";
    if (auto order = find_order(m_store.db, org, target.order_id)) {
      const boost::json::array missing = missing_documents(m_store.db, *order);
      if (!missing.empty() && missing.front().is_object())
        if (const auto* t = missing.front().as_object().if_contains("document_type");
            t != nullptr && t->is_string())
          target.document_type = std::string(t->as_string());
    }
  }
  return target;
}

}  // namespace portal::sandbox
