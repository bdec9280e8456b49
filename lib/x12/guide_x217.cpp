// 005010X217: 278 health care services review, the request for review and its response. Same
// scope as guide_x279.cpp: loops, order, usage, repeats, the qualifiers, date formats and the
// key code lists (UM01/UM02, HCR01, PWK02); the long external lists (UM03 service types, HCR03
// and AAA03 reasons, PWK01 report types, CRC condition codes) are checked for shape only. The
// request and the response share ST01 and the version: BHT02 tells them apart (13 or 01 in a
// request, 11 in a response), so each guide names the BHT02 codes it serves.
#include "x12/guide_segments.hpp"

namespace x12 {
namespace {

using namespace rules;

// ST, BHT (SE is rules::k_se): header and trailer. BHT02 01 cancels a request, 13 is a
// request, 11 a response; BHT06 of a response says whether updates follow (18: none).
constexpr auto k_st = st("278", "005010X217");
constexpr auto k_bht_request = bht({.structure = "0007", .purposes = "01 13"});
constexpr std::array<ElementRule, 6> k_bht_response = {
    R(1, Type::id, 4, 4, "0007"), R(2, Type::id, 2, 2, "11"), R(3, Type::an, 1, 50),
    R(4, Type::dt, 8, 8),         R(5, Type::tm, 4, 8),       S(6, Type::id, 2, 2, "18")};

// HL of 2000A UMO (the root), 2000B requester, 2000C subscriber, 2000D dependent, 2000E patient
// event and 2000F service. A response may end at any level (an AAA there answers the request).
constexpr auto k_hl_20 = hl("20", k_n, "1");
constexpr auto k_hl_21 = hl("21", k_r, "1");
constexpr auto k_hl_22 = hl("22", k_r, "1");
constexpr auto k_hl_23 = hl("23", k_r, "1");
constexpr auto k_hl_ev = hl("EV", k_r, "0 1");
constexpr auto k_hl_ss = hl("SS", k_r, "0");
constexpr auto k_hl_20_response = hl("20", k_n, "0 1");
constexpr auto k_hl_21_response = hl("21", k_r, "0 1");
constexpr auto k_hl_22_response = hl("22", k_r, "0 1");
constexpr auto k_hl_23_response = hl("23", k_r, "0 1");

// NM1 of 2010A (UMO), 2010B (requester), 2010C (subscriber), 2010D (dependent), and 2010EA and
// 2010F (the event's and the service's providers).
constexpr auto k_nm1_umo =
    nm1({.entity = "X3", .id = k_r, .id_qualifiers = "24 34 46 FI NI PI XV XX"});
constexpr auto k_nm1_requester =
    nm1({.entity = "1P FA", .id = k_r, .id_qualifiers = "24 34 46 XX"});
constexpr auto k_nm1_subscriber =
    nm1({.entity = "IL", .entity_types = "1", .id = k_r, .id_qualifiers = "MI"});
constexpr auto k_nm1_dependent = nm1({.entity = "QC", .entity_types = "1", .id = k_n});
constexpr std::string_view k_provider_entities = "1T 71 72 73 77 AAJ DD DK DN FA G3 P3 QB QV SJ";
constexpr auto k_nm1_provider =
    nm1({.entity = k_provider_entities, .name = k_s, .id_qualifiers = "24 34 46 XX"});

// TRN of 2000E/2000F: the requester's trace (1) and, in a response, its echo (2) and the UMO's
// own (1); the originator is a 10-character ID.
constexpr auto k_trn = trn("1 2", /*originator=*/true);
// REF: every qualifier the guide uses in the loops this table covers (a row may name fewer).
constexpr auto k_ref = ref("0B 1G 1J BB EA EI EJ G3 HPI NT SY ZH", /*description=*/false);
// N3, N4, PER, PRV of the name loops.
constexpr ElementRule k_n3[] = {R(1, Type::an, 1, 55), S(2, Type::an, 1, 55)};
constexpr ElementRule k_n4[] = {R(1, Type::an, 2, 30),
                                S(2, Type::id, 2, 2),
                                S(3, Type::id, 3, 15),
                                S(4, Type::id, 2, 3),
                                N(5),
                                N(6),
                                S(7, Type::id, 1, 3)};
constexpr ElementRule k_per[] = {R(1, Type::id, 2, 2, "IC"),          S(2, Type::an, 1, 60),
                                 S(3, Type::id, 2, 2, "EM FX TE"),    S(4, Type::an, 1, 256),
                                 S(5, Type::id, 2, 2, "EM EX FX TE"), S(6, Type::an, 1, 256),
                                 S(7, Type::id, 2, 2, "EM EX FX TE"), S(8, Type::an, 1, 256)};
constexpr ElementRule k_prv[] = {R(1, Type::id, 1, 3), R(2, Type::id, 2, 3, "PXC"),
                                 R(3, Type::an, 1, 50)};
constexpr ElementRule k_ins[] = {R(1, Type::id, 1, 1, "Y N"), R(2, Type::id, 2, 2)};
// AAA of a response: request validation (AAA03 is checked for shape).
constexpr ElementRule k_aaa[] = {R(1, Type::id, 1, 1, "N Y"), N(2), R(3, Type::id, 2, 2),
                                 R(4, Type::id, 1, 1, "C N P R S W X Y")};

// UM: the review's category (UM01: AR admission, HS health services, SC specialty care), its
// certification type (UM02: I initial, S revised, 3 cancel, 4 extension, 1/2 appeals), service
// type (UM03), facility (UM04 place of service : qualifier), related causes (UM05), level of
// service (UM06: E elective, U urgent, 03 emergency) and release of information (UM09).
constexpr ElementRule k_um[] = {R(1, Type::id, 1, 2, "AR HS SC"),
                                S(2, Type::id, 1, 1, "1 2 3 4 I S"),
                                S(3, Type::id, 1, 2),
                                S(4, Type::composite, 1, 30),
                                S(5, Type::composite, 1, 30, "AA AP EM OA"),
                                S(6, Type::id, 1, 2, "03 E U"),
                                N(7),
                                N(8),
                                S(9, Type::id, 1, 1, "Y N"),
                                N(10)};
// UM of a service (2000F): its category and certification type; the rest is the event's.
constexpr ElementRule k_um_service[] = {R(1, Type::id, 1, 2, "AR HS SC"),
                                        S(2, Type::id, 1, 1, "1 2 3 4 I S"),
                                        S(3, Type::id, 1, 2),
                                        S(4, Type::composite, 1, 30),
                                        N(5),
                                        S(6, Type::id, 1, 2, "03 E U"),
                                        N(7),
                                        N(8),
                                        N(9),
                                        N(10)};
// HCR of a response: the action (A1 certified in total, A2 certified partial, A3 not certified,
// A4 pended, A6 modified, C cancelled, CT contact payer, NA no action required), the UMO's
// review identification (its certification number), the reason (HCR03) and the second surgical
// opinion indicator.
constexpr ElementRule k_hcr[] = {R(1, Type::id, 1, 2, "A1 A2 A3 A4 A6 C CT NA"),
                                 S(2, Type::an, 1, 50), S(3, Type::id, 2, 2),
                                 S(4, Type::id, 1, 1, "Y N")};
// HI: up to 12 diagnoses, qualifier : code [: D8 : date]; ICD-10-CM (ABK principal, ABF other,
// ABJ admitting, ABN external cause) or the ICD-9-CM ones.
constexpr std::string_view k_hi_codes = "ABF ABJ ABK ABN BF BJ BK BN BO BP BQ BR BZ DR JP LOI";
constexpr ElementRule k_hi[] = {
    R(1, Type::composite, 1, 30, k_hi_codes),  S(2, Type::composite, 1, 30, k_hi_codes),
    S(3, Type::composite, 1, 30, k_hi_codes),  S(4, Type::composite, 1, 30, k_hi_codes),
    S(5, Type::composite, 1, 30, k_hi_codes),  S(6, Type::composite, 1, 30, k_hi_codes),
    S(7, Type::composite, 1, 30, k_hi_codes),  S(8, Type::composite, 1, 30, k_hi_codes),
    S(9, Type::composite, 1, 30, k_hi_codes),  S(10, Type::composite, 1, 30, k_hi_codes),
    S(11, Type::composite, 1, 30, k_hi_codes), S(12, Type::composite, 1, 30, k_hi_codes)};
// HSD: health care services delivery (quantity and its unit, the pattern).
constexpr ElementRule k_hsd[] = {S(1, Type::id, 1, 2, "DY FL HS MN VS"),
                                 S(2, Type::r, 1, 15),
                                 S(3, Type::id, 2, 2),
                                 S(4, Type::r, 1, 6),
                                 S(5, Type::id, 1, 2),
                                 S(6, Type::n0, 1, 3),
                                 S(7, Type::id, 1, 2),
                                 S(8, Type::id, 1, 2)};
// CRC: condition codes (shape only).
constexpr ElementRule k_crc[] = {
    R(1, Type::id, 2, 2), R(2, Type::id, 1, 1, "N Y"), R(3, Type::id, 2, 3), S(4, Type::id, 2, 3),
    S(5, Type::id, 2, 3), S(6, Type::id, 2, 3),        S(7, Type::id, 2, 3)};
// PWK: additional information to follow (PWK01 the report, PWK02 how it comes, PWK05 AC and
// PWK06 its attachment control number, which the 275 carrying it repeats; PWK07 a description).
constexpr ElementRule k_pwk[] = {R(1, Type::id, 2, 2),
                                 R(2, Type::id, 1, 2, "AA BM EL EM FT FX"),
                                 N(3),
                                 N(4),
                                 S(5, Type::id, 1, 2, "AC"),
                                 S(6, Type::an, 2, 80),
                                 S(7, Type::an, 1, 80),
                                 N(8),
                                 N(9)};
constexpr ElementRule k_msg[] = {R(1, Type::an, 1, 264)};
// DTP of 2000E (event, admission, discharge, onset, accident...; a response adds the
// certification's issue, effective and expiration dates) and 2000F (the service dates).
constexpr auto k_dtp_event = dtp("007 036 096 102 431 435 439 472 484 ABC AAH");
constexpr auto k_dtp_service = dtp("007 036 102 472 AAH");
// SV1 (professional) and SV2 (institutional) of 2000F: the procedure, its amount, the unit
// basis (UN units, MJ minutes; SV2: DA days, UN units) and the quantity.
constexpr std::string_view k_procedure_codes = "AD ER HC HP IV N4 NU WK ZZ";
constexpr ElementRule k_sv1[] = {R(1, Type::composite, 1, 48, k_procedure_codes),
                                 S(2, Type::r, 1, 18),
                                 S(3, Type::id, 2, 2, "MJ UN"),
                                 S(4, Type::r, 1, 15),
                                 N(5),
                                 N(6),
                                 N(7),
                                 N(8),
                                 N(9),
                                 N(10),
                                 S(11, Type::id, 1, 1, "N Y")};
constexpr ElementRule k_sv2[] = {S(1, Type::an, 1, 48),
                                 S(2, Type::composite, 1, 48, k_procedure_codes),
                                 S(3, Type::r, 1, 18),
                                 S(4, Type::id, 2, 2, "DA UN"),
                                 S(5, Type::r, 1, 15),
                                 S(6, Type::r, 1, 10),
                                 N(7),
                                 N(8),
                                 S(9, Type::id, 1, 1)};

// Request ------------------------------------------------------------------------------------
constexpr SegmentRule k_rq_2010f_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12),
                                           seg("REF", k_s, 7, k_ref, 4),
                                           seg("N3", k_s, 1, k_n3, 2),
                                           seg("N4", k_s, 1, k_n4, 7),
                                           seg("PER", k_s, 1, k_per, 9),
                                           seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_rq_2010f{"2010F", k_rq_2010f_rows};
constexpr SegmentRule k_rq_2000f_rows[] = {seg("HL", k_r, 1, k_hl_ss, 4, 3, "SS"),
                                           seg("TRN", k_s, 1, k_trn, 4),
                                           seg("UM", k_r, 1, k_um_service, 10),
                                           seg("REF", k_s, 1, k_ref, 4, 1, "BB"),
                                           seg("REF", k_s, 1, k_ref, 4, 1, "NT"),
                                           seg("DTP", k_s, 1, k_dtp_service, 3),
                                           seg("SV1", k_s, 1, k_sv1, 21),
                                           seg("SV2", k_s, 1, k_sv2, 10),
                                           seg("HSD", k_s, 1, k_hsd, 8),
                                           seg("CRC", k_s, 5, k_crc, 7),
                                           seg("PWK", k_s, 10, k_pwk, 9),
                                           seg("MSG", k_s, 1, k_msg, 3),
                                           open(k_rq_2010f, k_s, 10)};
constexpr Loop k_rq_2000f{"2000F", k_rq_2000f_rows};
constexpr SegmentRule k_rq_2010ea_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12),
                                            seg("REF", k_s, 7, k_ref, 4),
                                            seg("N3", k_s, 1, k_n3, 2),
                                            seg("N4", k_s, 1, k_n4, 7),
                                            seg("PER", k_s, 1, k_per, 9),
                                            seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_rq_2010ea{"2010EA", k_rq_2010ea_rows};
