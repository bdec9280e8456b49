// Prior authorization on the batch engine: the operations behind `submit-case` (a case, then
// its attachments when the portal asks for documents) and `upload-docs` (one document), the
// checks made before anything is sent, and the order search query.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/batch/runner.hpp"
#include "portal/util/error.hpp"

namespace portal::api {

// What the portal accepts (GET /v1/limits), with the documented values as defaults.
struct PortalLimits {
  std::size_t additional_info_max_chars = 2000;
  std::uint64_t document_max_bytes = 256ull << 20;
  std::vector<std::string> document_content_types = {"application/pdf", "image/tiff", "image/jpeg",
                                                     "image/png"};
};

// The limits of a GET /v1/limits answer; fields it lacks keep their defaults.
PortalLimits parse_limits(const boost::json::object& answer);

// Checks of a case record beyond its schema: procedure and diagnosis code formats, service_end
// not before service_start, and each attachment (relative paths from `base_dir`) an existing,
// readable regular file (not a symlink) of an accepted type by content within the size limit.
std::vector<FieldError> check_case(const boost::json::object& record,
                                   const std::filesystem::path& base_dir,
                                   const PortalLimits& limits);

// Checks of a document record beyond its schema: its `file` as for case attachments.
std::vector<FieldError> check_document(const boost::json::object& record,
                                       const std::filesystem::path& base_dir,
                                       const PortalLimits& limits);

// `path` as given, or under `base_dir` when relative.
std::filesystem::path resolve_path(const std::string& path, const std::filesystem::path& base_dir);

// POST /v1/cases for each row; when the order needs documents and the row has attachments, they
// are uploaded in the same row (matched in order to the documents the portal asks for, the rest
// as `other`) and the order is read again. Created → ok (status says which), case_rejected →
// rejected with each reason as a field error.
batch::Operation case_operation(std::filesystem::path base_dir, PortalLimits limits);

// POST /v1/cases/{order_id}/documents for each row, the file streamed from disk.
batch::Operation document_operation(std::filesystem::path base_dir, PortalLimits limits);

// The filters of GET /v1/orders, by the API's parameter names (empty: not given).
struct OrderQuery {
  std::string order_id, acmp_number, member_id, date_of_birth, from, to, status, health_plan,
      solution, updated_since;
  std::size_t page_size = 0;  // 0: the portal's default
};

// The encoded query string of one page of a search (without '?').
std::string orders_query(const OrderQuery& query, const std::string& page_token);

}  // namespace portal::api
