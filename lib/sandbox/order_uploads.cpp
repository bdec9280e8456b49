#include "sandbox/orders.hpp"

#include <algorithm>
#include <fstream>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/adjudication.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

// ---- uploads -----------------------------------------------------------------------------------

namespace {

ApiError field_error(const std::string& field, const std::string& message) {
  return ApiError{400, "validation_failed", "the upload is not valid: " + field + " " + message,
                  boost::json::object{{"errors", boost::json::array{boost::json::object{
                                                     {"field", field}, {"message", message}}}}}};
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

const char* extension_of(std::string_view content_type) {
  if (content_type == "application/pdf") return ".pdf";
  if (content_type == "image/png") return ".png";
  if (content_type == "image/jpeg") return ".jpg";
  return ".tif";
}

}  // namespace

ApiResult<boost::json::object> Orders::upload_document(const std::string& user_id,
                                                       std::string_view given_order_id,
                                                       const DocumentUpload& upload,
                                                       const UploadedBody& body) {
  namespace json = boost::json;
  // The streamed file is ours to consume: moved into place, or removed whatever the answer.
  struct Cleanup {
    std::filesystem::path file;
    ~Cleanup() {
      std::error_code ignored;
      if (!file.empty()) std::filesystem::remove(file, ignored);
    }
  } cleanup{body.file};
  const std::string order_id = util::upper(given_order_id);  // as the portal handed it out

  std::lock_guard lock(m_store.mutex);
  SysTime now = m_store.now_locked();
  apply_due_reviews_locked(now);
  std::string org = m_store.organization_of_locked(user_id);
  std::string status, solution_id, urgency;
  {
    auto st = m_store.db.query(
        "SELECT status, solution, urgency FROM orders WHERE order_id = ? AND organization_id = ?",
        {std::string(order_id), org});
    if (org.empty() || !st.step()) {
      return tl::unexpected(
          ApiError{404,
                   "not_found",
                   "no order has the ID " + quotable(order_id) + " in your organisation",
                   {}});
    }
    status = st.text(0);
    solution_id = st.text(1);
    urgency = st.text(2);
  }
  // Checked after the order, so that another organisation's order is "not found" whatever the
  // rest of the request says.
  if (!is_document_type(upload.document_type)) {
    return tl::unexpected(field_error("document_type",
                                      "must be clinical_notes, imaging_report, lab_result, "
                                      "letter_of_medical_necessity or other"));
  }
  std::size_t description_chars = static_cast<std::size_t>(
      std::count_if(upload.description.begin(), upload.description.end(),
                    [](char c) { return (static_cast<unsigned char>(c) & 0xC0u) != 0x80u; }));
  if (description_chars > k_document_description_max) {
    return tl::unexpected(field_error("description", "must be at most 255 characters"));
  }
  std::string declared = util::lower(upload.declared_sha256);
  if (!is_sha256_hex(declared)) {
    return tl::unexpected(
        field_error("X-Content-SHA256", "header is required: the file's SHA-256 as 64 hex digits"));
  }
  if (body.size > k_document_max_bytes) {
    return tl::unexpected(ApiError{413, "document_too_large",
                                   "the document has " + std::to_string(body.size) +
                                       " bytes; the limit is " +
                                       std::to_string(k_document_max_bytes) + " bytes (256 MiB)",
                                   json::object{{"limit", k_document_max_bytes}}});
  }
  if (body.sha256 != declared) {
    return tl::unexpected(
        ApiError{422, "checksum_mismatch",
                 "the document's SHA-256 is " + body.sha256 + ", not " + declared +
                     " as X-Content-SHA256 says: it was damaged on the way; send it again",
                 json::object{{"expected", declared}, {"received", body.sha256}}});
  }
  std::string content_type = sniff_file_content_type(body.file);
  if (content_type.empty()) {
    json::array accepted;
    for (const auto& t : document_content_types()) accepted.push_back(json::string(t));
    return tl::unexpected(ApiError{415, "unsupported_media_type",
                                   body.size == 0
                                       ? std::string("the document is empty")
                                       : std::string("the document is not a PDF, TIFF, JPEG or PNG "
                                                     "file (judged by its content, not its name)"),
                                   json::object{{"accepted", std::move(accepted)}}});
  }
  auto document_json = [&](Statement& st) {
    return json::object{
        {"document_id", st.text(0)},
        {"order_id", std::string(order_id)},
        {"document_type", st.text(1)},
        {"description", st.text(2)},
        {"filename", st.text(3)},
        {"size", st.integer(4)},
        {"sha256", st.text(5)},
        {"content_type", st.text(6)},
        {"received_at", format_iso8601(SysTime{std::chrono::seconds{st.integer(7)}})}};
  };
  constexpr const char* k_select =
      "SELECT document_id, document_type, description, filename, size, sha256, content_type, "
      "received_at "
      "FROM documents WHERE order_id = ? AND sha256 = ?";
  {
    auto st = m_store.db.query(k_select, {std::string(order_id), body.sha256});
    if (st.step()) {
      auto doc = document_json(st);
      doc["order_status"] = status;
      doc["deduplicated"] = true;
      return doc;
    }
  }
  std::string document_id;
  for (;;) {
    document_id = "DOC-" + random_digits(10);
    auto st = m_store.db.query("SELECT 1 FROM documents WHERE document_id = ?", {document_id});
    if (!st.step()) break;
  }
  std::string stored_name = document_id + extension_of(content_type);
  auto stored = m_store.data_dir / "documents" / stored_name;
  std::filesystem::create_directories(stored.parent_path());
  Transaction tx(m_store.db);
  m_store.db.run(
      "INSERT INTO documents(document_id, order_id, document_type, description, filename, "
      "content_type, size, "
      "sha256, stored_name, uploaded_by, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {document_id, std::string(order_id), upload.document_type, upload.description,
       sanitize_filename(upload.filename.empty() ? "document" : upload.filename), content_type,
       static_cast<std::int64_t>(body.size), body.sha256, stored_name, user_id, unix_of(now)});
  m_store.db.run("UPDATE orders SET updated_at = ? WHERE order_id = ?",
                 {unix_of(now), std::string(order_id)});
  if (status == "needs-documents") {
    std::vector<std::string> present;
    std::string required;
    {
      auto st = m_store.db.query("SELECT DISTINCT document_type FROM documents WHERE order_id = ?",
                                 {std::string(order_id)});
      while (st.step()) present.push_back(st.text(0));
    }
    {
      auto st = m_store.db.query("SELECT documents_required FROM orders WHERE order_id = ?",
                                 {std::string(order_id)});
      st.step();
      required = st.text(0);
    }
    bool complete = true;
    json::value listed = json::parse(required);
    for (const auto& d : listed.as_array()) {
      std::string type(d.as_object().at("document_type").as_string());
      complete = complete && std::find(present.begin(), present.end(), type) != present.end();
    }
    if (complete) {
      // The review clock starts now that the reviewer has what was asked for.
      // So does the CMS-0057-F decision clock: the case is complete.
      const Solution* s = m_store.solutions->find(solution_id);
      m_store.db.run(
          "UPDATE orders SET status = 'pended', review_due_at = ?, complete_at = ?, "
          "decision_due_at = ? WHERE order_id = ?",
          {review_due_of(s, order_id, urgency, now), unix_of(now),
           decision_due(urgency, unix_of(now)), std::string(order_id)});
      status = "pended";
    }
  }
  std::filesystem::rename(body.file, stored);
  cleanup.file.clear();
  json::object doc;
  {
    auto st = m_store.db.query(k_select, {std::string(order_id), body.sha256});
    st.step();
    doc = document_json(st);
  }
  try {
    tx.commit();
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(stored, ignored);
    throw;
  }
  doc["order_status"] = status;
  doc["deduplicated"] = false;
  return doc;
}

}  // namespace portal::sandbox