constexpr SegmentRule k_rq_2000e_rows[] = {seg("HL", k_r, 1, k_hl_ev, 4, 3, "EV"),
                                           seg("TRN", k_s, 2, k_trn, 4),
                                           seg("UM", k_r, 1, k_um, 10),
                                           seg("REF", k_s, 1, k_ref, 4, 1, "BB"),
                                           seg("REF", k_s, 1, k_ref, 4, 1, "NT"),
                                           seg("DTP", k_s, 9, k_dtp_event, 3),
                                           seg("HI", k_s, 1, k_hi, 12),
                                           seg("HSD", k_s, 1, k_hsd, 8),
                                           seg("CRC", k_s, 9, k_crc, 7),
                                           seg("PWK", k_s, 10, k_pwk, 9),
                                           seg("MSG", k_s, 1, k_msg, 3),
                                           open(k_rq_2010ea, k_s, 12),
                                           open(k_rq_2000f, k_s, k_many)};
constexpr Loop k_rq_2000e{"2000E", k_rq_2000e_rows};
constexpr SegmentRule k_rq_2010d_rows[] = {seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "QC"),
                                           seg("REF", k_s, 9, k_ref, 4),
                                           seg("N3", k_s, 1, k_n3, 2),
                                           seg("N4", k_s, 1, k_n4, 7),
                                           seg("DMG", k_s, 1, k_dmg, 11),
                                           seg("INS", k_s, 1, k_ins, 17)};
