// 005010X279A1: 270 eligibility inquiry and 271 response. The rows cover the loops, segments,
// usage and repeats of the guide's segment tables and the codes of the key elements (entity
// and ID qualifiers, date formats, HL levels, EB01); long external code lists (EQ01/EB03
// service types, AAA03 reasons) are checked for shape, not membership.
#include "x12/guide.hpp"

namespace x12 {
namespace {

using namespace rules;
constexpr Usage k_r = Usage::required;
constexpr Usage k_s = Usage::situational;

// Header and trailer.
constexpr ElementRule k_st_270[] = {R(1, Type::id, 3, 3, "270"), R(2, Type::an, 4, 9),
                                    R(3, Type::an, 1, 35, "005010X279A1")};
constexpr ElementRule k_st_271[] = {R(1, Type::id, 3, 3, "271"), R(2, Type::an, 4, 9),
                                    R(3, Type::an, 1, 35, "005010X279A1")};
constexpr ElementRule k_bht_270[] = {R(1, Type::id, 4, 4, "0022"), R(2, Type::id, 2, 2, "01 13"),
                                     R(3, Type::an, 1, 50),        R(4, Type::dt, 8, 8),
                                     R(5, Type::tm, 4, 8),         N(6)};
constexpr ElementRule k_bht_271[] = {R(1, Type::id, 4, 4, "0022"), R(2, Type::id, 2, 2, "06 11"),
                                     S(3, Type::an, 1, 50),        R(4, Type::dt, 8, 8),
                                     R(5, Type::tm, 4, 8),         N(6)};
constexpr ElementRule k_se[] = {R(1, Type::n0, 1, 10), R(2, Type::an, 4, 9)};

// HL by level: 2000A has no parent.
constexpr ElementRule k_hl_20[] = {R(1, Type::an, 1, 12), N(2), R(3, Type::id, 1, 2, "20"),
                                   R(4, Type::id, 1, 1, "1")};
constexpr ElementRule k_hl_21[] = {R(1, Type::an, 1, 12), R(2, Type::an, 1, 12),
                                   R(3, Type::id, 1, 2, "21"), R(4, Type::id, 1, 1, "1")};
constexpr ElementRule k_hl_22[] = {R(1, Type::an, 1, 12), R(2, Type::an, 1, 12),
                                   R(3, Type::id, 1, 2, "22"), R(4, Type::id, 1, 1, "0 1")};
constexpr ElementRule k_hl_23[] = {R(1, Type::an, 1, 12), R(2, Type::an, 1, 12),
                                   R(3, Type::id, 1, 2, "23"), R(4, Type::id, 1, 1, "0")};

// NM1: in 5010 NM103 is 1-60, NM104 1-35, NM105 1-25, NM107 1-10, NM109 2-80.
constexpr ElementRule k_nm1_source[] = {R(1, Type::id, 2, 3, "2B 36 GP P5 PR"),
                                        R(2, Type::id, 1, 1, "1 2"),
                                        R(3, Type::an, 1, 60),
                                        S(4, Type::an, 1, 35),
                                        S(5, Type::an, 1, 25),
                                        N(6),
                                        S(7, Type::an, 1, 10),
                                        R(8, Type::id, 1, 2, "24 46 FI II NI PI XV XX"),
                                        R(9, Type::an, 2, 80),
                                        N(10),
                                        N(11),
                                        N(12)};
constexpr ElementRule k_nm1_receiver[] = {R(1, Type::id, 2, 3, "1P 2B 36 80 FA GP P5 PR"),
                                          R(2, Type::id, 1, 1, "1 2"),
                                          R(3, Type::an, 1, 60),
                                          S(4, Type::an, 1, 35),
                                          S(5, Type::an, 1, 25),
                                          N(6),
                                          S(7, Type::an, 1, 10),
                                          S(8, Type::id, 1, 2, "24 34 46 FI PI PP SV XV XX"),
                                          S(9, Type::an, 2, 80),
                                          N(10),
                                          N(11),
                                          N(12)};
constexpr ElementRule k_nm1_subscriber[] = {R(1, Type::id, 2, 3, "IL"),
                                            R(2, Type::id, 1, 1, "1 2"),
                                            S(3, Type::an, 1, 60),
                                            S(4, Type::an, 1, 35),
                                            S(5, Type::an, 1, 25),
                                            N(6),
                                            S(7, Type::an, 1, 10),
                                            S(8, Type::id, 1, 2, "II MI ZZ"),
                                            S(9, Type::an, 2, 80),
                                            N(10),
                                            N(11),
                                            N(12)};
constexpr ElementRule k_nm1_dependent[] = {R(1, Type::id, 2, 3, "03"),
                                           R(2, Type::id, 1, 1, "1"),
                                           S(3, Type::an, 1, 60),
                                           S(4, Type::an, 1, 35),
                                           S(5, Type::an, 1, 25),
                                           N(6),
                                           S(7, Type::an, 1, 10),
                                           N(8),
                                           N(9),
                                           N(10),
                                           N(11),
                                           N(12)};
constexpr ElementRule k_nm1_benefit[] = {R(1, Type::id, 2, 3),
                                         R(2, Type::id, 1, 1, "1 2"),
                                         S(3, Type::an, 1, 60),
                                         S(4, Type::an, 1, 35),
                                         S(5, Type::an, 1, 25),
                                         N(6),
                                         S(7, Type::an, 1, 10),
                                         S(8, Type::id, 1, 2),
                                         S(9, Type::an, 2, 80),
                                         S(10, Type::id, 2, 2),
                                         N(11),
                                         N(12)};

constexpr ElementRule k_trn_270[] = {R(1, Type::id, 1, 2, "1"), R(2, Type::an, 1, 50),
                                     R(3, Type::an, 10, 10), S(4, Type::an, 1, 50)};
constexpr ElementRule k_trn_271[] = {R(1, Type::id, 1, 2, "1 2"), R(2, Type::an, 1, 50),
                                     R(3, Type::an, 10, 10), S(4, Type::an, 1, 50)};
constexpr ElementRule k_ref[] = {R(1, Type::id, 2, 3), R(2, Type::an, 1, 50), S(3, Type::an, 1, 80),
                                 N(4)};
constexpr ElementRule k_n3[] = {R(1, Type::an, 1, 55), S(2, Type::an, 1, 55)};
constexpr ElementRule k_n4[] = {R(1, Type::an, 2, 30),
                                S(2, Type::id, 2, 2),
                                S(3, Type::id, 3, 15),
                                S(4, Type::id, 2, 3),
                                N(5),
                                N(6),
                                S(7, Type::id, 1, 3)};
constexpr ElementRule k_prv[] = {R(1, Type::id, 1, 3), R(2, Type::id, 2, 3, "PXC"),
                                 R(3, Type::an, 1, 50)};
constexpr ElementRule k_dmg[] = {R(1, Type::id, 2, 3, "D8"), R(2, Type::dated, 1, 35),
                                 S(3, Type::id, 1, 1, "F M U")};
constexpr ElementRule k_ins[] = {R(1, Type::id, 1, 1, "Y N"), R(2, Type::id, 2, 2)};
constexpr ElementRule k_hi[] = {R(1, Type::composite, 1, 30, "ABK BK"),
                                S(2, Type::composite, 1, 30, "ABF BF")};
constexpr ElementRule k_dtp_270[] = {R(1, Type::id, 3, 3, "291"), R(2, Type::id, 2, 3, "D8 RD8"),
                                     R(3, Type::dated, 1, 35)};
constexpr ElementRule k_dtp_271[] = {
    R(1, Type::id, 3, 3,
      "096 102 152 193 194 198 290 291 292 295 304 307 318 340 341 342 343 346 347 348 349 356 "
      "357 382 435 442 458 472 539 540 636 771"),
    R(2, Type::id, 2, 3, "D8 RD8"), R(3, Type::dated, 1, 35)};
constexpr ElementRule k_eq[] = {SR(1, Type::id, 1, 2),
                                S(2, Type::composite, 1, 48, "AD CJ HC ID IV N4 ZZ"), N(3),
                                S(4, Type::composite, 1, 15)};
constexpr ElementRule k_iii[] = {S(1, Type::id, 1, 3, "ZZ BF BK"), S(2, Type::an, 1, 30)};
constexpr ElementRule k_aaa[] = {R(1, Type::id, 1, 1, "N Y"), N(2), R(3, Type::id, 2, 2),
                                 R(4, Type::id, 1, 1, "C N P R S W X Y")};
constexpr ElementRule k_per[] = {R(1, Type::id, 2, 2, "IC"), S(2, Type::an, 1, 60),
                                 S(3, Type::id, 2, 2, "ED EM FX TE UR WP"), S(4, Type::an, 1, 256)};
constexpr ElementRule k_eb[] = {
    R(1, Type::id, 1, 2, "1 2 3 4 5 6 7 8 A B C D E F G H I J K L M N O P Q R S T U V W X Y CB MC"),
    S(2, Type::id, 3, 3, "CHD DEP ECH EMP ESP FAM IND SPC SPO TWO"),
    SR(3, Type::id, 1, 2),
    S(4, Type::id, 1, 3),
    S(5, Type::an, 1, 50),
    S(6, Type::id, 1, 2),
    S(7, Type::r, 1, 18),
    S(8, Type::r, 1, 10),
    S(9, Type::id, 2, 2),
    S(10, Type::r, 1, 15),
    S(11, Type::id, 1, 1, "N U Y"),
    S(12, Type::id, 1, 1, "N U W Y"),
    S(13, Type::composite, 1, 48, "AD CJ HC ID IV N4 ZZ"),
    S(14, Type::composite, 1, 15)};
constexpr ElementRule k_hsd[] = {S(1, Type::id, 1, 2), S(2, Type::r, 1, 15), S(3, Type::id, 2, 2),
                                 S(4, Type::r, 1, 6),  S(5, Type::id, 1, 2), S(6, Type::n0, 1, 3),
                                 S(7, Type::id, 1, 2), S(8, Type::id, 1, 2)};
constexpr ElementRule k_msg[] = {R(1, Type::an, 1, 264)};
constexpr ElementRule k_ls_le[] = {R(1, Type::an, 1, 4, "2120")};
constexpr ElementRule k_mpi[] = {R(1, Type::id, 1, 1), R(2, Type::id, 2, 2), R(3, Type::id, 1, 1)};

// 270 -------------------------------------------------------------------------------------
constexpr SegmentRule k_270_2110c_rows[] = {
    seg("EQ", k_s, 1, k_eq, 5), seg("III", k_s, 1, k_iii, 11),
    seg("REF", k_s, 1, k_ref, 4, 1, "9F G1"), seg("DTP", k_s, 1, k_dtp_270, 3, 1, "291")};
constexpr Loop k_270_2110c{"2110C", k_270_2110c_rows};
constexpr Loop k_270_2110d{"2110D", k_270_2110c_rows};

constexpr SegmentRule k_270_2100c_rows[] = {seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL"),
                                            seg("REF", k_s, 9, k_ref, 4),
                                            seg("N3", k_s, 1, k_n3, 2),
                                            seg("N4", k_s, 1, k_n4, 7),
                                            seg("PRV", k_s, 1, k_prv, 6),
                                            seg("DMG", k_s, 1, k_dmg, 11),
                                            seg("INS", k_s, 1, k_ins, 17),
                                            seg("HI", k_s, 1, k_hi, 12),
                                            seg("DTP", k_s, 2, k_dtp_270, 3),
                                            open(k_270_2110c, k_s, 99)};
constexpr Loop k_270_2100c{"2100C", k_270_2100c_rows};
constexpr SegmentRule k_270_2100d_rows[] = {seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "03"),
                                            seg("REF", k_s, 9, k_ref, 4),
                                            seg("N3", k_s, 1, k_n3, 2),
                                            seg("N4", k_s, 1, k_n4, 7),
                                            seg("PRV", k_s, 1, k_prv, 6),
                                            seg("DMG", k_s, 1, k_dmg, 11),
                                            seg("INS", k_s, 1, k_ins, 17),
                                            seg("HI", k_s, 1, k_hi, 12),
                                            seg("DTP", k_s, 2, k_dtp_270, 3),
                                            open(k_270_2110d, k_s, 99)};
constexpr Loop k_270_2100d{"2100D", k_270_2100d_rows};
constexpr SegmentRule k_270_2000d_rows[] = {seg("HL", k_r, 1, k_hl_23, 4, 3, "23"),
                                            seg("TRN", k_s, 2, k_trn_270, 4),
                                            open(k_270_2100d, k_r, 1)};
constexpr Loop k_270_2000d{"2000D", k_270_2000d_rows};
constexpr SegmentRule k_270_2000c_rows[] = {
    seg("HL", k_r, 1, k_hl_22, 4, 3, "22"), seg("TRN", k_s, 2, k_trn_270, 4),
    open(k_270_2100c, k_r, 1), open(k_270_2000d, k_s, k_many)};
constexpr Loop k_270_2000c{"2000C", k_270_2000c_rows};
constexpr SegmentRule k_270_2100b_rows[] = {
    seg("NM1", k_r, 1, k_nm1_receiver, 12, 1, "1P 2B 36 80 FA GP P5 PR"),
    seg("REF", k_s, 9, k_ref, 4), seg("N3", k_s, 1, k_n3, 2), seg("N4", k_s, 1, k_n4, 7),
    seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_270_2100b{"2100B", k_270_2100b_rows};
constexpr SegmentRule k_270_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21, 4, 3, "21"),
                                            open(k_270_2100b, k_r, 1),
                                            open(k_270_2000c, k_r, k_many)};
