// CAQH CORE Phase II connectivity (vC2.2.0): the envelope that carries an X12 payload between a
// provider's system and a payer, as SOAP 1.2 (RealTimeTransaction, the batch operations) and as
// an HTTP MIME multipart form. The same fields travel both ways; see
// ../shared/interop/CORE-X12.md and the XSD CORERule2.2.0.xsd.
//
// XML is read with pugixml, which loads no DTD and expands no entity but XML's five, with any
// DOCTYPE refused and a size bound, so neither side can be attacked through the envelope.
// This module knows nothing of the rest of the project (the standard library, pugixml and
// OpenSSL's libcrypto for the random PayloadID and the SHA-1 CheckSum).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace caqh {

inline constexpr std::string_view k_rule_version = "2.2.0";
inline constexpr std::string_view k_soap12_ns = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view k_core_ns = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd";

// The kind of message: the XSD's request and response roots.
enum class Message {
  real_time_request,   // COREEnvelopeRealTimeRequest
  real_time_response,  // COREEnvelopeRealTimeResponse
  batch_submission,    // COREEnvelopeBatchSubmission
  batch_submission_response,
  batch_results_request,  // COREEnvelopeBatchResultsRetrievalRequest
  batch_results_response,
  batch_ack_request,  // COREEnvelopeBatchSubmissionAckRetrievalRequest (the 999 of a submission)
  batch_ack_response,
  batch_results_ack,  // COREEnvelopeBatchResultsAckSubmission (receipt of the results confirmed)
  batch_results_ack_response,
};

// The PayloadTypes of the batch exchange (vC2.2.0; the X12_999_... names by the sheet's pattern).
inline constexpr std::string_view k_batch_results_271 = "X12_005010_Request_Batch_Results_271";
inline constexpr std::string_view k_batch_results_277 = "X12_005010_Request_Batch_Results_277";
inline constexpr std::string_view k_batch_ack_retrieval = "X12_999_RetrievalRequest_005010X231A1";
inline constexpr std::string_view k_batch_ack_submission = "X12_999_SubmissionRequest_005010X231A1";

// The batch message a MIME form is, from its ProcessingMode (Batch), PayloadType and whether it
// carries an ErrorCode (a response): MIME has no root element to say it.
Message batch_message_of(std::string_view payload_type, bool response);

// The CORE envelope's fields, in the XSD's order. Empty optional fields are left out.
struct Envelope {
  Message message = Message::real_time_request;
  std::string payload_type;  // X12_270_Request_005010X279A1, X12_271_Response_005010X279A1...
  std::string processing_mode = "RealTime";  // RealTime or Batch
  std::string payload_id;                    // an RFC 4122 UUID, new for each payload
  std::optional<long long> payload_length;   // batch only
  std::string timestamp;                     // xs:dateTime UTC, 2026-12-07T11:50:00Z
  std::string sender_id;
  std::string receiver_id;
  std::string rule_version = std::string(k_rule_version);
  std::string checksum;    // batch only: SHA-1 hex of the payload
  std::string payload;     // the X12 interchange
  std::string error_code;  // responses: "Success", PayloadIDRequired, UnAuthorized...
  std::string error_message;
};

// WS-Security UsernameToken (PasswordText) of a request; never logged.
struct Credentials {
  std::string username;
  std::string password;
};

// A SOAP 1.2 fault (env:Fault): Code/Value, Reason/Text.
struct Fault {
  std::string code;  // env:Sender or env:Receiver
  std::string reason;
};

// What reading an envelope came to: the envelope, its credentials (requests), or the fault or
// the problem that stopped it ("not a SOAP 1.2 envelope", "PayloadID is missing"...).
struct Parsed {
  std::optional<Envelope> envelope;
  std::optional<Credentials> credentials;
  std::optional<Fault> fault;
  std::string problem;  // empty when envelope or fault was read
  // With a problem: the CORE ErrorCode it calls for when the message was a CORE envelope that
  // lacks a required field ("PayloadIDRequired", "SenderIDRequired"...), else "".
  std::string error_code;
  // With such an error_code: the fields that were read, so an answer can still echo them.
  std::optional<Envelope> incomplete;
};

// The SOAP 1.2 document of `envelope` (credentials, when given, in a wsse:Security header).
std::string to_soap(const Envelope& envelope, const Credentials* credentials = nullptr);
// A SOAP 1.2 fault document.
std::string soap_fault(const Fault& fault);
// Reads a SOAP 1.2 document (at most `max_bytes`): an envelope, or a fault.
Parsed from_soap(std::string_view xml, std::size_t max_bytes = 64u << 20);

// The soapAction of a message (RealTimeTransaction...), and the HTTP Content-Type of SOAP 1.2
// with it: application/soap+xml; charset=UTF-8; action="RealTimeTransaction".
std::string_view soap_action(Message message);
std::string soap_content_type(Message message);

// The MIME multipart/form-data body of `envelope` (credentials as UserName and Password
// parts), with `boundary`; and its Content-Type.
std::string to_mime(const Envelope& envelope, std::string_view boundary,
                    const Credentials* credentials = nullptr);
std::string mime_content_type(std::string_view boundary);
// Reads a multipart/form-data body whose Content-Type is `content_type`.
Parsed from_mime(std::string_view content_type, std::string_view body);

// A new RFC 4122 version 4 UUID, lower case.
std::string new_payload_id();
// SHA-1 of `payload` in lower-case hex (the batch CheckSum).
std::string checksum(std::string_view payload);

// ---- additions of the implementation -------------------------------------------------------

// The CORE root element's name of a message ("COREEnvelopeRealTimeRequest").
std::string_view root_name(Message message);

// The first problem of an envelope's values, as the CORE ErrorCode it calls for: CORERuleVersion
// other than 2.2.0 (VersionMismatch), ProcessingMode other than RealTime or Batch
// (ProcessingModeIllegal), a PayloadID that is not an RFC 4122 UUID (PayloadIDIllegal), a
// PayloadLength or CheckSum the payload does not match (PayloadLengthIllegal, ChecksumMismatch).
// Required fields are checked by the readers (Parsed::error_code).
struct EnvelopeError {
  std::string code;
  std::string message;
};
std::optional<EnvelopeError> check_values(const Envelope& envelope);

// True for "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in hex digits of either case.
bool is_uuid(std::string_view text);

// A boundary for to_mime: "----CORE" and 32 random hex digits (never found in an X12 payload).
std::string new_boundary();

// The boundary parameter of a multipart Content-Type (quoted or not), or "".
std::string boundary_of(std::string_view content_type);

}  // namespace caqh
