// 005010X212: 276 claim status request and 277 response. Same scope as guide_x279.cpp: loops,
// order, usage, repeats, the qualifiers and date formats; STC01's category codes (list 507)
// are checked, the status codes (list 508) are not.
#include "x12/guide_segments.hpp"

namespace x12 {
namespace {

using namespace rules;

// ST, BHT (SE is rules::k_se): header and trailer.
constexpr auto k_st_276 = st("276", "005010X212");
constexpr auto k_st_277 = st("277", "005010X212");
constexpr auto k_bht_276 = bht({.structure = "0010", .purposes = "13", .time = k_s});
constexpr auto k_bht_277 =
    bht({.structure = "0010", .purposes = "08", .time = k_s, .transaction_type = "DG"});

// HL of 2000A payer (the root), 2000B receiver, 2000C provider, 2000D subscriber and 2000E
// dependent, whose HL04 is situational.
constexpr auto k_hl_20 = hl("20", k_n, "1");
constexpr auto k_hl_21 = hl("21", k_r, "1");
constexpr auto k_hl_19 = hl("19", k_r, "1");
constexpr auto k_hl_22 = hl("22", k_r, "0 1");
constexpr auto k_hl_23 = hl("23", k_r, "0", k_s);
// In a 277 the receiver and provider levels may end without children: a status at their own
// level (2200B, 2200C) answers the whole request.
constexpr auto k_hl_21_277 = hl("21", k_r, "0 1");
constexpr auto k_hl_19_277 = hl("19", k_r, "0 1");

// NM1 of 2100A (payer), 2100B (information receiver), 2100C (service provider), 2100D
// (subscriber) and 2100E (dependent).
constexpr auto k_nm1_payer = nm1({.entity = "PR",
                                  .entity_types = "2",
                                  .person_name = false,
                                  .suffix = false,
                                  .id = k_r,
                                  .id_qualifiers = "21 AD FI NI PI PP XV"});
constexpr auto k_nm1_receiver =
    nm1({.entity = "41", .suffix = false, .id = k_r, .id_qualifiers = "46 FI XX"});
constexpr auto k_nm1_provider = nm1({.entity = "1P", .id = k_r, .id_qualifiers = "FI SV XX"});
constexpr auto k_nm1_subscriber = nm1({.entity = "IL", .id = k_r, .id_qualifiers = "24 II MI"});
constexpr auto k_nm1_dependent = nm1({.entity = "QC", .entity_types = "1", .id_qualifiers = "MI"});

// PER of 2100A (277): payer contact.
constexpr auto k_per = per("ED EM FX TE UR");
// TRN of 2200B-E: the 276's trace (1), the 277's echo of it (2), except the provider level
// (2200C) of a 277, whose trace is a current one (1); no originator here.
constexpr auto k_trn_276 = trn("1", /*originator=*/false);
constexpr auto k_trn_277 = trn("2", /*originator=*/false);
constexpr auto k_trn_277_provider = trn("1", /*originator=*/false);
// REF of 2200B-E and 2210/2220: every qualifier the guide uses (a loop's row may name fewer).
constexpr auto k_ref = ref("1K 6P BLT D9 EA EJ FJ LU XZ VV 1J", /*description=*/false);
// AMT and QTY of 2200B-E: claim amounts and counts; DMG (rules::k_dmg) of 2000D/E.
constexpr ElementRule k_amt[] = {R(1, Type::id, 1, 3, "T3 YU YY"), R(2, Type::r, 1, 18)};
constexpr ElementRule k_qty[] = {R(1, Type::id, 2, 2, "90 AA QA QC"), R(2, Type::r, 1, 15)};
// DTP of 2200D/E and the service lines: service (472), received (050) or process (009) dates.
constexpr auto k_dtp = dtp("472 050 009");
// SVC of 2210D/E and 2220D/E: the service line.
constexpr ElementRule k_svc[] = {R(1, Type::composite, 1, 48, "AD ER HC HP IV N4 NU WK"),
                                 R(2, Type::r, 1, 18),
                                 S(3, Type::r, 1, 18),
                                 S(4, Type::an, 1, 48),
                                 N(5),
                                 S(6, Type::composite, 1, 48),
                                 S(7, Type::r, 1, 15)};
// STC of 2200B-E and 2220D/E: status, with up to three category codes.
constexpr std::string_view k_categories =
    "A0 A1 A2 A3 A4 A5 A6 A7 A8 D0 E0 E1 E2 E3 E4 F0 F1 F2 F3 F3F F3N F4 F5 P0 P1 P2 P3 P4 P5 R0 "
    "R1 R3 R4 R5 R6 R7 R8 R9 R10 R11 R12 R13 R14 R15 R16 R17";
constexpr ElementRule k_stc[] = {R(1, Type::composite, 1, 30, k_categories),
                                 S(2, Type::dt, 8, 8),
                                 S(3, Type::id, 1, 2),
                                 S(4, Type::r, 1, 18),
                                 S(5, Type::r, 1, 18),
                                 S(6, Type::dt, 8, 8),
                                 S(7, Type::id, 1, 3),
                                 S(8, Type::dt, 8, 8),
                                 S(9, Type::an, 1, 16),
                                 S(10, Type::composite, 1, 30, k_categories),
                                 S(11, Type::composite, 1, 30, k_categories),
                                 S(12, Type::an, 1, 264)};

// 276 -------------------------------------------------------------------------------------
constexpr SegmentRule k_276_svc_rows[] = {seg("SVC", k_r, 1, k_svc, 7),
                                          seg("REF", k_s, 1, k_ref, 4, 1, "FJ"),
                                          seg("DTP", k_s, 1, k_dtp, 3)};
constexpr Loop k_276_2210d{"2210D", k_276_svc_rows};
constexpr Loop k_276_2210e{"2210E", k_276_svc_rows};
// 2200D subscriber and 2200E dependent claim status tracking: the same rows, each with its own
// 2210 service line loop.
constexpr std::array<SegmentRule, 5> k_276_claim_rows(const Loop& service_lines) {
  return {seg("TRN", k_r, 1, k_trn_276, 4), seg("REF", k_s, 3, k_ref, 4),
          seg("AMT", k_s, 1, k_amt, 3), seg("DTP", k_s, 1, k_dtp, 3),
          open(service_lines, k_s, k_many)};
}
constexpr auto k_276_2200d_rows = k_276_claim_rows(k_276_2210d);
constexpr Loop k_276_2200d{"2200D", k_276_2200d_rows};
constexpr auto k_276_2200e_rows = k_276_claim_rows(k_276_2210e);
constexpr Loop k_276_2200e{"2200E", k_276_2200e_rows};
constexpr SegmentRule k_276_2100e_rows[] = {seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "QC")};
constexpr Loop k_276_2100e{"2100E", k_276_2100e_rows};
constexpr SegmentRule k_276_2000e_rows[] = {
    seg("HL", k_r, 1, k_hl_23, 4, 3, "23"), seg("DMG", k_s, 1, k_dmg, 11),
    open(k_276_2100e, k_r, 1), open(k_276_2200e, k_r, k_many)};
constexpr Loop k_276_2000e{"2000E", k_276_2000e_rows};
constexpr SegmentRule k_276_2100d_rows[] = {seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL")};
constexpr Loop k_276_2100d{"2100D", k_276_2100d_rows};
constexpr SegmentRule k_276_2000d_rows[] = {
    seg("HL", k_r, 1, k_hl_22, 4, 3, "22"), seg("DMG", k_s, 1, k_dmg, 11),
    open(k_276_2100d, k_r, 1), open(k_276_2200d, k_s, k_many), open(k_276_2000e, k_s, k_many)};
constexpr Loop k_276_2000d{"2000D", k_276_2000d_rows};
constexpr SegmentRule k_276_2100c_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12, 1, "1P")};
constexpr Loop k_276_2100c{"2100C", k_276_2100c_rows};
constexpr SegmentRule k_276_2000c_rows[] = {seg("HL", k_r, 1, k_hl_19, 4, 3, "19"),
                                            open(k_276_2100c, k_r, 1),
                                            open(k_276_2000d, k_r, k_many)};
