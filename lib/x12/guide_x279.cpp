// 005010X279A1: 270 eligibility inquiry and 271 response. The rows cover the loops, segments,
// usage and repeats of the guide's segment tables and the codes of the key elements (entity
// and ID qualifiers, date formats, HL levels, EB01); long external code lists (EQ01/EB03
// service types, AAA03 reasons) are checked for shape, not membership.
#include "x12/guide_segments.hpp"

namespace x12 {
namespace {

using namespace rules;

// ST, BHT (SE is rules::k_se): header and trailer.
constexpr auto k_st_270 = st("270", "005010X279A1");
constexpr auto k_st_271 = st("271", "005010X279A1");
constexpr auto k_bht_270 = bht({.structure = "0022", .purposes = "01 13"});
constexpr auto k_bht_271 = bht({.structure = "0022", .purposes = "06 11", .reference = k_s});

// HL of 2000A information source (the root), 2000B receiver, 2000C subscriber, 2000D dependent.
constexpr auto k_hl_20 = hl("20", k_n, "1");
constexpr auto k_hl_21 = hl("21", k_r, "1");
constexpr auto k_hl_22 = hl("22", k_r, "0 1");
constexpr auto k_hl_23 = hl("23", k_r, "0");
// A 271 may answer at the source or receiver level alone (an AAA there), without children.
constexpr auto k_hl_20_271 = hl("20", k_n, "0 1");
constexpr auto k_hl_21_271 = hl("21", k_r, "0 1");

// NM1 of 2100A (information source), 2100B (receiver), 2100C (subscriber), 2100D (dependent)
// and 2120C/D (benefit related entity).
constexpr auto k_nm1_source =
    nm1({.entity = "2B 36 GP P5 PR", .id = k_r, .id_qualifiers = "24 46 FI II NI PI XV XX"});
constexpr auto k_nm1_receiver =
    nm1({.entity = "1P 2B 36 80 FA GP P5 PR", .id_qualifiers = "24 34 46 FI PI PP SV XV XX"});
constexpr auto k_nm1_subscriber = nm1({.entity = "IL", .name = k_s, .id_qualifiers = "II MI ZZ"});
constexpr auto k_nm1_dependent = nm1({.entity = "03", .entity_types = "1", .name = k_s, .id = k_n});
constexpr auto k_nm1_benefit = nm1({.name = k_s, .relationship = true});

// TRN of 2000C/2000D: the 270's trace (1), the 271's own and the echoed one (1 2).
constexpr auto k_trn_270 = trn("1", /*originator=*/true);
constexpr auto k_trn_271 = trn("1 2", /*originator=*/true);
// REF of 2100B-D and 2110C/D: any qualifier (a loop's row may name some).
constexpr auto k_ref = ref({}, /*description=*/true);
// N3, N4: address of 2100B-D and 2120C/D.
constexpr ElementRule k_n3[] = {R(1, Type::an, 1, 55), S(2, Type::an, 1, 55)};
constexpr ElementRule k_n4[] = {R(1, Type::an, 2, 30),
                                S(2, Type::id, 2, 2),
                                S(3, Type::id, 3, 15),
                                S(4, Type::id, 2, 3),
                                N(5),
                                N(6),
                                S(7, Type::id, 1, 3)};
// PRV of 2100B-D and 2120C/D: provider information.
constexpr ElementRule k_prv[] = {R(1, Type::id, 1, 3), R(2, Type::id, 2, 3, "PXC"),
                                 R(3, Type::an, 1, 50)};
// DMG (rules::k_dmg), INS and HI of 2100C/D.
constexpr ElementRule k_ins[] = {R(1, Type::id, 1, 1, "Y N"), R(2, Type::id, 2, 2)};
constexpr ElementRule k_hi[] = {R(1, Type::composite, 1, 30, "ABK BK"),
                                S(2, Type::composite, 1, 30, "ABF BF")};
// DTP of 2100C/D and 2110C/D: the 270 asks for a plan date (291), the 271 answers with any of
// its dates.
constexpr auto k_dtp_270 = dtp("291");
constexpr auto k_dtp_271 =
    dtp("096 102 152 193 194 198 290 291 292 295 304 307 318 340 341 342 343 346 347 348 349 356 "
        "357 382 435 442 458 472 539 540 636 771");
// EQ and III of 2110C/D: the inquiry.
constexpr ElementRule k_eq[] = {SR(1, Type::id, 1, 2),
                                S(2, Type::composite, 1, 48, "AD CJ HC ID IV N4 ZZ"), N(3),
                                S(4, Type::composite, 1, 15)};
constexpr ElementRule k_iii[] = {S(1, Type::id, 1, 3, "ZZ BF BK"), S(2, Type::an, 1, 30)};
// AAA of 2000A, 2100A-D and 2110C/D: request validation.
constexpr ElementRule k_aaa[] = {R(1, Type::id, 1, 1, "N Y"), N(2), R(3, Type::id, 2, 2),
                                 R(4, Type::id, 1, 1, "C N P R S W X Y")};
// PER of 2100A and 2120C/D: contact.
constexpr auto k_per = per("ED EM FX TE UR WP");
// EB, HSD, MSG, LS/LE of 2110C/D: the benefit, its delivery, a message and the 2120 wrapper.
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
// MPI of 2100C/D: military personnel information.
constexpr ElementRule k_mpi[] = {R(1, Type::id, 1, 1), R(2, Type::id, 2, 2), R(3, Type::id, 1, 1)};

// 270 -------------------------------------------------------------------------------------
constexpr SegmentRule k_270_2110c_rows[] = {
    seg("EQ", k_s, 1, k_eq, 5), seg("III", k_s, 1, k_iii, 11),
    seg("REF", k_s, 1, k_ref, 4, 1, "9F G1"), seg("DTP", k_s, 1, k_dtp_270, 3, 1, "291")};
constexpr Loop k_270_2110c{"2110C", k_270_2110c_rows};
constexpr Loop k_270_2110d{"2110D", k_270_2110c_rows};

// 2100C subscriber name and 2100D dependent name: the same rows after their NM1.
constexpr std::array<SegmentRule, 10> k_270_name_rows(SegmentRule nm1, const Loop& eligibility) {
  return {nm1,
          seg("REF", k_s, 9, k_ref, 4),
          seg("N3", k_s, 1, k_n3, 2),
          seg("N4", k_s, 1, k_n4, 7),
          seg("PRV", k_s, 1, k_prv, 6),
          seg("DMG", k_s, 1, k_dmg, 11),
          seg("INS", k_s, 1, k_ins, 17),
          seg("HI", k_s, 1, k_hi, 12),
          seg("DTP", k_s, 2, k_dtp_270, 3),
          open(eligibility, k_s, 99)};
}
constexpr auto k_270_2100c_rows =
    k_270_name_rows(seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL"), k_270_2110c);
constexpr Loop k_270_2100c{"2100C", k_270_2100c_rows};
constexpr auto k_270_2100d_rows =
    k_270_name_rows(seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "03"), k_270_2110d);
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
// 2110C subscriber and 2110D dependent eligibility or benefit information: the same rows, each
// with its own 2115 and 2120 loops.
constexpr std::array<SegmentRule, 10> k_271_benefit_rows(const Loop& additional,
                                                         const Loop& related_entity) {
  return {seg("EB", k_r, 1, k_eb, 14),   seg("HSD", k_s, 9, k_hsd, 8),
          seg("REF", k_s, 9, k_ref, 4),  seg("DTP", k_s, 20, k_dtp_271, 3),
          seg("AAA", k_s, 9, k_aaa, 4),  seg("MSG", k_s, 10, k_msg, 3),
          open(additional, k_s, 10),     seg("LS", k_s, 1, k_ls_le, 1),
          open(related_entity, k_s, 23), seg("LE", k_s, 1, k_ls_le, 1)};
}
constexpr auto k_271_2110c_rows = k_271_benefit_rows(k_271_2115c, k_271_2120c);
constexpr Loop k_271_2110c{"2110C", k_271_2110c_rows};
constexpr auto k_271_2110d_rows = k_271_benefit_rows(k_271_2115d, k_271_2120d);
constexpr Loop k_271_2110d{"2110D", k_271_2110d_rows};

// 2100C subscriber name and 2100D dependent name: the same rows after their NM1.
constexpr std::array<SegmentRule, 12> k_271_name_rows(SegmentRule nm1, const Loop& benefits) {
  return {nm1,
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
          open(benefits, k_s, k_many)};
}
constexpr auto k_271_2100c_rows =
    k_271_name_rows(seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL"), k_271_2110c);
constexpr Loop k_271_2100c{"2100C", k_271_2100c_rows};
constexpr auto k_271_2100d_rows =
    k_271_name_rows(seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "03"), k_271_2110d);
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
constexpr SegmentRule k_271_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21_271, 4, 3, "21"),
                                            open(k_271_2100b, k_r, 1),
                                            open(k_271_2000c, k_s, k_many)};
constexpr Loop k_271_2000b{"2000B", k_271_2000b_rows};
constexpr SegmentRule k_271_2100a_rows[] = {
    seg("NM1", k_r, 1, k_nm1_source, 12, 1, "2B 36 GP P5 PR"), seg("PER", k_s, 3, k_per, 9),
    seg("AAA", k_s, 9, k_aaa, 4)};
constexpr Loop k_271_2100a{"2100A", k_271_2100a_rows};
constexpr SegmentRule k_271_2000a_rows[] = {seg("HL", k_r, 1, k_hl_20_271, 4, 3, "20"),
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