constexpr Loop k_270_2000b{"2000B", k_270_2000b_rows};
constexpr SegmentRule k_270_2100a_rows[] = {
    seg("NM1", k_r, 1, k_nm1_source, 12, 1, "2B 36 GP P5 PR")};
constexpr Loop k_270_2100a{"2100A", k_270_2100a_rows};
constexpr SegmentRule k_270_2000a_rows[] = {seg("HL", k_r, 1, k_hl_20, 4, 3, "20"),
                                            open(k_270_2100a, k_r, 1),
                                            open(k_270_2000b, k_r, k_many)};
constexpr Loop k_270_2000a{"2000A", k_270_2000a_rows};
constexpr SegmentRule k_270_rows[] = {seg("ST", k_r, 1, k_st_270, 3),
                                      seg("BHT", k_r, 1, k_bht_270, 6),
                                      open(k_270_2000a, k_r, k_many), seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_270{"ST", k_270_rows};

// 271 -------------------------------------------------------------------------------------
constexpr SegmentRule k_271_2120_rows[] = {
    seg("NM1", k_r, 1, k_nm1_benefit, 12), seg("N3", k_s, 1, k_n3, 2), seg("N4", k_s, 1, k_n4, 7),
    seg("PER", k_s, 3, k_per, 9), seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_271_2120c{"2120C", k_271_2120_rows};
constexpr Loop k_271_2120d{"2120D", k_271_2120_rows};
constexpr SegmentRule k_271_2115_rows[] = {seg("III", k_r, 1, k_iii, 11)};
constexpr Loop k_271_2115c{"2115C", k_271_2115_rows};
constexpr Loop k_271_2115d{"2115D", k_271_2115_rows};
constexpr SegmentRule k_271_2110c_rows[] = {
    seg("EB", k_r, 1, k_eb, 14),       seg("HSD", k_s, 9, k_hsd, 8),  seg("REF", k_s, 9, k_ref, 4),
    seg("DTP", k_s, 20, k_dtp_271, 3), seg("AAA", k_s, 9, k_aaa, 4),  seg("MSG", k_s, 10, k_msg, 3),
    open(k_271_2115c, k_s, 10),        seg("LS", k_s, 1, k_ls_le, 1), open(k_271_2120c, k_s, 23),
    seg("LE", k_s, 1, k_ls_le, 1)};
constexpr Loop k_271_2110c{"2110C", k_271_2110c_rows};
constexpr SegmentRule k_271_2110d_rows[] = {
    seg("EB", k_r, 1, k_eb, 14),       seg("HSD", k_s, 9, k_hsd, 8),  seg("REF", k_s, 9, k_ref, 4),
    seg("DTP", k_s, 20, k_dtp_271, 3), seg("AAA", k_s, 9, k_aaa, 4),  seg("MSG", k_s, 10, k_msg, 3),
    open(k_271_2115d, k_s, 10),        seg("LS", k_s, 1, k_ls_le, 1), open(k_271_2120d, k_s, 23),
    seg("LE", k_s, 1, k_ls_le, 1)};
constexpr Loop k_271_2110d{"2110D", k_271_2110d_rows};

constexpr SegmentRule k_271_2100c_rows[] = {seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL"),
                                            seg("REF", k_s, 9, k_ref, 4),
                                            seg("N3", k_s, 1, k_n3, 2),
                                            seg("N4", k_s, 1, k_n4, 7),
                                            seg("AAA", k_s, 9, k_aaa, 4),
                                            seg("PRV", k_s, 1, k_prv, 6),
                                            seg("DMG", k_s, 1, k_dmg, 11),
                                            seg("INS", k_s, 1, k_ins, 17),
                                            seg("HI", k_s, 1, k_hi, 12),
                                            seg("DTP", k_s, 9, k_dtp_271, 3),
                                            seg("MPI", k_s, 1, k_mpi, 7),
                                            open(k_271_2110c, k_s, k_many)};
constexpr Loop k_271_2100c{"2100C", k_271_2100c_rows};
constexpr SegmentRule k_271_2100d_rows[] = {seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "03"),
                                            seg("REF", k_s, 9, k_ref, 4),
                                            seg("N3", k_s, 1, k_n3, 2),
                                            seg("N4", k_s, 1, k_n4, 7),
                                            seg("AAA", k_s, 9, k_aaa, 4),
                                            seg("PRV", k_s, 1, k_prv, 6),
                                            seg("DMG", k_s, 1, k_dmg, 11),
                                            seg("INS", k_s, 1, k_ins, 17),
                                            seg("HI", k_s, 1, k_hi, 12),
                                            seg("DTP", k_s, 9, k_dtp_271, 3),
                                            seg("MPI", k_s, 1, k_mpi, 7),
                                            open(k_271_2110d, k_s, k_many)};
constexpr Loop k_271_2100d{"2100D", k_271_2100d_rows};
constexpr SegmentRule k_271_2000d_rows[] = {seg("HL", k_r, 1, k_hl_23, 4, 3, "23"),
                                            seg("TRN", k_s, 3, k_trn_271, 4),
                                            open(k_271_2100d, k_r, 1)};
constexpr Loop k_271_2000d{"2000D", k_271_2000d_rows};
constexpr SegmentRule k_271_2000c_rows[] = {
    seg("HL", k_r, 1, k_hl_22, 4, 3, "22"), seg("TRN", k_s, 3, k_trn_271, 4),
    open(k_271_2100c, k_r, 1), open(k_271_2000d, k_s, k_many)};
constexpr Loop k_271_2000c{"2000C", k_271_2000c_rows};
constexpr SegmentRule k_271_2100b_rows[] = {
    seg("NM1", k_r, 1, k_nm1_receiver, 12, 1, "1P 2B 36 80 FA GP P5 PR"),
    seg("REF", k_s, 9, k_ref, 4),
    seg("N3", k_s, 1, k_n3, 2),
    seg("N4", k_s, 1, k_n4, 7),
    seg("AAA", k_s, 9, k_aaa, 4),
    seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_271_2100b{"2100B", k_271_2100b_rows};
constexpr SegmentRule k_271_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21, 4, 3, "21"),
                                            open(k_271_2100b, k_r, 1),
                                            open(k_271_2000c, k_s, k_many)};