constexpr Loop k_276_2000c{"2000C", k_276_2000c_rows};
constexpr SegmentRule k_276_2100b_rows[] = {seg("NM1", k_r, 1, k_nm1_receiver, 12, 1, "41")};
constexpr Loop k_276_2100b{"2100B", k_276_2100b_rows};
constexpr SegmentRule k_276_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21, 4, 3, "21"),
                                            open(k_276_2100b, k_r, 1),
                                            open(k_276_2000c, k_r, k_many)};
constexpr Loop k_276_2000b{"2000B", k_276_2000b_rows};
constexpr SegmentRule k_276_2100a_rows[] = {seg("NM1", k_r, 1, k_nm1_payer, 12, 1, "PR")};
constexpr Loop k_276_2100a{"2100A", k_276_2100a_rows};
constexpr SegmentRule k_276_2000a_rows[] = {seg("HL", k_r, 1, k_hl_20, 4, 3, "20"),
                                            open(k_276_2100a, k_r, 1),
                                            open(k_276_2000b, k_r, k_many)};
constexpr Loop k_276_2000a{"2000A", k_276_2000a_rows};
constexpr SegmentRule k_276_rows[] = {seg("ST", k_r, 1, k_st_276, 3),
                                      seg("BHT", k_r, 1, k_bht_276, 6),
                                      open(k_276_2000a, k_r, k_many), seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_276{"ST", k_276_rows};

// 277 -------------------------------------------------------------------------------------
constexpr SegmentRule k_277_svc_rows[] = {
    seg("SVC", k_r, 1, k_svc, 7), seg("STC", k_r, 0, k_stc, 12),
    seg("REF", k_s, 1, k_ref, 4, 1, "FJ"), seg("DTP", k_s, 1, k_dtp, 3)};
constexpr Loop k_277_2220d{"2220D", k_277_svc_rows};
constexpr Loop k_277_2220e{"2220E", k_277_svc_rows};
// 2200D subscriber and 2200E dependent claim status tracking: the same rows, each with its own
// 2220 service line loop.
constexpr std::array<SegmentRule, 5> k_277_claim_rows(const Loop& service_lines) {
  return {seg("TRN", k_r, 1, k_trn_277, 4), seg("STC", k_r, 0, k_stc, 12),
          seg("REF", k_s, 9, k_ref, 4), seg("DTP", k_s, 1, k_dtp, 3),
          open(service_lines, k_s, k_many)};
}
constexpr auto k_277_2200d_rows = k_277_claim_rows(k_277_2220d);
constexpr Loop k_277_2200d{"2200D", k_277_2200d_rows};
constexpr auto k_277_2200e_rows = k_277_claim_rows(k_277_2220e);
constexpr Loop k_277_2200e{"2200E", k_277_2200e_rows};
constexpr SegmentRule k_277_2100e_rows[] = {seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "QC")};
constexpr Loop k_277_2100e{"2100E", k_277_2100e_rows};
constexpr SegmentRule k_277_2000e_rows[] = {seg("HL", k_r, 1, k_hl_23, 4, 3, "23"),
                                            open(k_277_2100e, k_r, 1),
                                            open(k_277_2200e, k_r, k_many)};
