// 005010X221A1: the 835 health care claim payment/advice. The rows cover the header (BPR, TRN,
// DTM), the payer (1000A) and payee (1000B) loops, the header number (2000), claim (2100) and
// service line (2110) loops and the PLB trailer: order, usage, repeats, the qualifiers and the
// amounts' types. Long external lists (CARC in CAS, RARC in LQ/MOA) are checked for shape only.
#include "x12/guide_segments.hpp"

namespace x12 {
namespace {

using namespace rules;

constexpr auto k_st_835 = st("835", "005010X221A1");

// BPR: handling, amount, credit/debit, method, then the optional bank details and the date.
constexpr ElementRule k_bpr[] = {R(1, Type::id, 1, 2, "C D H I P U X"),
                                 R(2, Type::r, 1, 18),
                                 R(3, Type::id, 1, 1, "C D"),
                                 R(4, Type::id, 3, 3, "ACH BOP CHK FWT NON"),
                                 S(5, Type::id, 1, 10, "CCP CTX"),
                                 S(6, Type::id, 2, 2, "01 04"),
                                 S(7, Type::an, 3, 12),
                                 S(8, Type::id, 1, 3, "DA"),
                                 S(9, Type::an, 1, 35),
                                 S(10, Type::an, 10, 10),
                                 S(11, Type::an, 9, 9),
                                 S(12, Type::id, 2, 2, "01 04"),
                                 S(13, Type::an, 3, 12),
                                 S(14, Type::id, 1, 3, "DA SG"),
                                 S(15, Type::an, 1, 35),
                                 R(16, Type::dt, 8, 8),
                                 N(17),
                                 N(18),
                                 N(19),
                                 N(20),
                                 N(21)};
constexpr ElementRule k_nte[] = {S(1, Type::id, 3, 3), R(2, Type::an, 1, 80)};
constexpr auto k_trn_835 = trn("1", /*originator=*/true);
constexpr ElementRule k_cur[] = {R(1, Type::id, 2, 3, "PR"), R(2, Type::id, 3, 3)};
constexpr auto k_ref_header = ref("EV F2", /*description=*/false);
// DTM: a qualifier and a CCYYMMDD date.
constexpr std::array<ElementRule, 2> dtm(std::string_view qualifiers) {
  return {R(1, Type::id, 3, 3, qualifiers), R(2, Type::dt, 8, 8)};
}
constexpr auto k_dtm_production = dtm("405");
constexpr auto k_dtm_claim = dtm("036 050 232 233");
constexpr auto k_dtm_line = dtm("150 151 472");

// N1, N3, N4 of the payer and payee; their REF, PER and RDM.
constexpr ElementRule k_n1_payer[] = {R(1, Type::id, 2, 3, "PR"),
                                      R(2, Type::an, 1, 60),
                                      S(3, Type::id, 1, 2, "XV"),
                                      S(4, Type::an, 2, 80),
                                      N(5),
                                      N(6)};
constexpr ElementRule k_n1_payee[] = {R(1, Type::id, 2, 3, "PE"),
                                      R(2, Type::an, 1, 60),
                                      R(3, Type::id, 1, 2, "FI XV XX"),
                                      R(4, Type::an, 2, 80),
                                      N(5),
                                      N(6)};
constexpr ElementRule k_n3[] = {R(1, Type::an, 1, 55), S(2, Type::an, 1, 55)};
constexpr ElementRule k_n4[] = {R(1, Type::an, 2, 30),
                                S(2, Type::id, 2, 2),
                                S(3, Type::id, 3, 15),
                                S(4, Type::id, 2, 3),
                                N(5),
                                N(6),
                                S(7, Type::id, 1, 3)};
constexpr auto k_ref_payer = ref("2U EO HI NF", /*description=*/false);
constexpr auto k_ref_payee = ref("0B D3 PQ TJ", /*description=*/false);
constexpr ElementRule k_per_835[] = {R(1, Type::id, 2, 2, "BL CX IC"),
                                     S(2, Type::an, 1, 60),
                                     S(3, Type::id, 2, 2, "EM EX FX TE UR"),
                                     S(4, Type::an, 1, 256),
                                     S(5, Type::id, 2, 2, "EM EX FX TE UR"),
                                     S(6, Type::an, 1, 256),
                                     S(7, Type::id, 2, 2, "EX"),
                                     S(8, Type::an, 1, 256),
                                     N(9)};
constexpr ElementRule k_rdm[] = {R(1, Type::id, 1, 2, "BM EM FT OL"), S(2, Type::an, 1, 60),
                                 S(3, Type::an, 1, 256)};

// 2000: LX, TS3, TS2.
constexpr ElementRule k_lx[] = {R(1, Type::n0, 1, 6)};
constexpr ElementRule k_ts3[] = {R(1, Type::an, 1, 50), R(2, Type::an, 1, 2), R(3, Type::dt, 8, 8),
                                 R(4, Type::r, 1, 15), R(5, Type::r, 1, 18)};
constexpr ElementRule k_ts2[] = {S(1, Type::r, 1, 18), S(2, Type::r, 1, 18)};

// 2100: CLP, CAS, NM1, MIA, MOA, REF, DTM, PER, AMT, QTY.
constexpr ElementRule k_clp[] = {
    R(1, Type::an, 1, 38),
    R(2, Type::id, 1, 2, "1 2 3 4 19 20 21 22 23 25"),
    R(3, Type::r, 1, 18),
    R(4, Type::r, 1, 18),
    S(5, Type::r, 1, 18),
    R(6, Type::id, 1, 2, "11 12 13 14 15 16 17 AM CH DS HM LM MA MB MC OF TV VA WC ZZ"),
    S(7, Type::an, 1, 50),
    S(8, Type::an, 1, 2),
    S(9, Type::id, 1, 1),
    N(10),
    S(11, Type::an, 1, 50),
    S(12, Type::r, 1, 15),
    S(13, Type::r, 1, 10),
    S(14, Type::id, 1, 1)};
// CAS: the group, then up to six reason/amount/quantity triplets.
constexpr ElementRule k_cas[] = {R(1, Type::id, 1, 2, "CO CR OA PI PR"),
                                 R(2, Type::id, 1, 5),
                                 R(3, Type::r, 1, 18),
                                 S(4, Type::r, 1, 15),
                                 S(5, Type::id, 1, 5),
                                 S(6, Type::r, 1, 18),
                                 S(7, Type::r, 1, 15),
                                 S(8, Type::id, 1, 5),
                                 S(9, Type::r, 1, 18),
                                 S(10, Type::r, 1, 15),
                                 S(11, Type::id, 1, 5),
                                 S(12, Type::r, 1, 18),
                                 S(13, Type::r, 1, 15),
                                 S(14, Type::id, 1, 5),
                                 S(15, Type::r, 1, 18),
                                 S(16, Type::r, 1, 15),
                                 S(17, Type::id, 1, 5),
                                 S(18, Type::r, 1, 18),
                                 S(19, Type::r, 1, 15)};
constexpr auto k_nm1_patient =
    nm1({.entity = "QC", .entity_types = "1", .name = k_s, .id_qualifiers = "34 HN II MI MR"});
constexpr auto k_nm1_insured =
    nm1({.entity = "IL", .name = k_s, .id = k_r, .id_qualifiers = "FI II MI"});
constexpr auto k_nm1_other = nm1({.entity = "74 82 GB PR TT", .name = k_s});
constexpr ElementRule k_mia[] = {R(1, Type::r, 1, 15), S(2, Type::r, 1, 18), S(3, Type::r, 1, 15),
                                 S(4, Type::r, 1, 18), S(5, Type::an, 1, 50)};
constexpr ElementRule k_moa[] = {
    S(1, Type::r, 1, 10),  S(2, Type::r, 1, 18),  S(3, Type::an, 1, 50),
    S(4, Type::an, 1, 50), S(5, Type::an, 1, 50), S(6, Type::an, 1, 50),
    S(7, Type::an, 1, 50), S(8, Type::r, 1, 18),  S(9, Type::r, 1, 18)};
constexpr auto k_ref_claim =
    ref("0B 1A 1B 1C 1D 1G 1H 1J 1L 1W 28 6P 9A 9C BB CE D3 EA F8 G1 G2 G3 IG LU SY", false);
constexpr ElementRule k_amt_claim[] = {R(1, Type::id, 1, 3), R(2, Type::r, 1, 18)};
constexpr ElementRule k_qty_claim[] = {R(1, Type::id, 2, 2), R(2, Type::r, 1, 15)};

// 2110: SVC, DTM, CAS, REF, AMT, QTY, LQ.
constexpr ElementRule k_svc_835[] = {R(1, Type::composite, 1, 48, "AD ER HC HP IV N4 N6 NU UI WK"),
                                     R(2, Type::r, 1, 18),
                                     R(3, Type::r, 1, 18),
                                     S(4, Type::an, 1, 48),
                                     S(5, Type::r, 1, 15),
                                     S(6, Type::composite, 1, 48),
                                     S(7, Type::r, 1, 15)};
constexpr auto k_ref_line =
    ref("0B 0K 1A 1B 1C 1D 1G 1H 1J 1S 6R APC BB D3 E9 G1 G3 HPI LU RB SY TJ", false);
constexpr ElementRule k_lq[] = {R(1, Type::id, 1, 3, "HE RX"), R(2, Type::an, 1, 30)};

// PLB: the provider, the fiscal period date and up to six reason:reference/amount pairs.
constexpr std::string_view k_plb_reasons =
    "50 51 72 90 AH AM AP B2 B3 BD BN C5 CR CS CT CV CW DM E3 FB FC GO HM IP IR IS J1 L3 L6 LE LS "
    "OA OB PI PL RA RE SL TL WO WU";
constexpr ElementRule k_plb[] = {R(1, Type::an, 1, 50),
                                 R(2, Type::dt, 8, 8),
                                 R(3, Type::composite, 1, 52, k_plb_reasons),
                                 R(4, Type::r, 1, 18),
                                 S(5, Type::composite, 1, 52, k_plb_reasons),
                                 S(6, Type::r, 1, 18),
                                 S(7, Type::composite, 1, 52, k_plb_reasons),
                                 S(8, Type::r, 1, 18),
                                 S(9, Type::composite, 1, 52, k_plb_reasons),
                                 S(10, Type::r, 1, 18),
                                 S(11, Type::composite, 1, 52, k_plb_reasons),
                                 S(12, Type::r, 1, 18),
                                 S(13, Type::composite, 1, 52, k_plb_reasons),
                                 S(14, Type::r, 1, 18)};

constexpr SegmentRule k_2110_rows[] = {
    seg("SVC", k_r, 1, k_svc_835, 7),   seg("DTM", k_s, 2, k_dtm_line, 6),
    seg("CAS", k_s, 99, k_cas, 19),     seg("REF", k_s, 30, k_ref_line, 4),
    seg("AMT", k_s, 9, k_amt_claim, 3), seg("QTY", k_s, 6, k_qty_claim, 4),
    seg("LQ", k_s, 99, k_lq, 2)};
constexpr Loop k_2110{"2110", k_2110_rows};
constexpr SegmentRule k_2100_rows[] = {seg("CLP", k_r, 1, k_clp, 14),
                                       seg("CAS", k_s, 99, k_cas, 19),
                                       seg("NM1", k_r, 1, k_nm1_patient, 12, 1, "QC"),
                                       seg("NM1", k_s, 1, k_nm1_insured, 12, 1, "IL"),
                                       seg("NM1", k_s, 6, k_nm1_other, 12, 1, "74 82 GB PR TT"),
                                       seg("MIA", k_s, 1, k_mia, 24),
                                       seg("MOA", k_s, 1, k_moa, 9),
                                       seg("REF", k_s, 15, k_ref_claim, 4),
                                       seg("DTM", k_s, 4, k_dtm_claim, 6),
                                       seg("PER", k_s, 3, k_per_835, 9),
                                       seg("AMT", k_s, 13, k_amt_claim, 3),
                                       seg("QTY", k_s, 14, k_qty_claim, 4),
                                       open(k_2110, k_s, 999)};
constexpr Loop k_2100{"2100", k_2100_rows};
constexpr SegmentRule k_2000_rows[] = {seg("LX", k_r, 1, k_lx, 1), seg("TS3", k_s, 1, k_ts3, 24),
                                       seg("TS2", k_s, 1, k_ts2, 19), open(k_2100, k_r, k_many)};
constexpr Loop k_2000{"2000", k_2000_rows};
constexpr SegmentRule k_1000b_rows[] = {seg("N1", k_r, 1, k_n1_payee, 6, 1, "PE"),
                                        seg("N3", k_s, 1, k_n3, 2), seg("N4", k_s, 1, k_n4, 7),
                                        seg("REF", k_s, k_many, k_ref_payee, 4),
                                        seg("RDM", k_s, 1, k_rdm, 7)};
constexpr Loop k_1000b{"1000B", k_1000b_rows};
constexpr SegmentRule k_1000a_rows[] = {seg("N1", k_r, 1, k_n1_payer, 6, 1, "PR"),
                                        seg("N3", k_r, 1, k_n3, 2), seg("N4", k_r, 1, k_n4, 7),
                                        seg("REF", k_s, 4, k_ref_payer, 4),
                                        seg("PER", k_s, k_many, k_per_835, 9)};
constexpr Loop k_1000a{"1000A", k_1000a_rows};
constexpr SegmentRule k_835_rows[] = {seg("ST", k_r, 1, k_st_835, 3),
                                      seg("BPR", k_r, 1, k_bpr, 21),
                                      seg("NTE", k_s, k_many, k_nte, 2),
                                      seg("TRN", k_r, 1, k_trn_835, 4),
                                      seg("CUR", k_s, 1, k_cur, 21),
                                      seg("REF", k_s, 2, k_ref_header, 4),
                                      seg("DTM", k_s, 1, k_dtm_production, 6),
                                      open(k_1000a, k_r, 1),
                                      open(k_1000b, k_r, 1),
                                      open(k_2000, k_s, k_many),
                                      seg("PLB", k_s, k_many, k_plb, 14),
                                      seg("SE", k_r, 1, k_se, 2)};
constexpr Loop k_835{"ST", k_835_rows};

}  // namespace

const Guide k_guide_835{"835", "005010X221A1", "HP", &k_835, {}};

}  // namespace x12
