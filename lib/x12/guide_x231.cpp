// 005010X231A1: the 999 implementation acknowledgment, and the list of every guide.
#include "x12/guide_segments.hpp"

namespace x12 {
namespace {

using namespace rules;

constexpr auto k_st = st("999", "005010X231A1");
constexpr ElementRule k_ak1[] = {R(1, Type::id, 2, 2, "BE FA HB HC HI HN HP HR HS PI RA"),
                                 R(2, Type::n0, 1, 9), R(3, Type::an, 1, 12)};
constexpr ElementRule k_ak2[] = {R(1, Type::id, 3, 3), R(2, Type::an, 4, 9), S(3, Type::an, 1, 35)};
constexpr ElementRule k_ik3[] = {R(1, Type::id, 2, 3), R(2, Type::n0, 1, 10), S(3, Type::an, 1, 4),
                                 R(4, Type::id, 1, 3, "1 2 3 4 5 6 7 8 I4 I6 I7 I8 I9")};
constexpr ElementRule k_ctx[] = {R(1, Type::composite, 1, 35), S(2, Type::id, 2, 3),
                                 S(3, Type::n0, 1, 10),        S(4, Type::an, 1, 4),
                                 S(5, Type::composite, 1, 10), S(6, Type::composite, 1, 10)};
constexpr ElementRule k_ik4[] = {
    R(1, Type::composite, 1, 10), S(2, Type::n0, 1, 4),
    R(3, Type::id, 1, 3, "1 2 3 4 5 6 7 8 9 10 12 13 I10 I11 I12 I13 I6 I9"),
    S(4, Type::an, 1, 99)};
constexpr std::string_view k_ik5_codes =
    "1 2 3 4 5 6 7 8 9 10 11 12 13 15 16 17 18 19 23 24 25 26 27 I5 I6";
constexpr ElementRule k_ik5[] = {
    R(1, Type::id, 1, 1, "A E M R W X"), S(2, Type::id, 1, 3, k_ik5_codes),
    S(3, Type::id, 1, 3, k_ik5_codes),   S(4, Type::id, 1, 3, k_ik5_codes),
    S(5, Type::id, 1, 3, k_ik5_codes),   S(6, Type::id, 1, 3, k_ik5_codes)};
constexpr std::string_view k_ak9_codes = "1 2 3 4 5 6 16 17 18 19 20 21 22 23 24 25 26";
constexpr ElementRule k_ak9[] = {R(1, Type::id, 1, 1, "A E M P R W X"),
                                 R(2, Type::n0, 1, 6),
                                 R(3, Type::n0, 1, 6),
                                 R(4, Type::n0, 1, 6),
                                 S(5, Type::id, 1, 3, k_ak9_codes),
                                 S(6, Type::id, 1, 3, k_ak9_codes),
                                 S(7, Type::id, 1, 3, k_ak9_codes),
                                 S(8, Type::id, 1, 3, k_ak9_codes),
                                 S(9, Type::id, 1, 3, k_ak9_codes)};

constexpr SegmentRule k_2110_rows[] = {seg("IK4", k_r, 1, k_ik4, 4), seg("CTX", k_s, 10, k_ctx, 6)};
constexpr Loop k_2110{"2110", k_2110_rows};
constexpr SegmentRule k_2100_rows[] = {seg("IK3", k_r, 1, k_ik3, 4), seg("CTX", k_s, 10, k_ctx, 6),
                                       open(k_2110, k_s, 99)};
constexpr Loop k_2100{"2100", k_2100_rows};
constexpr SegmentRule k_2000_rows[] = {seg("AK2", k_r, 1, k_ak2, 3), open(k_2100, k_s, k_many),
                                       seg("IK5", k_r, 1, k_ik5, 6)};
constexpr Loop k_2000{"2000", k_2000_rows};
constexpr SegmentRule k_999_rows[] = {seg("ST", k_r, 1, k_st, 3), seg("AK1", k_r, 1, k_ak1, 3),
                                      open(k_2000, k_s, k_many), seg("AK9", k_r, 1, k_ak9, 9),
                                      seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_999{"ST", k_999_rows};

}  // namespace

const Guide k_guide_999{"999", "005010X231A1", "FA", &k_999, {}};

std::span<const Guide* const> guides() {
  static const Guide* const k_all[] = {&k_guide_270, &k_guide_271, &k_guide_276,
                                       &k_guide_277, &k_guide_278, &k_guide_278_response,
                                       &k_guide_275, &k_guide_999, &k_guide_835};
  return k_all;
}

const Guide* find_guide(std::string_view set_id, std::string_view version,
                        std::string_view purpose) {
  const Guide* first = nullptr;
  for (const Guide* g : guides()) {
    if (g->set_id != set_id || g->version != version) continue;
    if (first == nullptr) first = g;
    if (!purpose.empty() && !g->purposes.empty() && has_code(g->purposes, purpose)) return g;
  }
  return first;
}

}  // namespace x12
