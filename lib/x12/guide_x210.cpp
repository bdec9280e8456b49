// 005010X210: 275 additional information to support a health care services review (or a
// claim), the attachment that a 278's PWK (PWK02 EL, PWK05 AC, PWK06 the control number)
// announced. Same scope as guide_x217.cpp: loops, order, usage, repeats, qualifiers and date
// formats; the external lists (CAT02, EFI01, STC) are checked for shape only.
//
// Sources: the loop outline (header BGN; 1000A payer, 1000B submitter, 1000C provider with its
// 1100C address, 1000D patient; detail 2000A LX and the required TRN "Payer Claim Control
// Number/Provider Attachment Control Number", STC, REF; 2100A service line dates; 2100B DTP*368,
// CAT, 2110B EFI and BIN) is stedi.com/app/guides/view/hipaa/patient-information-x210 and a
// public FHIR-to-275 mapping; BIN's two elements (N0 1/15 length, then that many octets of any
// value) are the X12 segment dictionary's (doc.chinlinktech.com/x12/005050/segment/BIN). The
// usages below that those pages do not state (1000B/1000C required, REF and DTP of 1000D
// situational) and the code lists (BGN01 02/11, TRN01 1/2, CAT01 AE) are this codec's reading:
// unverified against the guide itself.
#include "x12/guide_segments.hpp"

