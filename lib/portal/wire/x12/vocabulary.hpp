// The portal's vocabulary ⇄ X12 5010, for every X12 wire (x12-core, x12-files) and the offline
// tools (`provportal x12 build|parse`): a record of schemas/eligibility.schema.json becomes a 270
// and a 271 becomes the same result fields as the JSON API's answer (schemas/openapi.yaml,
// EligibilityResult); a claim_status record becomes a 276 and a 277 the ClaimStatusAnswer's
// claims. What the sandbox's 271 and 277 carry, and so what is read here, is docs/core.md (the
// sandbox's companion guide); anything else a payer sends is read as the guides define it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <tl/expected.hpp>

#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"
#include "portal/wire/x12/payers.hpp"
#include "x12/ack.hpp"
#include "x12/transactions.hpp"

namespace portal::output {
class JsonText;
}

namespace portal::wire::x12w {

// The interchange's parties and flags, from the profile.
struct Parties {
  std::string sender_id;    // ISA06 (ZZ), GS02, CORE SenderID; the submitter's ID
  std::string receiver_id;  // ISA08 (ZZ), GS03, CORE ReceiverID; a payer's own when it names one
  char usage = 'T';         // ISA15
};

// The control numbers of one interchange holding one transaction set.
struct Controls {
  std::uint32_t interchange = 1;  // ISA13 = IEA02
  std::uint32_t group = 1;        // GS06 = GE02
  std::uint32_t transaction = 1;  // ST02 = SE02
};

// A record's problems for X12, by field (the row is then invalid and nothing is sent).
template <typename T>
using Checked = tl::expected<T, std::vector<FieldError>>;

// The TRN02 of the row whose idempotency key is `key`: 24 hexadecimal digits of its SHA-256, the
// same in every run of the row, so an answer matches its row whatever order answers come in.
std::string trace_of(std::string_view key);
// The same into `out`, reusing its memory.
void assign_trace(std::string& out, std::string_view key);

// The submitter's trace originator (TRN03): "9" and the sender's ID, padded to 10.
std::string trace_originator(std::string_view sender_id);

// Record → inquiry. The record passed its schema; the payer comes from the crosswalk.
Checked<x12::EligibilityInquiry> eligibility_inquiry(const boost::json::object& record,
                                                     const Payers& payers, const Parties& parties,
                                                     std::string_view trace);
Checked<x12::ClaimInquiry> claim_inquiry(const boost::json::object& record, const Payers& payers,
                                         const Parties& parties, std::string_view trace);

// The same into `inquiry`, reusing its memory (a batch of inquiries allocates little after the
// first), and leaving its created_date and created_time as they are (empty: the interchange's).
// The record's problems for X12, or none.
std::vector<FieldError> fill_eligibility_inquiry(const boost::json::object& record,
                                                 const Payers& payers, const Parties& parties,
                                                 std::string_view trace,
                                                 x12::EligibilityInquiry& inquiry);
std::vector<FieldError> fill_claim_inquiry(const boost::json::object& record, const Payers& payers,
                                           const Parties& parties, std::string_view trace,
                                           x12::ClaimInquiry& inquiry);

// The record field a writer's refusal of an inquiry is about (2100C NM103 of a 270: last_name),
// and what X12 refuses in words that never quote the value (values are PHI); the field is ""
// when no field of the record made the element.
FieldError field_error_of(Function f, const x12::Error& refusal);

// One interchange (ISA, GS, one ST..SE, GE, IEA) holding the inquiry, written at `time`. An
// error names the segment and element the guide refused (nothing is sent then).
Expected<std::string> interchange_270(const x12::EligibilityInquiry& inquiry,
                                      const Parties& parties, std::string_view receiver_id,
                                      const Controls& controls, std::chrono::sys_seconds time);
Expected<std::string> interchange_276(const x12::ClaimInquiry& inquiry, const Parties& parties,
                                      std::string_view receiver_id, const Controls& controls,
                                      std::chrono::sys_seconds time);

// ---- 278: prior authorization (005010X217; the sandbox's conventions are docs/core.md, section 9)

// A case record (schemas/case.schema.json) → one 278 request for review: the UMO from the
// crosswalk, the ordering provider as requester, the member, one patient event (UM*HS*I, UM06 U
// for urgent, E elective otherwise; DTP*AAH the service dates; HI the diagnoses, principal
// first; MSG the solution and the answers; the servicing provider in 2010EA; one PWK*77*EL per
// attachment with attachment_control()) and one 2000F per procedure (SV1*HC with its units;
// the first's MSG the additional_info). What X12 cannot carry (an answer holding ';' or '=',
// MSG01's 264 characters, more than 12 diagnoses) is a field error: nothing is sent.
Checked<x12::ServiceReview> service_review(const boost::json::object& record, const Payers& payers,
                                           const Parties& parties, std::string_view trace);
// A cancellation record (schemas/case_cancel.schema.json, with the plan, member and requester
// the X12 wires need) → a 278 cancellation: BHT02 01, UM*HS*3, REF*BB the order's certification
// (its order_id), MSG the reason. A field the 278 needs and the row lacks is a field error.
Checked<x12::ServiceReview> cancel_review(const boost::json::object& record, const Payers& payers,
                                          const Parties& parties, std::string_view trace);
// A revision record (schemas/case_update.schema.json, with the plan, member and requester the
// X12 wires need) → a 278 revision: BHT02 13, UM*HS*S, REF*BB the order, DTP*036 the new last
// date of service, HI the diagnoses to add (all ABF), one 2000F per procedure with the units to
// add (docs/core.md, section 9.1).
Checked<x12::ServiceReview> revision_review(const boost::json::object& record, const Payers& payers,
                                            const Parties& parties, std::string_view trace);
// The PWK06 control number announcing attachment `index` of the row whose TRN02 is `trace`,
// repeated by the 275 that carries it.
std::string attachment_control(std::string_view trace, std::size_t index);
// The 275 (005010X210) carrying attachment `index` of a case record whose 278 announced it: the
// payer, the ordering provider and the member of the record, TRN02 attachment_control(); the
// document goes in as BIN02 when the interchange is written (interchange_275).
x12::Attachment attachment_of(const boost::json::object& record, const Payers& payers,
                              std::string_view trace, std::size_t index);
// BIN02 as CAT02 MB says: the document as a MIME entity, its body in base64 (what a SOAP
// payload can carry: XML holds no NUL and no arbitrary bytes; docs/core.md, section 9.2).
std::string mime_entity(std::string_view content_type, std::string_view bytes);
// One interchange (ISA, GS PI 005010X210, one 275, GE, IEA) carrying `bin` as the document.
Expected<std::string> interchange_275(const x12::Attachment& attachment, std::string_view bin,
                                      const Parties& parties, std::string_view receiver_id,
                                      const Controls& controls, std::chrono::sys_seconds time);
// One interchange (ISA, GS HI, one 278, GE, IEA) holding the request.
Expected<std::string> interchange_278(const x12::ServiceReview& review, const Parties& parties,
                                      std::string_view receiver_id, const Controls& controls,
                                      std::chrono::sys_seconds time);
// A 278 response → the case answer the JSON API gives: ok with order_id (HCR02), status (HCR01,
// with HCR03 0U needs-documents), acmp_number (REF*NT), documents_required (MSG
// documents_required=...), next_step, health_plan and solution (the record's), x12_action and
// x12_reason; or rejected (case_rejected) with each AAA in words and the field to fix.
Result case_result(const x12::ServiceReview& response, const boost::json::object& record,
                   boost::json::storage_ptr storage);
// The 278 in `payload` (the first patient event, or the response without one) as case_result().
Result read_case_answer(std::string_view payload, const boost::json::object& record,
                        boost::json::storage_ptr storage);

// Answers → the portal's vocabulary.
//
// A 271: ok with an EligibilityResult (status, active, member, plan, coverage, service_date,
// benefits, reason), or rejected (eligibility_rejected) with reject_reason {code, x12_aaa,
// follow_up, message} from its AAA. `record` is the row (its health_plan and service_date).
Result eligibility_result(const x12::EligibilityResponse& response,
                          const boost::json::object& record, const Payers& payers,
                          boost::json::storage_ptr storage);
// A 277's claims (of one or more subscribers) as a ClaimStatusAnswer {as_of, changed_since,
// claims}: A4 (not found) is no claim; a 277 that says the inquiry could not be matched (E0, E3,
// E4, A3, A6-A8) is rejected (claim_status_rejected) with reject_reason {code, x12_stc, message,
// and x12_aaa where the JSON API has one}.
Result claim_status_result(const std::vector<x12::ClaimStatusResponse>& responses,
                           const Payers& payers, boost::json::storage_ptr storage);
// False when claim_status_result() of `responses` is a refusal (the inquiry could not be
// matched), true when it is ok.
bool claim_status_matched(std::span<const x12::ClaimStatusResponse> responses);
// The answer claim_status_result() gives for matched `responses`, as JSON text: its members
// (as_of, changed_since, claims) written into the object `out` has open, the same bytes as that
// answer serialized, with no JSON value built (a file of a million answers).
void write_claim_status_answer(output::JsonText& out,
                               std::span<const x12::ClaimStatusResponse> responses,
                               const Payers& payers);
// A TA1 or 999 that rejected the request: rejected with code x12_rejected, the IK3/IK4 segment
// and element in errors[]; nullopt when the acknowledgements accepted it.
std::optional<Result> acknowledgement_result(const x12::Acknowledgements& acks);

// Reads an X12 payload answering `f` (271, 277 or 278, or a 999/TA1 instead): the row's result.
// `record` is the row when it is known (the real-time answer of one request), else empty.
Result read_answer(Function f, std::string_view payload, const boost::json::object& record,
                   const Payers& payers, boost::json::storage_ptr storage);

// Whether a payload says the payer cannot answer now (AAA 42 or 80 in a 271 or 278; a 277's E1
// or E2): the reason in words, else nullopt.
std::optional<std::string> payer_busy(Function f, std::string_view payload);

// The AAA reject reason of a code as the JSON API names it (72 invalid_member_id, 73
// name_mismatch, 75 subscriber_not_found, 71/58 invalid_date_of_birth, ...); "eligibility_
// rejected" style codes for the others: "aaa_NN".
std::string reject_code_of_aaa(std::string_view aaa);

}  // namespace portal::wire::x12w
