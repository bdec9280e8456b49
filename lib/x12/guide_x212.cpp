// 005010X212: 276 claim status request and 277 response. Same scope as guide_x279.cpp: loops,
// order, usage, repeats, the qualifiers and date formats; STC01's category codes (list 507)
// are checked, the status codes (list 508) are not.
#include "x12/guide.hpp"

namespace x12 {
namespace {

using namespace rules;
constexpr Usage k_r = Usage::required;
constexpr Usage k_s = Usage::situational;

constexpr ElementRule k_st_276[] = {R(1, Type::id, 3, 3, "276"), R(2, Type::an, 4, 9),
                                    R(3, Type::an, 1, 35, "005010X212")};
constexpr ElementRule k_st_277[] = {R(1, Type::id, 3, 3, "277"), R(2, Type::an, 4, 9),
                                    R(3, Type::an, 1, 35, "005010X212")};
constexpr ElementRule k_bht_276[] = {R(1, Type::id, 4, 4, "0010"), R(2, Type::id, 2, 2, "13"),
                                     R(3, Type::an, 1, 50),        R(4, Type::dt, 8, 8),
                                     S(5, Type::tm, 4, 8),         N(6)};
constexpr ElementRule k_bht_277[] = {R(1, Type::id, 4, 4, "0010"), R(2, Type::id, 2, 2, "08"),
                                     R(3, Type::an, 1, 50),        R(4, Type::dt, 8, 8),
                                     S(5, Type::tm, 4, 8),         R(6, Type::id, 2, 2, "DG")};
constexpr ElementRule k_se[] = {R(1, Type::n0, 1, 10), R(2, Type::an, 4, 9)};

constexpr ElementRule k_hl_20[] = {R(1, Type::an, 1, 12), N(2), R(3, Type::id, 1, 2, "20"),
                                   R(4, Type::id, 1, 1, "1")};
constexpr ElementRule k_hl_21[] = {R(1, Type::an, 1, 12), R(2, Type::an, 1, 12),
                                   R(3, Type::id, 1, 2, "21"), R(4, Type::id, 1, 1, "1")};
constexpr ElementRule k_hl_19[] = {R(1, Type::an, 1, 12), R(2, Type::an, 1, 12),
                                   R(3, Type::id, 1, 2, "19"), R(4, Type::id, 1, 1, "1")};
constexpr ElementRule k_hl_22[] = {R(1, Type::an, 1, 12), R(2, Type::an, 1, 12),
                                   R(3, Type::id, 1, 2, "22"), R(4, Type::id, 1, 1, "0 1")};
constexpr ElementRule k_hl_23[] = {R(1, Type::an, 1, 12), R(2, Type::an, 1, 12),
                                   R(3, Type::id, 1, 2, "23"), S(4, Type::id, 1, 1, "0")};

constexpr ElementRule k_nm1_payer[] = {R(1, Type::id, 2, 3, "PR"),
                                       R(2, Type::id, 1, 1, "2"),
                                       R(3, Type::an, 1, 60),
                                       N(4),
                                       N(5),
                                       N(6),
                                       N(7),
                                       R(8, Type::id, 1, 2, "21 AD FI NI PI PP XV"),
                                       R(9, Type::an, 2, 80),
                                       N(10),
                                       N(11),
                                       N(12)};
constexpr ElementRule k_nm1_receiver[] = {R(1, Type::id, 2, 3, "41"),
                                          R(2, Type::id, 1, 1, "1 2"),
                                          R(3, Type::an, 1, 60),
                                          S(4, Type::an, 1, 35),
                                          S(5, Type::an, 1, 25),
                                          N(6),
                                          N(7),
                                          R(8, Type::id, 1, 2, "46 FI XX"),
                                          R(9, Type::an, 2, 80),
                                          N(10),
                                          N(11),
                                          N(12)};
constexpr ElementRule k_nm1_provider[] = {R(1, Type::id, 2, 3, "1P"),
                                          R(2, Type::id, 1, 1, "1 2"),
                                          R(3, Type::an, 1, 60),
                                          S(4, Type::an, 1, 35),
                                          S(5, Type::an, 1, 25),
                                          N(6),
                                          S(7, Type::an, 1, 10),
                                          R(8, Type::id, 1, 2, "FI SV XX"),
                                          R(9, Type::an, 2, 80),
                                          N(10),
                                          N(11),
                                          N(12)};
constexpr ElementRule k_nm1_subscriber[] = {R(1, Type::id, 2, 3, "IL"),
                                            R(2, Type::id, 1, 1, "1 2"),
                                            R(3, Type::an, 1, 60),
                                            S(4, Type::an, 1, 35),
                                            S(5, Type::an, 1, 25),
                                            N(6),
                                            S(7, Type::an, 1, 10),
                                            R(8, Type::id, 1, 2, "24 II MI"),
                                            R(9, Type::an, 2, 80),
                                            N(10),
                                            N(11),
                                            N(12)};
constexpr ElementRule k_nm1_dependent[] = {R(1, Type::id, 2, 3, "QC"),
                                           R(2, Type::id, 1, 1, "1"),
                                           R(3, Type::an, 1, 60),
                                           S(4, Type::an, 1, 35),
                                           S(5, Type::an, 1, 25),
                                           N(6),
                                           S(7, Type::an, 1, 10),
                                           S(8, Type::id, 1, 2, "MI"),
                                           S(9, Type::an, 2, 80),
                                           N(10),
                                           N(11),
                                           N(12)};

constexpr ElementRule k_dmg[] = {R(1, Type::id, 2, 3, "D8"), R(2, Type::dated, 1, 35),
                                 S(3, Type::id, 1, 1, "F M U")};
constexpr ElementRule k_per[] = {R(1, Type::id, 2, 2, "IC"), S(2, Type::an, 1, 60),
                                 S(3, Type::id, 2, 2, "ED EM FX TE UR"), S(4, Type::an, 1, 256)};
constexpr ElementRule k_trn_276[] = {R(1, Type::id, 1, 2, "1"), R(2, Type::an, 1, 50), N(3), N(4)};
constexpr ElementRule k_trn_277[] = {R(1, Type::id, 1, 2, "2"), R(2, Type::an, 1, 50), N(3), N(4)};
constexpr ElementRule k_ref[] = {R(1, Type::id, 2, 3, "1K 6P BLT D9 EA EJ FJ LU XZ VV 1J"),
                                 R(2, Type::an, 1, 50), N(3), N(4)};
constexpr ElementRule k_amt[] = {R(1, Type::id, 1, 3, "T3 YU YY"), R(2, Type::r, 1, 18)};
constexpr ElementRule k_qty[] = {R(1, Type::id, 2, 2, "90 AA QA QC"), R(2, Type::r, 1, 15)};
constexpr ElementRule k_dtp[] = {R(1, Type::id, 3, 3, "472 050 009"),
                                 R(2, Type::id, 2, 3, "D8 RD8"), R(3, Type::dated, 1, 35)};
constexpr ElementRule k_svc[] = {R(1, Type::composite, 1, 48, "AD ER HC HP IV N4 NU WK"),
                                 R(2, Type::r, 1, 18),
                                 S(3, Type::r, 1, 18),
                                 S(4, Type::an, 1, 48),
                                 N(5),
                                 S(6, Type::composite, 1, 48),
                                 S(7, Type::r, 1, 15)};
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
constexpr SegmentRule k_276_2200d_rows[] = {
    seg("TRN", k_r, 1, k_trn_276, 4), seg("REF", k_s, 3, k_ref, 4), seg("AMT", k_s, 1, k_amt, 3),
    seg("DTP", k_s, 1, k_dtp, 3), open(k_276_2210d, k_s, k_many)};
constexpr Loop k_276_2200d{"2200D", k_276_2200d_rows};
constexpr SegmentRule k_276_2200e_rows[] = {
    seg("TRN", k_r, 1, k_trn_276, 4), seg("REF", k_s, 3, k_ref, 4), seg("AMT", k_s, 1, k_amt, 3),
    seg("DTP", k_s, 1, k_dtp, 3), open(k_276_2210e, k_s, k_many)};
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
constexpr SegmentRule k_277_2200d_rows[] = {
    seg("TRN", k_r, 1, k_trn_277, 4), seg("STC", k_r, 0, k_stc, 12), seg("REF", k_s, 9, k_ref, 4),
    seg("DTP", k_s, 1, k_dtp, 3), open(k_277_2220d, k_s, k_many)};
constexpr Loop k_277_2200d{"2200D", k_277_2200d_rows};
constexpr SegmentRule k_277_2200e_rows[] = {
    seg("TRN", k_r, 1, k_trn_277, 4), seg("STC", k_r, 0, k_stc, 12), seg("REF", k_s, 9, k_ref, 4),
    seg("DTP", k_s, 1, k_dtp, 3), open(k_277_2220e, k_s, k_many)};
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
constexpr SegmentRule k_277_trace_rows[] = {
    seg("TRN", k_r, 1, k_trn_277, 4), seg("STC", k_s, 0, k_stc, 12), seg("REF", k_s, 2, k_ref, 4),
    seg("QTY", k_s, 2, k_qty, 2), seg("AMT", k_s, 2, k_amt, 3)};
constexpr Loop k_277_2200b{"2200B", k_277_trace_rows};
constexpr Loop k_277_2200c{"2200C", k_277_trace_rows};
constexpr SegmentRule k_277_2100c_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12, 1, "1P")};
constexpr Loop k_277_2100c{"2100C", k_277_2100c_rows};
constexpr SegmentRule k_277_2000c_rows[] = {seg("HL", k_r, 1, k_hl_19, 4, 3, "19"),
                                            open(k_277_2100c, k_r, 1), open(k_277_2200c, k_s, 1),
                                            open(k_277_2000d, k_s, k_many)};
constexpr Loop k_277_2000c{"2000C", k_277_2000c_rows};
constexpr SegmentRule k_277_2100b_rows[] = {seg("NM1", k_r, 1, k_nm1_receiver, 12, 1, "41")};
constexpr Loop k_277_2100b{"2100B", k_277_2100b_rows};
constexpr SegmentRule k_277_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21, 4, 3, "21"),
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
