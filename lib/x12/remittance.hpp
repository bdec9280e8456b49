// The 835 health care claim payment/advice (005010X221A1), typed: one Remittance per
// transaction set, that is per check or EFT (BPR/TRN), with its payer, payee, claims (CLP),
// service lines (SVC) and provider-level adjustments (PLB). read_835 streams the sets of an
// interchange; balance() checks the sums a payment-posting system checks; write_835 writes one.
//
// Money is exact integer cents (Cents): X12 decimals ("-12.5", "100", ".5") are parsed without
// floating point, so sums never drift. Dates are ISO "YYYY-MM-DD" here, CCYYMMDD on the wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "x12/transactions.hpp"

namespace x12 {

// An amount in cents.
using Cents = std::int64_t;

// Cents of an X12 decimal ("-12.5", "100", ".5", "0.50"): at most 2 fraction digits (or more
// that are zeros), 16 digits before the point and 18 in all; nullopt otherwise.
std::optional<Cents> parse_cents(std::string_view decimal);

// The X12 decimal of `cents` without needless zeros: 1250 "12.5", -127 "-1.27", 10000 "100".
std::string format_cents(Cents cents);
// The same text written at `out` (room for k_cents_text_max characters); returns its end.
inline constexpr std::size_t k_cents_text_max = 24;
char* format_cents_to(char* out, Cents cents);

// N3/N4: a street address.
struct Address {
  std::string street;   // N301
  std::string street2;  // N302
  std::string city;     // N401
  std::string state;    // N402
  std::string postal;   // N403
  friend bool operator==(const Address&, const Address&) = default;
};

// One adjustment of a CAS triplet: group (CAS01: CO, OA, PI, PR, CR), reason (a CARC) and
// amount, with the quantity when given.
struct Adjustment {
  std::string group;
  std::string reason;
  Cents amount = 0;
  std::string quantity;
  friend bool operator==(const Adjustment&, const Adjustment&) = default;
};

// One service line of a paid claim (2110).
struct RemittanceLine {
  std::string procedure_qualifier;     // SVC01-1: HC, AD, ER, IV, N4, NU...
  std::string procedure;               // SVC01-2
  std::vector<std::string> modifiers;  // SVC01-3..6
  Cents charged = 0;                   // SVC02
  Cents paid = 0;                      // SVC03
  std::string revenue_code;            // SVC04, optional
  std::string units;                   // SVC05 units paid, optional
  std::vector<DatePeriod> dates;       // DTM 472 service, 150/151 period start/end (from only)
  std::vector<Adjustment> adjustments;
  std::optional<Cents> allowed;      // AMT*B6
  std::vector<std::string> remarks;  // LQ*HE remark codes (RARC)
  std::string control_number;        // REF*6R, the provider's line item control number
  std::size_t position = 0;          // of the SVC in the interchange (0 when not read)
  friend bool operator==(const RemittanceLine&, const RemittanceLine&) = default;
};

// One claim of a check (2100).
struct RemittanceClaim {
  std::string patient_control_number;      // CLP01
  std::string status;                      // CLP02: 1, 2, 3 processed, 4 denied, 22 reversal...
  Cents charged = 0;                       // CLP03
  Cents paid = 0;                          // CLP04
  Cents patient_responsibility = 0;        // CLP05 (0 when absent)
  std::string filing_indicator;            // CLP06: 12, 13, MA, MB, MC...
  std::string payer_claim_control_number;  // CLP07
  std::string facility_code;               // CLP08, optional
  std::string frequency;                   // CLP09, optional
  Party patient;                           // NM1*QC
  Party subscriber;                        // NM1*IL, when not the patient
  std::vector<Adjustment> adjustments;     // claim-level CAS
  std::vector<DatePeriod> dates;           // DTM 232/233 statement from/to, 036, 050 (from only)
  std::vector<std::string> remarks;        // MOA03..07 and MIA05, MIA20..24 remark codes
  std::vector<RemittanceLine> lines;
  std::size_t position = 0;  // of the CLP in the interchange (0 when not read)
  friend bool operator==(const RemittanceClaim&, const RemittanceClaim&) = default;
};

// One PLB item: a provider-level adjustment (PLB03/05/07/09/11/13 reason:reference and the
// amount after it). A positive amount reduces the payment, a negative one increases it.
struct ProviderAdjustment {
  std::string provider;     // PLB01
  std::string fiscal_date;  // PLB02, YYYY-MM-DD
  std::string reason;       // composite component 1: WO, 72, L6, FB, CS, J1, CV...
  std::string reference;    // component 2, optional
  Cents amount = 0;
  friend bool operator==(const ProviderAdjustment&, const ProviderAdjustment&) = default;
};

// One 835 transaction set: one payment (check, EFT or none) and what it pays.
struct Remittance {
  std::string handling = "I";      // BPR01: C payment and advice, I advice only, H, D, P, U, X
  Cents total_paid = 0;            // BPR02
  std::string credit_debit = "C";  // BPR03: C credit, D debit
  std::string payment_method;      // BPR04: ACH, BOP, CHK, FWT, NON
  std::string payment_format;      // BPR05: CCP, CTX (ACH)
  // BPR06..BPR15: the sending and receiving bank (qualifier, ID, account qualifier, account) and
  // the originating company (BPR10, BPR11); empty for a check.
  std::string sender_dfi_qualifier, sender_dfi, sender_account_qualifier, sender_account;
  std::string originator_id, originator_supplement;
  std::string receiver_dfi_qualifier, receiver_dfi, receiver_account_qualifier, receiver_account;
  std::string payment_date;     // BPR16, YYYY-MM-DD
  Trace trace;                  // TRN*1: TRN02 the check or EFT trace number, TRN03 the payer's ID
  std::string production_date;  // DTM*405, YYYY-MM-DD
  Party payer;  // 1000A N1*PR: last_or_org the name, id_qualifier/id N103/N104 (XV, PI...)
  Party payee;  // 1000B N1*PE: the name, XX NPI or FI tax ID
  std::string payee_tax_id;  // 1000B REF*TJ
  Address payer_address;     // 1000A N3/N4 (required by the guide)
  Address payee_address;     // 1000B N3/N4 (optional)
  std::vector<RemittanceClaim> claims;
  std::vector<ProviderAdjustment> provider_adjustments;
  std::size_t position = 0;  // of the BPR (else the ST) in the interchange (0 when not read)
  friend bool operator==(const Remittance&, const Remittance&) = default;
};

// One sum that does not add up.
struct BalanceFinding {
  std::string check;         // TRN02
  std::string claim;         // CLP01, "" for the check's own sum
  std::size_t line = 0;      // 1-based service line in the claim, 0 for a claim or the check
  std::string rule;          // what was summed, e.g. "SVC02 - SVC03 = line CAS"
  Cents expected = 0;        // the value the other amounts call for
  Cents actual = 0;          // the value found
  std::size_t position = 0;  // of the BPR, CLP or SVC holding the actual value
  Cents difference() const { return actual - expected; }
};

// Checks a remittance as posting systems do; an imbalance is a finding, never an exception:
// - each service line: SVC02 - SVC03 = the sum of its CAS amounts;
// - each claim: CLP03 - CLP04 = its CAS amounts plus its lines' CAS amounts; and when it has
//   lines, CLP04 = the sum of SVC03 - the claim's CAS amounts (so the lines carry the charge);
// - the check: BPR02 (negative when BPR03 is D) = the sum of CLP04 - the sum of PLB amounts.
// Reversals (CLP02 22, negative amounts) follow the same sums.
std::vector<BalanceFinding> balance(const Remittance& remittance);

// "check T claim C line N: expected X, found Y (difference D); RULE",
// amounts as decimals; names only control numbers, never a patient.
std::string to_string(const BalanceFinding& finding);

// Writes one 835 (ST..SE) into `writer`, which must have a GS01 HP group of version
// 005010X221A1 open. Each segment is checked against guide_x221.cpp's rows first; a problem
// becomes the writer's status naming the segment and element. Writes BPR, TRN, DTM*405 (when
// given), 1000A N1*PR with its N3/N4, 1000B N1*PE (+ N3/N4, REF*TJ), one 2000 LX*1 holding every
// claim (CLP, CAS with up to 6 adjustments each, NM1*QC, NM1*IL, MOA of the remarks, DTM, then per
// line SVC, DTM, CAS, REF*6R, AMT*B6, LQ*HE), then one PLB per provider and date with up to 6 items
// each.
void write_835(Writer& writer, std::uint32_t st02, const Remittance& remittance);

// Reads every 835 set of the interchanges `reader` yields and hands `each` one Remittance per
// set (per check), complete with its claims; a set cut off before its SE is not handed over.
// Amounts that are not decimals, a CAS of more than 6 adjustments, a PLB of more than 6 items
// and segments out of place are problems with their segment position (the amount is then 0).
ReadSummary read_835(Reader& reader, const Each<Remittance>& each);

}  // namespace x12