namespace x12 {
namespace {

using namespace rules;

constexpr auto k_st = st("275", "005010X210");
// BGN: 02 (add: sent unsolicited, as after a 278's PWK) or 11 (a response to a request for
// additional information), the sender's reference, the date and time.
constexpr ElementRule k_bgn[] = {R(1, Type::id, 2, 2, "02 11"),
                                 R(2, Type::an, 1, 50),
                                 R(3, Type::dt, 8, 8),
                                 S(4, Type::tm, 4, 8),
                                 N(5),
                                 N(6),
                                 N(7),
                                 N(8),
                                 N(9)};

constexpr auto k_nm1_payer = nm1({.entity = "PR",
                                  .entity_types = "2",
                                  .person_name = false,
                                  .suffix = false,
                                  .id = k_r,
                                  .id_qualifiers = "PI XV"});
constexpr auto k_nm1_submitter = nm1({.entity = "41", .id = k_r, .id_qualifiers = "46 XX"});
constexpr auto k_nm1_provider = nm1({.entity = "1P", .id = k_r, .id_qualifiers = "24 34 XX"});
constexpr auto k_nm1_patient =
    nm1({.entity = "QC", .entity_types = "1", .id = k_s, .id_qualifiers = "MI"});
constexpr auto k_per = per("EM FX TE");
constexpr ElementRule k_nx1[] = {R(1, Type::id, 1, 3, "1P")};
constexpr ElementRule k_n3[] = {R(1, Type::an, 1, 55), S(2, Type::an, 1, 55)};
constexpr ElementRule k_n4[] = {R(1, Type::an, 2, 30), S(2, Type::id, 2, 2), S(3, Type::id, 3, 15),
                                S(4, Type::id, 2, 3)};
// REF of 1000D: EJ the patient's account number, EA the medical record number, D9 a
// clearinghouse's claim number; of 2000A: the service line (6R), procedure or revenue code (BZ)
// and modifier (XX1), shape only.
constexpr auto k_ref_patient = ref("D9 EA EJ", /*description=*/false);
constexpr auto k_ref_line = ref({}, /*description=*/false);
constexpr auto k_dtp_service = dtp("472");
constexpr auto k_dtp_submitted = dtp("368");
constexpr ElementRule k_lx[] = {R(1, Type::n0, 1, 6)};
// TRN: the attachment control number (the 278's PWK06) or the payer's claim control number.
constexpr auto k_trn = trn("1 2", /*originator=*/false);
constexpr ElementRule k_stc[] = {R(1, Type::composite, 1, 30)};
// CAT: AE (attachment) and the form of what BIN holds (MB a MIME binary, TX text...).
constexpr ElementRule k_cat[] = {R(1, Type::id, 2, 2, "AE"), R(2, Type::id, 2, 2),
                                 S(3, Type::an, 1, 30), S(4, Type::id, 1, 3),
                                 S(5, Type::an, 1, 30)};
constexpr ElementRule k_efi[] = {R(1, Type::id, 2, 2)};
// BIN: the length of the binary data in bytes, then the data.
constexpr ElementRule k_bin[] = {R(1, Type::n0, 1, 15), R(2, Type::binary, 1, 1)};

constexpr SegmentRule k_2110b_rows[] = {seg("EFI", k_r, 1, k_efi, 0), seg("BIN", k_r, 1, k_bin, 2)};
constexpr Loop k_2110b{"2110B", k_2110b_rows};
constexpr SegmentRule k_2100b_rows[] = {seg("DTP", k_r, 1, k_dtp_submitted, 3, 1, "368"),
                                        seg("CAT", k_r, 1, k_cat, 6), open(k_2110b, k_r, 1)};
constexpr Loop k_2100b{"2100B", k_2100b_rows};
constexpr SegmentRule k_2100a_rows[] = {seg("DTP", k_r, 1, k_dtp_service, 3, 1, "472")};
constexpr Loop k_2100a{"2100A", k_2100a_rows};
constexpr SegmentRule k_2000a_rows[] = {
    seg("LX", k_r, 1, k_lx, 1),        seg("TRN", k_r, 1, k_trn, 4), seg("STC", k_s, 1, k_stc, 12),
    seg("REF", k_s, 3, k_ref_line, 4), open(k_2100a, k_s, 1),        open(k_2100b, k_r, k_many)};
constexpr Loop k_2000a{"2000A", k_2000a_rows};
constexpr SegmentRule k_1000d_rows[] = {seg("NM1", k_r, 1, k_nm1_patient, 12, 1, "QC"),
                                        seg("REF", k_s, 3, k_ref_patient, 4),
                                        seg("DTP", k_s, 1, k_dtp_service, 3)};
constexpr Loop k_1000d{"1000D", k_1000d_rows};
constexpr SegmentRule k_1100c_rows[] = {seg("NX1", k_r, 1, k_nx1, 5), seg("N3", k_r, 1, k_n3, 2),
                                        seg("N4", k_r, 1, k_n4, 7)};
constexpr Loop k_1100c{"1100C", k_1100c_rows};
constexpr SegmentRule k_1000c_rows[] = {seg("NM1", k_r, 1, k_nm1_provider, 12, 1, "1P"),
                                        open(k_1100c, k_s, 1)};
constexpr Loop k_1000c{"1000C", k_1000c_rows};
constexpr SegmentRule k_1000b_rows[] = {seg("NM1", k_r, 1, k_nm1_submitter, 12, 1, "41"),
                                        seg("PER", k_s, 1, k_per, 9)};
constexpr Loop k_1000b{"1000B", k_1000b_rows};
constexpr SegmentRule k_1000a_rows[] = {seg("NM1", k_r, 1, k_nm1_payer, 12, 1, "PR"),
                                        seg("PER", k_s, 1, k_per, 9)};
constexpr Loop k_1000a{"1000A", k_1000a_rows};
constexpr SegmentRule k_rows[] = {seg("ST", k_r, 1, k_st, 3), seg("BGN", k_r, 1, k_bgn, 9),
                                  open(k_1000a, k_r, 1),      open(k_1000b, k_r, 1),
                                  open(k_1000c, k_r, 1),      open(k_1000d, k_r, 1),
                                  open(k_2000a, k_r, k_many), seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_set{"ST", k_rows};

}  // namespace

// GS01 PI: patient information.
const Guide k_guide_275{"275", "005010X210", "PI", &k_set, {}};

}  // namespace x12
