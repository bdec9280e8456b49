// What SOAP and MIME share: the field table, the checks of values, PayloadIDs, checksums and
// boundaries.
#include "caqh/envelope.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <charconv>
#include <stdexcept>

#include "caqh/fields.hpp"

namespace caqh {

namespace detail {

char message_letter(Message message) {
  switch (message) {
    case Message::real_time_request:
      return 'r';
    case Message::real_time_response:
      return 'R';
    case Message::batch_submission:
      return 'b';
    case Message::batch_submission_response:
      return 'B';
    case Message::batch_results_request:
      return 'q';
    case Message::batch_results_response:
      return 'Q';
    case Message::batch_ack_request:
      return 'a';
    case Message::batch_ack_response:
      return 'A';
    case Message::batch_results_ack:
      return 'c';
    case Message::batch_results_ack_response:
      return 'C';
  }
  return '?';
}

const std::array<Field, 12>& fields() {
  // ErrorMessage is required by the XSD in responses but not checked: an empty one says nothing
  // the ErrorCode does not.
  static const std::array<Field, 12> k_fields{{
      {"PayloadType", &Envelope::payload_type, "rRbBqQaAcC"},
      {"ProcessingMode", &Envelope::processing_mode, "rRbBqQaAcC"},
      {"PayloadID", &Envelope::payload_id, "rRbBqQaAcC"},
      {"PayloadLength", nullptr, "b"},
      {"TimeStamp", &Envelope::timestamp, "rRbBqQaAcC"},
      {"SenderID", &Envelope::sender_id, "rRbBqQaAcC"},
      {"ReceiverID", &Envelope::receiver_id, "rRbBqQaAcC"},
      {"CORERuleVersion", &Envelope::rule_version, "rRbBqQaAcC"},
      {"CheckSum", &Envelope::checksum, "b"},
      {"Payload", &Envelope::payload, "rb"},
      {"ErrorCode", &Envelope::error_code, "RBQAC"},
      {"ErrorMessage", &Envelope::error_message, ""},
  }};
  return k_fields;
}

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}
}  // namespace

const Field* field_named(std::string_view name, bool ignore_case) {
  for (const Field& f : fields()) {
    if (ignore_case ? iequals(f.name, name) : f.name == name) return &f;
  }
  return nullptr;
}

bool set_field(Envelope& envelope, const Field& field, std::string_view value) {
  if (field.text != nullptr) {
    envelope.*field.text = std::string(value);
    return true;
  }
  long long n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 0) return false;
  envelope.payload_length = n;
  return true;
}

std::string field_text(const Envelope& envelope, const Field& field) {
  if (field.text != nullptr) return envelope.*field.text;
  return envelope.payload_length ? std::to_string(*envelope.payload_length) : std::string();
}

const Field* first_missing(const Envelope& envelope) {
  const char letter = message_letter(envelope.message);
  for (const Field& f : fields()) {
    if (f.required_in.find(letter) != std::string_view::npos && field_text(envelope, f).empty())
      return &f;
  }
  return nullptr;
}

bool payload_is_base64(Message message) {
  return message != Message::real_time_request && message != Message::real_time_response;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') clean += c;
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes: drop one per '='.
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

}  // namespace detail

std::string_view root_name(Message message) {
  switch (message) {
    case Message::real_time_request:
      return "COREEnvelopeRealTimeRequest";
    case Message::real_time_response:
      return "COREEnvelopeRealTimeResponse";
    case Message::batch_submission:
      return "COREEnvelopeBatchSubmission";
    case Message::batch_submission_response:
      return "COREEnvelopeBatchSubmissionResponse";
    case Message::batch_results_request:
      return "COREEnvelopeBatchResultsRetrievalRequest";
    case Message::batch_results_response:
      return "COREEnvelopeBatchResultsRetrievalResponse";
    case Message::batch_ack_request:
      return "COREEnvelopeBatchSubmissionAckRetrievalRequest";
    case Message::batch_ack_response:
      return "COREEnvelopeBatchSubmissionAckRetrievalResponse";
    case Message::batch_results_ack:
      return "COREEnvelopeBatchResultsAckSubmission";
    case Message::batch_results_ack_response:
      return "COREEnvelopeBatchResultsAckSubmissionResponse";
  }
  return "";
}

Message batch_message_of(std::string_view payload_type, bool response) {
  if (payload_type == k_batch_ack_retrieval)
    return response ? Message::batch_ack_response : Message::batch_ack_request;
  if (payload_type == k_batch_results_271 || payload_type == k_batch_results_277)
    return response ? Message::batch_results_response : Message::batch_results_request;
  if (payload_type == k_batch_ack_submission)
    return response ? Message::batch_results_ack_response : Message::batch_results_ack;
  // The answers' own types: a 999 is the ack retrieval's, a 271/277 the results'.
  if (response && payload_type.starts_with("X12_999_Response")) return Message::batch_ack_response;
  if (response && (payload_type.starts_with("X12_271_") || payload_type.starts_with("X12_277_")))
    return Message::batch_results_response;
  return response ? Message::batch_submission_response : Message::batch_submission;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::optional<EnvelopeError> check_values(const Envelope& e) {
  if (!e.rule_version.empty() && e.rule_version != k_rule_version) {
    return EnvelopeError{"VersionMismatch", "CORERuleVersion is \"" + e.rule_version +
                                                "\"; this endpoint speaks " +
                                                std::string(k_rule_version)};
  }
  if (!e.processing_mode.empty() && e.processing_mode != "RealTime" &&
      e.processing_mode != "Batch") {
    return EnvelopeError{
        "ProcessingModeIllegal",
        "ProcessingMode must be RealTime or Batch, not \"" + e.processing_mode + "\""};
  }
  if (!e.payload_id.empty() && !is_uuid(e.payload_id)) {
    return EnvelopeError{"PayloadIDIllegal",
                         "PayloadID must be an RFC 4122 UUID (8-4-4-4-12 hex digits)"};
  }
  if (e.payload_length && static_cast<unsigned long long>(*e.payload_length) != e.payload.size()) {
    return EnvelopeError{"PayloadLengthIllegal", "PayloadLength is " +
                                                     std::to_string(*e.payload_length) +
                                                     " but the payload holds " +
                                                     std::to_string(e.payload.size()) + " bytes"};
  }
  if (!e.checksum.empty()) {
    std::string want = checksum(e.payload);
    bool same = want.size() == e.checksum.size();
    for (std::size_t i = 0; same && i < want.size(); ++i)
      same = want[i] == std::tolower(static_cast<unsigned char>(e.checksum[i]));
    if (!same)
      return EnvelopeError{"ChecksumMismatch",
                           "CheckSum is not the SHA-1 of the payload (" + want + ")"};
  }
  return std::nullopt;
}

std::string new_payload_id() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += k_hex[b[i] >> 4];
    out += k_hex[b[i] & 0x0F];
  }
  return out;
}

std::string checksum(std::string_view payload) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(payload.data(), payload.size(), md, &n, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("SHA-1 failed");
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out += k_hex[md[i] >> 4];
    out += k_hex[md[i] & 0x0F];
  }
  return out;
}

std::string new_boundary() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out = "----CORE";
  for (unsigned char c : b) {
    out += k_hex[c >> 4];
    out += k_hex[c & 0x0F];
  }
  return out;
}

}  // namespace caqh
