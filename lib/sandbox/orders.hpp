// Prior-authorization orders over SQLite: a case adjudicated into an order (adjudication.hpp
// decides, this room stores), the order and its search, uploaded documents, administrator
// decisions with their letters, and the reviews that come due on the clock. Every order,
// document and letter belongs to the caller's organisation: another's answer 404.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/solutions.hpp"
#include "sandbox/store.hpp"

namespace portal::sandbox {

// What GET /v1/limits states (with each solution's additional_info limit).
inline constexpr std::size_t k_search_page_size_default = 50;
inline constexpr std::size_t k_search_page_size_max = 100;
// How far an order search's `as_of` trails the portal's clock. With updated_since, a search lists
// the orders changed in (updated_since, as_of]; a change written while the page is read (in the
// same second, or by `provportal-sandbox admin` in another process) carries a later time than
// as_of, so the next pull from as_of sees it and none is missed.
inline constexpr std::chrono::seconds k_feed_settle{2};

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

// An attachment control number a 278 announced (PWK06) and its report type (PWK01).
struct AttachmentControl {
  std::string control_number, report_type;
};
// The order a 275's document belongs to, and the document type it is stored as.
struct AttachmentTarget {
  std::string order_id, document_type;
};

class Orders {
 public:
  explicit Orders(Store& store) : m_store(store) {}

  // {additional_info_max_chars (the largest of any solution), per_solution: {id:
  // {additional_info_max_chars}}, document_max_bytes, document_content_types, document_types,
  // search_page_size_max}.
  boost::json::object limits() const;
  // {"solutions": [...]}, those `health_plan` offers when given (404 plan_not_found otherwise).
  ApiResult<boost::json::object> solutions(std::string_view health_plan) const;
  // Adjudicates a case (case.schema.json without ref and attachments) and creates its order:
  // 201-style order object, 400 validation_failed, 422 case_rejected with `reasons`. With an
  // idempotency key, the order and the key are committed in one transaction, so a retry after
  // a crash is answered from the stored answer; another body under the key is a 409.
  CaseSubmission submit_case(const std::string& user_id, const boost::json::object& body,
                             std::string_view idempotency_key = {},
                             std::string_view request_hash = {});
  ApiResult<boost::json::object> get_case(const std::string& user_id, std::string_view order_id);
  // GET /v1/orders: the query parameters as given.
  ApiResult<boost::json::object> search_orders(const std::string& user_id,
                                               const std::map<std::string, std::string>& query);
  // Stores an uploaded document (the body already in `body.file`, which is moved or removed):
  // the document object plus "deduplicated" (true: the same content was already on the order).
  ApiResult<boost::json::object> upload_document(const std::string& user_id,
                                                 std::string_view order_id,
                                                 const DocumentUpload& upload,
                                                 const UploadedBody& body);
  // Whether the caller's organisation has this order (to refuse an upload before its body).
  bool order_visible(const std::string& user_id, std::string_view order_id);
  // Cancels an order of the caller's organisation that is still open (pended or needs-documents):
  // {"reason": text, 1 to 500 characters}. 409 invalid_state naming the status when it is
  // decided; an order already cancelled is answered as it stands. Idempotency-Key as for
  // submit_case (the answer stored in the cancellation's transaction).
  CaseSubmission cancel_case(const std::string& user_id, std::string_view order_id,
                             const boost::json::object& body, std::string_view idempotency_key = {},
                             std::string_view request_hash = {});
  // A revision of an open order: {"procedures"?: [{code, units}] units added to the order's codes,
  // "service_end"?: a later date, "diagnoses"?: ICD-10-CM codes added}; the order with its
  // `revision` counted up. 422 case_rejected naming the field when a change cannot apply, 409
  // invalid_state when the order is decided or cancelled. Idempotency-Key as for cancel_case.
  CaseSubmission revise_case(const std::string& user_id, std::string_view order_id,
                             const boost::json::object& body, std::string_view idempotency_key = {},
                             std::string_view request_hash = {});
  // The PDF bytes of a determination letter.
  ApiResult<std::string> letter_pdf(const std::string& user_id, std::string_view letter_id);
  // An administrator's decision on a pended or needs-documents order (409 otherwise):
  // {"decision": approve|deny|partial, "approved_units"?: {code: n}, "note"?}.
  ApiResult<boost::json::object> decide_case(std::string_view order_id,
                                             const boost::json::object& body);
  // The attachment control numbers (a 278's PWK06, with its PWK01 report type) announced for
  // `order_id` of the caller's organisation, kept so the 275 carrying each document finds the
  // order (order_attachments.cpp). The first order to announce a number keeps it.
  void record_attachment_controls(const std::string& user_id, std::string_view order_id,
                                  const std::vector<AttachmentControl>& controls);
  // Where a 275's document goes: the order its control number was announced for in the
  // caller's organisation, and the document type (that of its PWK01 report type; for a type
  // that names none, the first document the order still lacks; else "other"). nullopt when no
  // 278 of the organisation announced it.
  std::optional<AttachmentTarget> attachment_target(const std::string& user_id,
                                                    std::string_view control_number);
  // Where uploads are streamed to before they are checked: DATA_DIR/documents/tmp.
  std::filesystem::path upload_dir() const { return m_store.data_dir / "documents" / "tmp"; }

 private:
  // Decides the pended orders whose review came due by `now` (their solution's review rule).
  void apply_due_reviews_locked(SysTime now);
  // The first approved (or partially approved) order of the organisation for the member and
  // solution with the case's service dates and the same set of procedure codes; "" when none.
  std::string approved_twin(const std::string& org_id, const std::string& member_id,
                            const std::string& solution_id, const boost::json::object& body);
  std::optional<boost::json::object> order_json_locked(const std::string& org_id,
                                                       std::string_view order_id, SysTime now);
  // The stored answer of an earlier request under (scope, key), or a 409 when the key was used
  // for another body; nullopt when the key is new (or empty).
  std::optional<CaseSubmission> replay_locked(const std::string& scope, std::string_view key,
                                              std::string_view request_hash, SysTime now);
  // Stores the answer under (scope, key) in the caller's transaction (nothing when key is "").
  void remember_locked(const std::string& scope, std::string_view key,
                       std::string_view request_hash, int status, const std::string& response,
                       const std::string& order_id, SysTime now);
  void decide_locked(const std::string& order_id, Decision decision,
                     const std::unordered_map<std::string, std::int64_t>& approved_units,
                     const std::string& note, SysTime decided_at);

  Store& m_store;
};

}  // namespace portal::sandbox
