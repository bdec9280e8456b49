// Implementation guides as data: loops, segment order, usage, repeats, element types, lengths
// and code lists for the transactions provportal sends and reads. One validator
// (validate.hpp) walks any of them; nothing here is code per transaction.
//
// Why constexpr C++ tables rather than an embedded text format: the compiler checks every row
// (types, spans, loop references), there is no parser to maintain or fuzz, nothing runs at
// start-up, and a row reads like the guide's own segment table. The cost, recompiling to
// change a rule, is what we want for rules that change once per X12 version.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace x12 {

enum class Usage : std::uint8_t { required, situational, not_used };

enum class Type : std::uint8_t {
  an,         // string: length only (characters are checked segment-wide)
  id,         // code: in `codes` when given
  dt,         // CCYYMMDD
  tm,         // HHMM[SS[d..]]
  n0,         // integer
  r,          // decimal
  dated,      // a date whose format is the element before it: D8 CCYYMMDD, RD8 CCYYMMDD-CCYYMMDD
  composite,  // components; `codes` (when given) apply to the first component
  binary,     // BIN02: bytes of any value, as many as the element before it says (not checked)
};

// One element of a segment as the guide uses it; elements a segment rule does not list are
// not checked beyond the segment's element count.
struct ElementRule {
  std::uint8_t index;  // 1-based
  Usage usage;
  Type type;
  std::uint16_t min;
  std::uint16_t max;
  std::string_view codes;  // space-separated allowed values, "" = any
  bool repeats = false;    // repetitions allowed (each one checked)
};

struct Loop;

// One row of a loop's table: a segment, or (when `loop` is set) a child loop whose first
// segment opens it. `qual_element`/`qual_codes` tell apart rows of the same segment id (NM1*PR
// from NM1*IL); max_use 0 means unbounded (">1").
struct SegmentRule {
  std::string_view id;
  Usage usage = Usage::situational;
  std::uint32_t max_use = 1;
  std::span<const ElementRule> elements = {};
  std::uint8_t count = 0;  // elements the standard defines for the segment; 0 = unchecked
  std::uint8_t qual_element = 0;
  std::string_view qual_codes = {};
  const Loop* loop = nullptr;
};

struct Loop {
  std::string_view name;  // "2100C"; the transaction's own table is "ST"
  std::span<const SegmentRule> segments;
};

// An HL level code and the level code its parent must have ("" for a root).
struct HlLevel {
  std::string_view level;
  std::string_view parent;
};

struct Guide {
  std::string_view set_id;            // ST01
  std::string_view version;           // ST03 / GS08
  std::string_view functional_group;  // GS01
  const Loop* root;
  std::span<const HlLevel> hl_levels;
  // The BHT02 codes of the sets this guide covers, "" = any: the 278's request and response
  // share ST01 and the version and are told apart by their purpose.
  std::string_view purposes = {};
};

// Every guide the codec knows: 270 and 271 (005010X279A1), 276 and 277 (005010X212),
// 278 request and response (005010X217), 275 (005010X210), 999 (005010X231A1), 835
// (005010X221A1).
std::span<const Guide* const> guides();

// The guide of a transaction set in a version, or nullptr. Where several guides share the set
// and version (the 278's), the one whose purposes hold `purpose` (BHT02), else the first.
const Guide* find_guide(std::string_view set_id, std::string_view version,
                        std::string_view purpose = {});

// True when `code` is one of the space-separated `codes`.
constexpr bool has_code(std::string_view codes, std::string_view code) {
  while (!codes.empty()) {
    const std::size_t sp = codes.find(' ');
    if (codes.substr(0, sp) == code) return true;
    if (sp == std::string_view::npos) break;
    codes.remove_prefix(sp + 1);
  }
  return false;
}

// The guides' tables (guide_x279.cpp, guide_x212.cpp, guide_x217.cpp, guide_x231.cpp,
// guide_x221.cpp, guide_x210.cpp).
extern const Guide k_guide_270;
extern const Guide k_guide_271;
extern const Guide k_guide_276;
extern const Guide k_guide_277;
extern const Guide k_guide_278;           // the request for review (BHT02 13, or 01 to cancel)
extern const Guide k_guide_278_response;  // the response (BHT02 11)
extern const Guide k_guide_275;           // additional information (an attachment), 005010X210
extern const Guide k_guide_999;
extern const Guide k_guide_835;

namespace rules {
// Row helpers, so a table reads like the guide: R(3, Type::an, 1, 60) is "NM103 required AN
// 1-60".
constexpr ElementRule R(std::uint8_t i, Type t, std::uint16_t mn, std::uint16_t mx,
                        std::string_view codes = {}) {
  return {i, Usage::required, t, mn, mx, codes};
}
constexpr ElementRule S(std::uint8_t i, Type t, std::uint16_t mn, std::uint16_t mx,
                        std::string_view codes = {}) {
  return {i, Usage::situational, t, mn, mx, codes};
}
constexpr ElementRule N(std::uint8_t i) { return {i, Usage::not_used, Type::an, 0, 0, {}}; }
constexpr ElementRule SR(std::uint8_t i, Type t, std::uint16_t mn, std::uint16_t mx,
                         std::string_view codes = {}) {
  return {i, Usage::situational, t, mn, mx, codes, true};
}
constexpr std::uint32_t k_many = 0;
constexpr SegmentRule seg(std::string_view id, Usage u, std::uint32_t max,
                          std::span<const ElementRule> elements, std::uint8_t count,
                          std::uint8_t qual_element = 0, std::string_view qual_codes = {}) {
  return {id, u, max, elements, count, qual_element, qual_codes, nullptr};
}
constexpr SegmentRule open(const Loop& loop, Usage u, std::uint32_t max) {
  return {{}, u, max, {}, 0, 0, {}, &loop};
}
}  // namespace rules

}  // namespace x12