constexpr Loop k_rq_2010d{"2010D", k_rq_2010d_rows};
constexpr SegmentRule k_rq_2000d_rows[] = {seg("HL", k_r, 1, k_hl_23, 4, 3, "23"),
                                           open(k_rq_2010d, k_r, 1), open(k_rq_2000e, k_r, k_many)};
constexpr Loop k_rq_2000d{"2000D", k_rq_2000d_rows};
// 2010C: the subscriber's name, address, birth date and relationship.
constexpr SegmentRule k_rq_2010c_rows[] = {seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL"),
                                           seg("REF", k_s, 9, k_ref, 4),
                                           seg("N3", k_s, 1, k_n3, 2),
                                           seg("N4", k_s, 1, k_n4, 7),
                                           seg("DMG", k_s, 1, k_dmg, 11),
                                           seg("INS", k_s, 1, k_ins, 17)};
constexpr Loop k_rq_2010c{"2010C", k_rq_2010c_rows};
constexpr SegmentRule k_rq_2000c_rows[] = {seg("HL", k_r, 1, k_hl_22, 4, 3, "22"),
                                           open(k_rq_2010c, k_r, 1), open(k_rq_2000d, k_s, k_many),
                                           open(k_rq_2000e, k_s, k_many)};
constexpr Loop k_rq_2000c{"2000C", k_rq_2000c_rows};
constexpr SegmentRule k_rq_2010b_rows[] = {seg("NM1", k_r, 1, k_nm1_requester, 12, 1, "1P FA"),
                                           seg("REF", k_s, 9, k_ref, 4),
                                           seg("N3", k_s, 1, k_n3, 2),
                                           seg("N4", k_s, 1, k_n4, 7),
                                           seg("PER", k_s, 1, k_per, 9),
                                           seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_rq_2010b{"2010B", k_rq_2010b_rows};
constexpr SegmentRule k_rq_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21, 4, 3, "21"),
                                           open(k_rq_2010b, k_r, 1), open(k_rq_2000c, k_r, k_many)};