constexpr Loop k_271_2000b{"2000B", k_271_2000b_rows};
constexpr SegmentRule k_271_2100a_rows[] = {
    seg("NM1", k_r, 1, k_nm1_source, 12, 1, "2B 36 GP P5 PR"), seg("PER", k_s, 3, k_per, 9),
    seg("AAA", k_s, 9, k_aaa, 4)};
constexpr Loop k_271_2100a{"2100A", k_271_2100a_rows};
constexpr SegmentRule k_271_2000a_rows[] = {seg("HL", k_r, 1, k_hl_20, 4, 3, "20"),
                                            seg("AAA", k_s, 9, k_aaa, 4), open(k_271_2100a, k_r, 1),
                                            open(k_271_2000b, k_s, k_many)};
constexpr Loop k_271_2000a{"2000A", k_271_2000a_rows};
constexpr SegmentRule k_271_rows[] = {seg("ST", k_r, 1, k_st_271, 3),
                                      seg("BHT", k_r, 1, k_bht_271, 6),
                                      open(k_271_2000a, k_r, k_many), seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_271{"ST", k_271_rows};

constexpr HlLevel k_levels[] = {{"20", ""}, {"21", "20"}, {"22", "21"}, {"23", "22"}};

}  // namespace

const Guide k_guide_270{"270", "005010X279A1", "HS", &k_270, k_levels};
const Guide k_guide_271{"271", "005010X279A1", "HB", &k_271, k_levels};

}  // namespace x12
