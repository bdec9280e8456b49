// The CAQH CORE endpoint's side of the 275 (005010X210, docs/core.md section 9.2): the
// attachment control numbers a 278 request announces (PWK06) are kept with the order it made,
// and each document a 275 carries is attached to that order through the JSON API's own upload
// (Orders::upload_document: content checked by its first bytes, size limit, the move from
// needs-documents to pended, the same content attached once). The answer is a 999.
// BIN02 is the document's bytes, or a MIME entity holding them (headers, a blank line, the body,
// base64 when its Content-Transfer-Encoding says so): CAT02 MB's form, and the one a SOAP
// payload can carry, since XML holds no NUL and no arbitrary bytes.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "caqh/fields.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/core_answers.hpp"
#include "x12/reader.hpp"
#include "x12/transactions.hpp"

namespace portal::sandbox {

namespace {

// Where each document's TRN and BIN are in the interchange, in document order: a finding names
// the segment a 999's IK3 points at.
struct DocumentPlace {
  std::size_t trn_position = 0, bin_position = 0;
  std::uint64_t trn_offset = 0, bin_offset = 0;
};

std::vector<DocumentPlace> places_of(std::string_view payload) {
  std::vector<DocumentPlace> places;
  DocumentPlace current;
  x12::Reader reader = x12::Reader::from_memory(payload);
  while (const x12::Segment* s = reader.next()) {
    if (s->id() == "TRN") {
      current.trn_position = s->position();
      current.trn_offset = s->offset();
    } else if (s->id() == "BIN") {
      current.bin_position = s->position();
      current.bin_offset = s->offset();
      places.push_back(current);
    }
  }
  return places;
}

// The document a BIN02 holds: the body of a MIME entity (decoded from base64 when it says so),
// else the data itself; nullopt for an entity that says base64 but is not.
std::optional<std::string> document_of(std::string_view data) {
  const std::string head = util::lower(data.substr(0, 32));
  if (!head.starts_with("content-") && !head.starts_with("mime-version:")) return std::string(data);
  bool base64 = false;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t eol = data.find('\n', pos);
    if (eol == std::string_view::npos) return std::string(data);  // no blank line: not MIME
    std::string_view line = data.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    const std::string lowered = util::lower(line);
    if (lowered.starts_with("content-transfer-encoding:"))
      base64 = util::trim(std::string_view(lowered).substr(26)) == "base64";
  }
  const std::string_view body = data.substr(pos);
  if (!base64) return std::string(body);
  return caqh::detail::base64_decode(body);
}

x12::Error finding(x12::ErrorCode code, std::string_view id, std::size_t position,
                   std::uint64_t offset, int element, std::string reason,
                   std::string_view value = {}) {
  x12::Error e;
  e.code = code;
  e.segment_id = std::string(id);
  e.segment_position = position;
  e.byte_offset = offset;
  e.loop = id == "TRN" ? "2000A" : "2110B";
  e.element = element;
  e.value = std::string(value.substr(0, 80));
  e.reason = std::move(reason);
  return e;
}

// Writes `data` where uploads wait to be checked, as the JSON API's listener streams a body.
UploadedBody spool(Portal& portal, std::string_view data) {
  std::filesystem::create_directories(portal.orders().upload_dir());
  UploadedBody body{portal.orders().upload_dir() / ("x12-275-" + random_token(12)), data.size(),
                    sha256_hex(data)};
  std::FILE* f = std::fopen(body.file.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot write " + body.file.string());
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) throw std::runtime_error("cannot write " + body.file.string());
  return body;
}

}  // namespace

std::vector<x12::Error> attach_275(Portal& portal, const std::string& user_id,
                                   std::string_view payload) {
  std::vector<x12::Error> problems;
  const std::vector<DocumentPlace> places = places_of(payload);
  std::size_t index = 0;
  x12::Reader reader = x12::Reader::from_memory(payload);
  auto summary = x12::read_275(reader, [&](x12::Attachment&& a, const x12::Segment&) {
    const DocumentPlace place = index < places.size() ? places[index] : DocumentPlace{};
    ++index;
    const std::string control(a.control_number());
    const auto target = portal.orders().attachment_target(user_id, control);
    if (!target) {
      problems.push_back(finding(x12::ErrorCode::invalid_code, "TRN", place.trn_position,
                                 place.trn_offset, 2,
                                 "TRN02 is no attachment control number a 278 request of your "
                                 "organisation announced (PWK06)",
                                 control));
      return true;
    }
    const std::optional<std::string> document = document_of(a.data);
    if (!document) {
      problems.push_back(finding(x12::ErrorCode::invalid_code, "BIN", place.bin_position,
                                 place.bin_offset, 2,
                                 "BIN02 is a MIME entity whose Content-Transfer-Encoding says "
                                 "base64, but its body is not base64"));
      return true;
    }
    DocumentUpload upload{target->document_type, "X12 275 attachment " + control, "275-" + control,
                          ""};
    UploadedBody body = spool(portal, *document);
    upload.declared_sha256 = body.sha256;
    auto stored = portal.orders().upload_document(user_id, target->order_id, upload, body);
    if (!stored) {
      const ApiError& e = stored.error();
      const x12::ErrorCode code =
          e.status == 413 ? x12::ErrorCode::element_too_long : x12::ErrorCode::invalid_code;
      // The API's message names sizes and types, never the document's content.
      problems.push_back(
          finding(code, "BIN", place.bin_position, place.bin_offset, 2,
                  "BIN02 was not accepted for order " + target->order_id + ": " + e.message));
    }
    return true;
  });
  for (x12::Error& e : summary.problems) problems.push_back(std::move(e));
  return problems;
}

void remember_attachment_controls(Portal& portal, const std::string& user_id,
                                  const x12::ServiceReview& request,
                                  const x12::ServiceReview& response) {
  const std::string& order_id = response.decision.certification;
  if (order_id.empty()) return;
  std::vector<AttachmentControl> controls;
  for (const x12::Paperwork& p : request.paperwork)
    controls.push_back({p.control_number, p.report_type});
  for (const x12::ReviewService& s : request.services)
    for (const x12::Paperwork& p : s.paperwork)
      controls.push_back({p.control_number, p.report_type});
  portal.orders().record_attachment_controls(user_id, order_id, controls);
}

}  // namespace portal::sandbox
