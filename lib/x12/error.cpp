#include "x12/error.hpp"

#include <array>

namespace x12 {
namespace {

struct CodeInfo {
  std::string_view name;
  AckLevel level;
  std::string_view ack;
};

// Indexed by ErrorCode; the order must follow the enum.
constexpr std::array<CodeInfo, 35> k_codes{{
    {"io_error", AckLevel::interchange, "024"},
    {"isa_malformed", AckLevel::interchange, "022"},
    {"bad_delimiters", AckLevel::interchange, "026"},
    {"interchange_control_mismatch", AckLevel::interchange, "001"},
    {"interchange_count_mismatch", AckLevel::interchange, "021"},
    {"missing_iea", AckLevel::interchange, "023"},
    {"invalid_content", AckLevel::interchange, "024"},
    {"segment_too_long", AckLevel::interchange, "024"},
    {"missing_ge", AckLevel::group, "3"},
    {"group_control_mismatch", AckLevel::group, "4"},
    {"group_count_mismatch", AckLevel::group, "5"},
    {"group_control_invalid", AckLevel::group, "6"},
    {"transaction_not_supported", AckLevel::transaction, "1"},
    {"missing_se", AckLevel::transaction, "2"},
    {"transaction_control_mismatch", AckLevel::transaction, "3"},
    {"segment_count_mismatch", AckLevel::transaction, "4"},
    {"transaction_control_invalid", AckLevel::transaction, "7"},
    {"version_not_supported", AckLevel::transaction, "I6"},
    {"unrecognized_segment", AckLevel::segment, "1"},
    {"unexpected_segment", AckLevel::segment, "2"},
    {"missing_segment", AckLevel::segment, "3"},
    {"loop_over_max", AckLevel::segment, "4"},
    {"segment_over_max", AckLevel::segment, "5"},
    {"segment_out_of_order", AckLevel::segment, "7"},
    {"element_missing", AckLevel::element, "1"},
    {"too_many_elements", AckLevel::element, "3"},
    {"element_too_short", AckLevel::element, "4"},
    {"element_too_long", AckLevel::element, "5"},
    {"invalid_character", AckLevel::element, "6"},
    {"invalid_code", AckLevel::element, "7"},
    {"invalid_date", AckLevel::element, "8"},
    {"invalid_time", AckLevel::element, "9"},
    {"element_not_used", AckLevel::element, "I10"},
    {"hl_invalid", AckLevel::element, "7"},
    {"unknown", AckLevel::interchange, "024"},
}};
static_assert(static_cast<std::size_t>(ErrorCode::hl_invalid) + 2 == k_codes.size());

const CodeInfo& info(ErrorCode code) {
  const auto i = static_cast<std::size_t>(code);
  return k_codes[i < k_codes.size() ? i : k_codes.size() - 1];
}

}  // namespace

AckCode ack_code(ErrorCode code) { return {info(code).level, info(code).ack}; }

std::string_view code_name(ErrorCode code) { return info(code).name; }

std::string to_string(const Error& error) {
  std::string out;
  if (error.segment_position != 0) {
    out += "segment " + std::to_string(error.segment_position);
    if (!error.segment_id.empty()) out += " (" + error.segment_id + ")";
    out += " at byte " + std::to_string(error.byte_offset);
  } else {
    out += "byte " + std::to_string(error.byte_offset);
  }
  if (!error.loop.empty()) out += " in loop " + error.loop;
  if (error.element != 0) {
    out += ", element " + std::to_string(error.element);
    if (error.component != 0) out += "-" + std::to_string(error.component);
  }
  out += ": ";
  out += error.reason;
  out += " [";
  out += code_name(error.code);
  out += "]";
  return out;
}

}  // namespace x12
