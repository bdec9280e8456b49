// Findings and errors of the X12 codec, and the small expected<> type its fallible calls return.
// Every code maps to the acknowledgement code an X12 receiver would send (TA1 TA105, AK9 AK905,
// IK5 IK502, IK3 IK304, IK4 IK403), so a list of findings can later be turned into a 999/TA1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace x12 {

// What went wrong; the comment after each names the acknowledgement code it maps to.
enum class ErrorCode : std::uint8_t {
  // Interchange (TA1 note codes).
  io_error,                      // TA1 024: the input could not be read
  isa_malformed,                 // TA1 022: ISA not 106 fixed-width characters, bad ISA field
  bad_delimiters,                // TA1 026: delimiters not distinct or alphanumeric
  interchange_control_mismatch,  // TA1 001: IEA02 differs from ISA13
  interchange_count_mismatch,    // TA1 021: IEA01 differs from the number of groups
  missing_iea,                   // TA1 023: input ended inside an interchange
  invalid_content,               // TA1 024: NUL byte, data after the last terminator, stray segment
  segment_too_long,              // TA1 024: a segment longer than the reader's limit
  // Functional group (AK9 AK905).
  missing_ge,              // AK905 3
  group_control_mismatch,  // AK905 4: GE02 differs from GS06
  group_count_mismatch,    // AK905 5: GE01 differs from the number of transaction sets
  group_control_invalid,   // AK905 6: GS06 not 1-9 digits
  // Transaction set (IK5 IK502).
  transaction_not_supported,     // IK502 1: ST01 unknown or in the wrong GS01 group
  missing_se,                    // IK502 2
  transaction_control_mismatch,  // IK502 3: SE02 differs from ST02
  segment_count_mismatch,        // IK502 4: SE01 differs from the segments counted
  transaction_control_invalid,   // IK502 7: ST02 not 4-9 characters
  version_not_supported,         // IK502 I6: ST03/GS08 not the guide's version
  // Segment (IK3 IK304).
  unrecognized_segment,  // IK304 1
  unexpected_segment,    // IK304 2
  missing_segment,       // IK304 3: a required segment or loop is absent
  loop_over_max,         // IK304 4
  segment_over_max,      // IK304 5
  segment_out_of_order,  // IK304 7
  // Element (IK4 IK403; the IK3 of the segment gets IK304 8).
  element_missing,    // IK403 1
  too_many_elements,  // IK403 3
  element_too_short,  // IK403 4
  element_too_long,   // IK403 5
  invalid_character,  // IK403 6
  invalid_code,       // IK403 7
  invalid_date,       // IK403 8
  invalid_time,       // IK403 9
  element_not_used,   // IK403 I10
  hl_invalid,         // IK403 7 on HL01/HL02/HL03: no exact code exists for a bad tree
};

// Which acknowledgement segment carries a code, and the code itself.
enum class AckLevel : std::uint8_t { interchange, group, transaction, segment, element };
struct AckCode {
  AckLevel level;
  std::string_view code;
};

// The acknowledgement level and code of `code` (e.g. element_too_long -> {element, "5"}).
AckCode ack_code(ErrorCode code);

// A short stable name of a code ("segment_count_mismatch"), for logs and tests.
std::string_view code_name(ErrorCode code);

// One problem, located as precisely as known. Positions are 1-based; 0 means "not applicable".
struct Error {
  ErrorCode code = ErrorCode::invalid_content;
  std::size_t segment_position = 0;  // within the interchange, ISA = 1 (what IK302 reports)
  std::uint64_t byte_offset = 0;     // of the segment's first byte in the input
  std::string segment_id;            // "SE", "NM1"...; empty when none could be read
  std::string loop;                  // implementation-guide loop ("2100C"), when known
  int element = 0;                   // IK401, 0 for the whole segment
  int component = 0;                 // IK401-2, 0 for the whole element
  std::string value;                 // the offending value (IK404), at most 80 characters
  std::string reason;                // one sentence for a person
};

// "segment 12 (SE) at byte 345, element 1: SE01 is 13 but 12 segments were counted".
std::string to_string(const Error& error);

// The error half of Expected<T>.
struct Unexpected {
  Error error;
};
inline Unexpected fail(Error error) { return Unexpected{std::move(error)}; }

// A value or an Error: the subset of std::expected (C++23) the codec needs. The codec depends on
// the standard library alone, so it carries this instead of tl::expected; the member names are
// std::expected's, so moving to it later is a rename.
template <typename T>
class Expected {
 public:
  Expected(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
  Expected(Unexpected u) : m_state(std::in_place_index<1>, std::move(u.error)) {}
  bool has_value() const { return m_state.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(m_state); }
  const T& value() const { return std::get<0>(m_state); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(m_state); }

 private:
  std::variant<T, Error> m_state;
};

// Expected<void>: success or an Error.
template <>
class Expected<void> {
 public:
  Expected() = default;
  Expected(Unexpected u) : m_error(std::move(u.error)), m_failed(true) {}
  bool has_value() const { return !m_failed; }
  explicit operator bool() const { return has_value(); }
  const Error& error() const { return m_error; }

 private:
  Error m_error;
  bool m_failed = false;
};

}  // namespace x12