constexpr Loop k_rq_2000b{"2000B", k_rq_2000b_rows};
constexpr SegmentRule k_rq_2010a_rows[] = {seg("NM1", k_r, 1, k_nm1_umo, 12, 1, "X3")};
constexpr Loop k_rq_2010a{"2010A", k_rq_2010a_rows};
constexpr SegmentRule k_rq_2000a_rows[] = {seg("HL", k_r, 1, k_hl_20, 4, 3, "20"),
                                           open(k_rq_2010a, k_r, 1), open(k_rq_2000b, k_r, k_many)};
constexpr Loop k_rq_2000a{"2000A", k_rq_2000a_rows};
constexpr SegmentRule k_rq_rows[] = {seg("ST", k_r, 1, k_st, 3),
                                     seg("BHT", k_r, 1, k_bht_request, 6), open(k_rq_2000a, k_r, 1),
                                     seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_request{"ST", k_rq_rows};

// Response -----------------------------------------------------------------------------------
constexpr SegmentRule k_rs_2010f_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12),
                                           seg("REF", k_s, 7, k_ref, 4),
                                           seg("N3", k_s, 1, k_n3, 2),
                                           seg("N4", k_s, 1, k_n4, 7),
                                           seg("PER", k_s, 1, k_per, 9),
                                           seg("AAA", k_s, 9, k_aaa, 4),
                                           seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_rs_2010f{"2010F", k_rs_2010f_rows};
