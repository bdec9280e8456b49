// Internal to lib/caqh: the envelope's fields as a table (name, member, which messages require
// it), shared by the SOAP and MIME readers and writers, and base64 for batch payloads.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "caqh/envelope.hpp"

namespace caqh::detail {

struct Field {
  std::string_view name;         // the element or form field: "PayloadType"
  std::string Envelope::*text;   // its member, or nullptr for PayloadLength
  std::string_view required_in;  // the messages that require it, as their letters (below)
};

// Letters of the messages in Field::required_in: r real-time request, R real-time response,
// b batch submission, B batch submission response, q batch results request, Q its response,
// a batch ack (999) retrieval request, A its response, c batch results ack submission, C its
// response.
char message_letter(Message message);

// Every field in the XSD's order.
const std::array<Field, 12>& fields();

// The field named `name` (exact, or case-insensitively for MIME parts), or nullptr.
const Field* field_named(std::string_view name, bool ignore_case);

// Sets a field of `envelope` from its text (PayloadLength parsed; a bad number leaves it unset
// and returns false).
bool set_field(Envelope& envelope, const Field& field, std::string_view value);
// The text of a field ("" when empty or unset).
std::string field_text(const Envelope& envelope, const Field& field);

// The first field (XSD order) that `envelope`'s message requires and that is empty, or nullptr.
const Field* first_missing(const Envelope& envelope);

// Whether a message's Payload is base64Binary (the batch messages) rather than a string.
bool payload_is_base64(Message message);

std::string base64_encode(std::string_view bytes);
// nullopt when `text` (whitespace ignored) is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace caqh::detail
