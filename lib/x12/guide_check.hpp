// The element rules of the guides applied to one value, and a segment's row looked up by loop:
// what validate.cpp checks while walking a set and what the transaction writers check before
// they write a segment, written once (internal to the codec).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "x12/error.hpp"
#include "x12/guide.hpp"

namespace x12::detail {

// What is wrong with one value of an element; `reason` follows the element's name
// ("is longer than 60", "'XX' is not one of: PR 2B").
struct ValueProblem {
  ErrorCode code;
  std::string reason;
};

// Checks a non-empty value `v` of element `e` (one repetition of a repeating element): its
// length, code list, date, time or number. `format` is the element before it (D8 or RD8 for a
// dated element); `component` splits a composite, whose first component carries the codes.
std::optional<ValueProblem> check_value(const ElementRule& e, std::string_view v,
                                        std::string_view format, char component);

// X12 lengths of numbers count digits only (no sign, no decimal point).
std::size_t value_length(std::string_view v, Type t);

// The loop named `name` under `root` (itself included), or nullptr.
const Loop* find_loop(const Loop& root, std::string_view name);

// The row of segment `id` in `loop` (child loops' rows excluded); among rows of the same id the
// one whose qualifier element holds the value `element_of(qual_element)` gives, else the first.
// nullptr when the loop has no such row.
template <typename ElementOf>
const SegmentRule* find_row(const Loop& loop, std::string_view id, const ElementOf& element_of) {
  const SegmentRule* unqualified = nullptr;
  for (const SegmentRule& row : loop.segments) {
    if (row.loop != nullptr || row.id != id) continue;
    if (row.qual_element == 0) return &row;
    if (has_code(row.qual_codes, element_of(row.qual_element))) return &row;
    if (unqualified == nullptr) unqualified = &row;
  }
  return unqualified;
}

}  // namespace x12::detail