constexpr SegmentRule k_rs_2000f_rows[] = {
    seg("HL", k_r, 1, k_hl_ss, 4, 3, "SS"), seg("TRN", k_s, 3, k_trn, 4),
    seg("AAA", k_s, 9, k_aaa, 4),           seg("UM", k_r, 1, k_um_service, 10),
    seg("HCR", k_s, 1, k_hcr, 4),           seg("REF", k_s, 1, k_ref, 4, 1, "BB"),
    seg("REF", k_s, 1, k_ref, 4, 1, "NT"),  seg("DTP", k_s, 4, k_dtp_service, 3),
    seg("SV1", k_s, 1, k_sv1, 21),          seg("SV2", k_s, 1, k_sv2, 10),
    seg("HSD", k_s, 1, k_hsd, 8),           seg("CRC", k_s, 5, k_crc, 7),
    seg("MSG", k_s, 1, k_msg, 3),           open(k_rs_2010f, k_s, 10)};
constexpr Loop k_rs_2000f{"2000F", k_rs_2000f_rows};
constexpr SegmentRule k_rs_2010ea_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12),
                                            seg("REF", k_s, 7, k_ref, 4),
                                            seg("N3", k_s, 1, k_n3, 2),
                                            seg("N4", k_s, 1, k_n4, 7),
                                            seg("PER", k_s, 1, k_per, 9),
                                            seg("AAA", k_s, 9, k_aaa, 4),
                                            seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_rs_2010ea{"2010EA", k_rs_2010ea_rows};
constexpr SegmentRule k_rs_2000e_rows[] = {seg("HL", k_r, 1, k_hl_ev, 4, 3, "EV"),
                                           seg("TRN", k_s, 3, k_trn, 4),
                                           seg("AAA", k_s, 9, k_aaa, 4),
                                           seg("UM", k_r, 1, k_um, 10),
                                           seg("HCR", k_s, 1, k_hcr, 4),
                                           seg("REF", k_s, 1, k_ref, 4, 1, "BB"),
                                           seg("REF", k_s, 1, k_ref, 4, 1, "NT"),
                                           seg("DTP", k_s, 9, k_dtp_event, 3),
                                           seg("HI", k_s, 1, k_hi, 12),
                                           seg("HSD", k_s, 1, k_hsd, 8),
                                           seg("CRC", k_s, 9, k_crc, 7),
                                           seg("MSG", k_s, 1, k_msg, 3),
                                           open(k_rs_2010ea, k_s, 12),
                                           open(k_rs_2000f, k_s, k_many)};
