// Segment definitions the guides share (guide_x279.cpp, guide_x212.cpp, guide_x231.cpp). The
// 5010 standard fixes a segment's elements, types and lengths; a guide only picks usages and
// code lists. So each builder writes the standard's row once and takes the guide's choices as
// arguments: nm1({.entity = "IL", .id_qualifiers = "II MI"}) is the guide's NM1 table for a
// subscriber. Every builder is constexpr and returns a std::array the tables point into.
#pragma once

#include <array>
#include <string_view>

#include "x12/guide.hpp"

namespace x12::rules {

constexpr Usage k_r = Usage::required;
constexpr Usage k_s = Usage::situational;
constexpr Usage k_n = Usage::not_used;

// ST: ST01 the set, ST02 the control number, ST03 the guide's version.
constexpr std::array<ElementRule, 3> st(std::string_view set_id, std::string_view version) {
  return {R(1, Type::id, 3, 3, set_id), R(2, Type::an, 4, 9), R(3, Type::an, 1, 35, version)};
}

// SE: the segment count and ST02 again.
inline constexpr std::array<ElementRule, 2> k_se = {R(1, Type::n0, 1, 10), R(2, Type::an, 4, 9)};

// BHT: what the guide fixes of the hierarchical structure (BHT01), purpose (BHT02), reference
// (BHT03), time (BHT05) and transaction type (BHT06; "" = not used).
struct BhtParts {
  std::string_view structure;
  std::string_view purposes;
  Usage reference = Usage::required;
  Usage time = Usage::required;
  std::string_view transaction_type = {};
};
constexpr std::array<ElementRule, 6> bht(BhtParts p) {
  return {R(1, Type::id, 4, 4, p.structure),
          R(2, Type::id, 2, 2, p.purposes),
          {3, p.reference, Type::an, 1, 50, {}},
          R(4, Type::dt, 8, 8),
          {5, p.time, Type::tm, 4, 8, {}},
          p.transaction_type.empty() ? N(6) : R(6, Type::id, 2, 2, p.transaction_type)};
}

// HL of one level (HL03): the parent's ID (HL02) is required below the root and not used at it;
// the child code (HL04) takes the usage and codes the level allows.
constexpr std::array<ElementRule, 4> hl(std::string_view level, Usage parent,
                                        std::string_view child_codes,
                                        Usage child_usage = Usage::required) {
  return {R(1, Type::an, 1, 12),
          parent == Usage::not_used ? N(2) : R(2, Type::an, 1, 12),
          R(3, Type::id, 1, 2, level),
          {4, child_usage, Type::id, 1, 1, child_codes}};
}

// NM1: in 5010 NM103 is 1-60, NM104 1-35, NM105 1-25, NM107 1-10, NM109 2-80; NM106, NM111 and
// NM112 are never used. A guide's NM1 differs by the entity codes (NM101), the entity types
// (NM102), whether the name (NM103) is required, whether a person's first/middle name (NM104,
// NM105) and suffix (NM107) are used, the ID qualifier (NM108, with NM109 the same usage) and
// whether the entity relationship (NM110) is used.
struct Nm1Parts {
  std::string_view entity = {};           // NM101 codes, "" = any
  std::string_view entity_types = "1 2";  // NM102: 1 person, 2 organization
  Usage name = Usage::required;           // NM103
  bool person_name = true;                // NM104, NM105 situational (else not used)
  bool suffix = true;                     // NM107 situational (else not used)
  Usage id = Usage::situational;          // NM108 and NM109
  std::string_view id_qualifiers = {};    // NM108 codes, "" = any
  bool relationship = false;              // NM110 situational (else not used)
};
constexpr std::array<ElementRule, 12> nm1(Nm1Parts p) {
  const bool id = p.id != Usage::not_used;
  return {R(1, Type::id, 2, 3, p.entity),
          R(2, Type::id, 1, 1, p.entity_types),
          {3, p.name, Type::an, 1, 60, {}},
          p.person_name ? S(4, Type::an, 1, 35) : N(4),
          p.person_name ? S(5, Type::an, 1, 25) : N(5),
          N(6),
          p.suffix ? S(7, Type::an, 1, 10) : N(7),
          id ? ElementRule{8, p.id, Type::id, 1, 2, p.id_qualifiers} : N(8),
          id ? ElementRule{9, p.id, Type::an, 2, 80, {}} : N(9),
          p.relationship ? S(10, Type::id, 2, 2) : N(10),
          N(11),
          N(12)};
}

// TRN: the trace type (TRN01) and number (TRN02); the originator's ID and division (TRN03,
// TRN04) when the guide uses them.
constexpr std::array<ElementRule, 4> trn(std::string_view trace_types, bool originator) {
  return {R(1, Type::id, 1, 2, trace_types), R(2, Type::an, 1, 50),
          originator ? R(3, Type::an, 10, 10) : N(3), originator ? S(4, Type::an, 1, 50) : N(4)};
}

// REF: the qualifier (REF01, "" = any), the reference (REF02), the description (REF03) when the
// guide uses it; REF04 is never used.
constexpr std::array<ElementRule, 4> ref(std::string_view qualifiers, bool description) {
  return {R(1, Type::id, 2, 3, qualifiers), R(2, Type::an, 1, 50),
          description ? S(3, Type::an, 1, 80) : N(3), N(4)};
}

// DTP: the date qualifier (DTP01), then a D8 date or an RD8 range.
constexpr std::array<ElementRule, 3> dtp(std::string_view qualifiers) {
  return {R(1, Type::id, 3, 3, qualifiers), R(2, Type::id, 2, 3, "D8 RD8"),
          R(3, Type::dated, 1, 35)};
}

// DMG: a D8 birth date and the gender.
inline constexpr std::array<ElementRule, 3> k_dmg = {
    R(1, Type::id, 2, 3, "D8"), R(2, Type::dated, 1, 35), S(3, Type::id, 1, 1, "F M U")};

// PER: the information contact (IC), a name, and one communication number of the guide's kinds.
constexpr std::array<ElementRule, 4> per(std::string_view number_qualifiers) {
  return {R(1, Type::id, 2, 2, "IC"), S(2, Type::an, 1, 60),
          S(3, Type::id, 2, 2, number_qualifiers), S(4, Type::an, 1, 256)};
}

}  // namespace x12::rules