constexpr Loop k_277_2000e{"2000E", k_277_2000e_rows};
constexpr SegmentRule k_277_2100d_rows[] = {seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL")};
constexpr Loop k_277_2100d{"2100D", k_277_2100d_rows};
constexpr SegmentRule k_277_2000d_rows[] = {
    seg("HL", k_r, 1, k_hl_22, 4, 3, "22"), open(k_277_2100d, k_r, 1),
    open(k_277_2200d, k_s, k_many), open(k_277_2000e, k_s, k_many)};
constexpr Loop k_277_2000d{"2000D", k_277_2000d_rows};
// 2200B information receiver and 2200C provider of service trace: the same rows but the TRN.
constexpr std::array<SegmentRule, 5> k_277_trace_rows(std::span<const ElementRule> trn) {
  return {seg("TRN", k_r, 1, trn, 4), seg("STC", k_s, 0, k_stc, 12), seg("REF", k_s, 2, k_ref, 4),
          seg("QTY", k_s, 2, k_qty, 2), seg("AMT", k_s, 2, k_amt, 3)};
}
constexpr auto k_277_2200b_rows = k_277_trace_rows(k_trn_277);
constexpr Loop k_277_2200b{"2200B", k_277_2200b_rows};
constexpr auto k_277_2200c_rows = k_277_trace_rows(k_trn_277_provider);
constexpr Loop k_277_2200c{"2200C", k_277_2200c_rows};
constexpr SegmentRule k_277_2100c_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12, 1, "1P")};
constexpr Loop k_277_2100c{"2100C", k_277_2100c_rows};
constexpr SegmentRule k_277_2000c_rows[] = {seg("HL", k_r, 1, k_hl_19_277, 4, 3, "19"),
                                            open(k_277_2100c, k_r, 1), open(k_277_2200c, k_s, 1),
                                            open(k_277_2000d, k_s, k_many)};
constexpr Loop k_277_2000c{"2000C", k_277_2000c_rows};
constexpr SegmentRule k_277_2100b_rows[] = {seg("NM1", k_r, 1, k_nm1_receiver, 12, 1, "41")};
constexpr Loop k_277_2100b{"2100B", k_277_2100b_rows};
constexpr SegmentRule k_277_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21_277, 4, 3, "21"),
                                            open(k_277_2100b, k_r, 1), open(k_277_2200b, k_s, 1),
                                            open(k_277_2000c, k_s, k_many)};
constexpr Loop k_277_2000b{"2000B", k_277_2000b_rows};
constexpr SegmentRule k_277_2100a_rows[] = {seg("NM1", k_r, 1, k_nm1_payer, 12, 1, "PR"),
                                            seg("PER", k_s, 1, k_per, 9)};
constexpr Loop k_277_2100a{"2100A", k_277_2100a_rows};
constexpr SegmentRule k_277_2000a_rows[] = {seg("HL", k_r, 1, k_hl_20, 4, 3, "20"),
                                            open(k_277_2100a, k_r, 1),
                                            open(k_277_2000b, k_r, k_many)};
constexpr Loop k_277_2000a{"2000A", k_277_2000a_rows};
constexpr SegmentRule k_277_rows[] = {seg("ST", k_r, 1, k_st_277, 3),
                                      seg("BHT", k_r, 1, k_bht_277, 6),
                                      open(k_277_2000a, k_r, k_many), seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_277{"ST", k_277_rows};

constexpr HlLevel k_levels[] = {{"20", ""}, {"21", "20"}, {"19", "21"}, {"22", "19"}, {"23", "22"}};

}  // namespace

const Guide k_guide_276{"276", "005010X212", "HR", &k_276, k_levels};
const Guide k_guide_277{"277", "005010X212", "HN", &k_277, k_levels};

}  // namespace x12