constexpr Loop k_rs_2000e{"2000E", k_rs_2000e_rows};
constexpr SegmentRule k_rs_2010d_rows[] = {
    seg("NM1", k_r, 1, k_nm1_dependent, 12, 1, "QC"), seg("REF", k_s, 3, k_ref, 4),
    seg("AAA", k_s, 9, k_aaa, 4), seg("DMG", k_s, 1, k_dmg, 11), seg("INS", k_s, 1, k_ins, 17)};
constexpr Loop k_rs_2010d{"2010D", k_rs_2010d_rows};
constexpr SegmentRule k_rs_2000d_rows[] = {seg("HL", k_r, 1, k_hl_23_response, 4, 3, "23"),
                                           open(k_rs_2010d, k_r, 1), open(k_rs_2000e, k_s, k_many)};
constexpr Loop k_rs_2000d{"2000D", k_rs_2000d_rows};
constexpr SegmentRule k_rs_2010c_rows[] = {seg("NM1", k_r, 1, k_nm1_subscriber, 12, 1, "IL"),
                                           seg("REF", k_s, 9, k_ref, 4),
                                           seg("N3", k_s, 1, k_n3, 2),
                                           seg("N4", k_s, 1, k_n4, 7),
                                           seg("AAA", k_s, 9, k_aaa, 4),
                                           seg("DMG", k_s, 1, k_dmg, 11),
                                           seg("INS", k_s, 1, k_ins, 17)};
constexpr Loop k_rs_2010c{"2010C", k_rs_2010c_rows};
constexpr SegmentRule k_rs_2000c_rows[] = {seg("HL", k_r, 1, k_hl_22_response, 4, 3, "22"),
                                           open(k_rs_2010c, k_r, 1), open(k_rs_2000d, k_s, k_many),
                                           open(k_rs_2000e, k_s, k_many)};
constexpr Loop k_rs_2000c{"2000C", k_rs_2000c_rows};
constexpr SegmentRule k_rs_2010b_rows[] = {
    seg("NM1", k_r, 1, k_nm1_requester, 12, 1, "1P FA"), seg("REF", k_s, 9, k_ref, 4),
    seg("AAA", k_s, 9, k_aaa, 4), seg("PRV", k_s, 1, k_prv, 6)};
constexpr Loop k_rs_2010b{"2010B", k_rs_2010b_rows};
constexpr SegmentRule k_rs_2000b_rows[] = {seg("HL", k_r, 1, k_hl_21_response, 4, 3, "21"),
                                           open(k_rs_2010b, k_r, 1), open(k_rs_2000c, k_s, k_many)};
constexpr Loop k_rs_2000b{"2000B", k_rs_2000b_rows};
constexpr SegmentRule k_rs_2010a_rows[] = {seg("NM1", k_r, 1, k_nm1_umo, 12, 1, "X3"),
                                           seg("PER", k_s, 3, k_per, 9),
                                           seg("AAA", k_s, 9, k_aaa, 4)};
constexpr Loop k_rs_2010a{"2010A", k_rs_2010a_rows};
constexpr SegmentRule k_rs_2000a_rows[] = {seg("HL", k_r, 1, k_hl_20_response, 4, 3, "20"),
                                           seg("AAA", k_s, 9, k_aaa, 4), open(k_rs_2010a, k_r, 1),
                                           open(k_rs_2000b, k_s, k_many)};
constexpr Loop k_rs_2000a{"2000A", k_rs_2000a_rows};
constexpr SegmentRule k_rs_rows[] = {seg("ST", k_r, 1, k_st, 3),
                                     seg("BHT", k_r, 1, k_bht_response, 6),
                                     open(k_rs_2000a, k_r, 1), seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_response{"ST", k_rs_rows};

constexpr HlLevel k_levels[] = {{"20", ""},   {"21", "20"}, {"22", "21"},
                                {"23", "22"}, {"EV", ""},   {"SS", "EV"}};

}  // namespace

const Guide k_guide_278{"278", "005010X217", "HI", &k_request, k_levels, "01 13"};
const Guide k_guide_278_response{"278", "005010X217", "HI", &k_response, k_levels, "11"};

}  // namespace x12
