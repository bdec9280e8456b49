// The transactions provportal exchanges, typed: 270/271 eligibility (005010X279A1), 276/277
// claim status (005010X212), 278 services review (005010X217) and the 275 attachment that
// supports it (005010X210). Each writer emits one transaction
// set (ST..SE) into an open group of a Writer, following its implementation guide's loops and
// required segments; each reader walks the sets of an interchange one at a time with the streaming
// Reader and hands each parsed item to a callback, so a file of any size is read in flat memory.
//
// Values are kept as the guides write them except dates, which are ISO "YYYY-MM-DD" here and
// D8/RD8 (CCYYMMDD, CCYYMMDD-CCYYMMDD) on the wire. Amounts stay decimal strings ("25", "150.00").
// Nothing here knows the portal's vocabulary: wires and the sandbox map it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "x12/error.hpp"
#include "x12/reader.hpp"
#include "x12/writer.hpp"

namespace x12 {

// An NM1 party: a person (entity type 1) or an organisation (2).
struct Party {
  std::string entity_code;   // NM101: PR payer, 1P provider, IL subscriber, 41 submitter...
  char entity_type = '2';    // NM102
  std::string last_or_org;   // NM103
  std::string first;         // NM104
  std::string middle;        // NM105
  std::string id_qualifier;  // NM108: PI payer ID, XX NPI, MI member ID, 46 ETIN, FI tax ID
  std::string id;            // NM109
  friend bool operator==(const Party&, const Party&) = default;
};

// A date or a range (DTP with D8 or RD8), by its qualifier (DTP01).
struct DatePeriod {
  std::string qualifier;  // 291 plan, 346 plan begin, 347 plan end, 472 service...
  std::string from;       // YYYY-MM-DD
  std::string to;         // YYYY-MM-DD, "" for a single date (D8)
  friend bool operator==(const DatePeriod&, const DatePeriod&) = default;
};

// A trace number: TRN01 1 (current, in requests) or 2 (referenced, in responses).
struct Trace {
  std::string type;        // TRN01
  std::string number;      // TRN02, up to 50
  std::string originator;  // TRN03: "1" or "9" followed by the originator's ID (10 characters)
  std::string detail;      // TRN04, optional
  friend bool operator==(const Trace&, const Trace&) = default;
};

// AAA: a request that could not be answered, where and why.
struct Rejection {
  std::string loop;       // where it was found: "2000A", "2100A", "2100B", "2100C", "2110C"...
  char valid = 'N';       // AAA01
  std::string reason;     // AAA03: 42 unable to respond now, 72 invalid member ID, 75 not found...
  std::string follow_up;  // AAA04: C correct and resubmit, N no resubmission, P, R, W, X, Y...
  friend bool operator==(const Rejection&, const Rejection&) = default;
};

// ---- 270 / 271 -----------------------------------------------------------------------------

// One 270: one information source (payer), receiver (provider), subscriber and inquiry.
struct EligibilityInquiry {
  std::string reference;     // BHT03, the submitter's reference for the transaction
  std::string created_date;  // BHT04 (YYYY-MM-DD); BHT05 time "HHMM" in created_time
  std::string created_time;
  Party payer;                             // 2100A NM1*PR*2*name*****PI*id
  Party provider;                          // 2100B NM1*1P*1|2*...*XX*npi
  Trace trace;                             // 2000C TRN*1
  Party subscriber;                        // 2100C NM1*IL*1*last*first****MI*member id
  std::string date_of_birth;               // 2100C DMG*D8, YYYY-MM-DD
  std::string gender;                      // DMG03 F/M/U, optional
  std::vector<DatePeriod> dates;           // 2100C DTP*291 (the date or range of service)
  std::vector<std::string> service_types;  // 2110C EQ01 repetitions; "30" when empty
  // 2100D NM1*03: the patient when it is the subscriber's dependent (empty entity_code and name
  // otherwise). Then the trace, birth date, gender, dates and service types are the dependent's
  // and go in its loops (2000D TRN, 2100D DMG/DTP, 2110D EQ).
  Party dependent;
  friend bool operator==(const EligibilityInquiry&, const EligibilityInquiry&) = default;
};

// One benefit (2110C EB and what follows it).
struct Benefit {
  std::string info;                        // EB01: 1 active, 6 inactive, A, B, C, G, CB...
  std::string coverage_level;              // EB02: IND, FAM, EMP...
  std::vector<std::string> service_types;  // EB03 repetitions
  std::string insurance_type;              // EB04: HM, C1, MA, MC, PR, QM...
  std::string plan_description;            // EB05
  std::string time_period;                 // EB06: 23 calendar year, 27 visit, 29 remaining...
  std::string amount;                      // EB07
  std::string percent;                     // EB08 (0.2 is 20 %)
  std::string quantity_qualifier;          // EB09
  std::string quantity;                    // EB10
  std::string authorization;               // EB11: Y, N, U
  std::string in_network;                  // EB12: Y, N, U, W
  std::vector<DatePeriod> dates;           // 2110C DTP
  std::vector<std::string> messages;       // 2110C MSG01
  friend bool operator==(const Benefit&, const Benefit&) = default;
};

// One 271 answer for one subscriber (2000C), with what its payer and provider loops said.
struct EligibilityResponse {
  std::string reference;      // BHT03 (the 270's)
  Party payer;                // 2100A
  Party provider;             // 2100B
  std::vector<Trace> traces;  // 2000C TRN*2 (the 270's trace) and the payer's TRN*1
  Party subscriber;           // 2100C
  std::string date_of_birth;  // 2100C DMG
  std::string gender;
  std::string group_number;       // 2100C REF*6P, REF*IG...: first plan/group reference
  std::string group_name;         // its REF03
  std::vector<DatePeriod> dates;  // 2100C DTP: 346/347 plan begin/end, 356/357, 291, 307
  std::vector<Benefit> benefits;
  // Every AAA of the payer (2000A/2100A), receiver (2100B) and subscriber (2100C/2110C) loops.
  std::vector<Rejection> rejections;
  // The trace this answer is for (the TRN*2 whose number a request sent), "" when none.
  std::string_view request_trace() const;
  // BHT04 (YYYY-MM-DD) and BHT05 (HHMM); the writer uses the interchange's when empty.
  std::string created_date;
  std::string created_time;
  // 2100D NM1*03: the patient when it is the subscriber's dependent (else empty). Then the
  // traces, birth date, gender, dates and benefits are the dependent's (2000D TRN, 2100D DMG/DTP,
  // 2110D EB) and its AAA segments are named 2100D and 2110D.
  Party dependent;
  friend bool operator==(const EligibilityResponse&, const EligibilityResponse&) = default;
};

// ---- 276 / 277 -----------------------------------------------------------------------------

// STC: one status of a claim or a service line.
struct StatusInfo {
  std::string category;           // STC01-1 (507): A1, F1, P1...
  std::string status;             // STC01-2 (508)
  std::string entity;             // STC01-3 (98): entity the status applies to, optional
  std::vector<std::string> more;  // STC10 and STC11 composites as "cat:code[:entity]"
  std::string effective_date;     // STC02, YYYY-MM-DD
  std::string action;             // STC03
  std::string total_charge;       // STC04
  std::string paid;               // STC05
  std::string adjudication_date;  // STC06, YYYY-MM-DD
  std::string payment_method;     // STC07: ACH, BOP, CHK, FWT, NON
  std::string payment_date;       // STC08, YYYY-MM-DD
  std::string check_number;       // STC09
  std::string message;            // STC12
  std::string code_list;          // STC01-4: "RX" when STC01-2 is an NCPDP reject code
  friend bool operator==(const StatusInfo&, const StatusInfo&) = default;
};

// One service line of a claim (2220D/E).
struct ServiceLine {
  std::string procedure_qualifier;     // SVC01-1: HC, NU...
  std::string procedure;               // SVC01-2
  std::vector<std::string> modifiers;  // SVC01-3..6
  std::string charge;                  // SVC02
  std::string paid;                    // SVC03
  std::string revenue_code;            // SVC04
  std::string units;                   // SVC07
  std::vector<StatusInfo> statuses;
  std::string line_control;  // REF*FJ
  DatePeriod service;        // DTP*472
  friend bool operator==(const ServiceLine&, const ServiceLine&) = default;
};

// One 276: one payer, information receiver, service provider, subscriber and claim.
struct ClaimInquiry {
  std::string reference;      // BHT03
  std::string created_date;   // BHT04, YYYY-MM-DD
  std::string created_time;   // BHT05, HHMM
  Party payer;                // 2100A NM1*PR
  Party receiver;             // 2100B NM1*41 (the information receiver, the submitter)
  Party provider;             // 2100C NM1*1P ... XX npi
  Party subscriber;           // 2100D NM1*IL ... MI member id
  std::string date_of_birth;  // 2000D DMG, YYYY-MM-DD (optional)
  std::string gender;
  Trace trace;                     // 2200D TRN*1
  std::string payer_claim_number;  // 2200D REF*1K (optional)
  std::string patient_account;     // 2200D REF*EJ (optional)
  std::string total_charge;        // 2200D AMT*T3 (optional)
  DatePeriod service;              // 2200D DTP*472 (qualifier set by the writer)
  // BHT04/BHT05 above: the writer uses the interchange's date and time when they are empty.
  // 2100E NM1*QC: the patient when it is the subscriber's dependent (else empty); then the birth
  // date, gender and the claim go in the dependent's loops (2000E DMG, 2200E).
  Party dependent;
  std::string bill_type;           // 2200D REF*BLT (optional)
  std::vector<ServiceLine> lines;  // 2210D SVC, REF*FJ, DTP*472 (no statuses in a 276)
  friend bool operator==(const ClaimInquiry&, const ClaimInquiry&) = default;
};

// One claim's status (2200D or 2200E).
struct ClaimStatusItem {
  Trace trace;  // TRN*2: the 276's trace
  std::vector<StatusInfo> statuses;
  std::string payer_claim_number;  // REF*1K
  std::string patient_account;     // REF*EJ
  std::string bill_type;           // REF*BLT
  DatePeriod service;              // DTP*472
  std::vector<ServiceLine> lines;
  // "" for a claim (2200D, or 2200E under a dependent); "2200B" or "2200C" for a status the
  // payer gave for the whole request at the information receiver's or the provider's level
  // (then only the trace and the statuses are used).
  std::string loop;
  friend bool operator==(const ClaimStatusItem&, const ClaimStatusItem&) = default;
};

// One 277 answer for one subscriber (or dependent): its parties and claims.
struct ClaimStatusResponse {
  std::string reference;  // BHT03
  Party payer;            // 2100A
  Party receiver;         // 2100B
  Party provider;         // 2100C
  Party subscriber;       // 2100D (or 2100E, the dependent, when present)
  std::vector<ClaimStatusItem> claims;
  // BHT04 (YYYY-MM-DD) and BHT05 (HHMM); the writer uses the interchange's when empty.
  std::string created_date;
  std::string created_time;
  // 2100D NM1*IL when `subscriber` holds the dependent (entity code QC, 2100E); else empty.
  Party insured;
  friend bool operator==(const ClaimStatusResponse&, const ClaimStatusResponse&) = default;
};

// ---- 278 -----------------------------------------------------------------------------------

// HCR: the outcome of a review (in a 278 response).
struct ReviewDecision {
  // HCR01: A1 certified in total, A2 certified partial, A3 not certified, A4 pended, A6
  // modified, C cancelled, CT contact the payer, NA no action required.
  std::string action;
  std::string certification;   // HCR02: the UMO's review identification (certification) number
  std::string reason;          // HCR03: why (not certified, pended, modified...)
  std::string second_opinion;  // HCR04: Y/N
  friend bool operator==(const ReviewDecision&, const ReviewDecision&) = default;
};

// HI: one diagnosis, qualifier:code[:D8:date].
struct Diagnosis {
  std::string qualifier;  // ABK principal ICD-10-CM, ABF other ICD-10-CM (BK/BF: ICD-9-CM)...
  std::string code;       // without the dot, as X12 writes it (R519)
  std::string date;       // YYYY-MM-DD, optional
  friend bool operator==(const Diagnosis&, const Diagnosis&) = default;
};

// PWK: additional information about the patient or the service, and how it comes.
struct Paperwork {
  std::string report_type;     // PWK01: 77 support data, OB operative note, PN physical therapy...
  std::string transmission;    // PWK02: EL electronically (a 275), FX fax, BM mail, AA on request
  std::string control_number;  // PWK06 (PWK05 AC): repeated by the 275 that carries it
  std::string description;     // PWK07
  friend bool operator==(const Paperwork&, const Paperwork&) = default;
};

// A provider of the event (2010EA) or of a service (2010F), with a contact (PER).
struct ReviewProvider {
  Party party;                        // NM1*SJ servicing, DK ordering, 71 attending, FA facility...
  std::string contact_qualifier;      // PER03: TE, FX, EM
  std::string contact;                // PER04
  std::vector<Rejection> rejections;  // AAA (a response)
  friend bool operator==(const ReviewProvider&, const ReviewProvider&) = default;
};

// One service of the event (2000F).
struct ReviewService {
  std::vector<Trace> traces;              // TRN: the request's (1); a response echoes it (2)
  std::string category;                   // UM01: the event's when empty
  std::string certification_type;         // UM02: the event's when empty
  ReviewDecision decision;                // HCR (a response)
  std::string previous_certification;     // REF*BB
  std::vector<DatePeriod> dates;          // DTP: 472 service dates; a response's 007/036...
  std::string procedure_qualifier;        // SV101-1 / SV202-1: HC (CPT/HCPCS) when empty
  std::string procedure;                  // SV101-2 / SV202-2
  std::vector<std::string> modifiers;     // SV101-3..6 / SV202-3..6
  std::string revenue_code;               // SV201: given, the service is institutional (SV2)
  std::string charge;                     // SV102 / SV203
  std::string unit_basis;                 // SV103 / SV204: UN units (when a quantity has none)
  std::string quantity;                   // SV104 / SV205
  std::vector<std::string> delivery;      // HSD01..08 as written
  std::vector<Paperwork> paperwork;       // PWK (a request)
  std::string message;                    // MSG01
  std::vector<ReviewProvider> providers;  // 2010F
  std::vector<Rejection> rejections;      // AAA (a response), loop 2000F
  friend bool operator==(const ReviewService&, const ReviewService&) = default;
};

// One 278: a request for review (BHT02 13; 01 cancels one) or its response (11), for one
// patient event with its services, under one UMO, requester and subscriber (or dependent).
struct ServiceReview {
  std::string purpose;        // BHT02: 13 request, 01 cancellation, 11 response; "" = 13
  std::string reference;      // BHT03
  std::string created_date;   // BHT04 (YYYY-MM-DD); the interchange's when empty
  std::string created_time;   // BHT05 (HHMM); the interchange's when empty
  std::string response_type;  // BHT06 of a response: 18 no further updates to follow
  Party umo;                  // 2010A NM1*X3: the utilization management organisation (payer)
  Party requester;            // 2010B NM1*1P (or FA): the requesting provider
  Party subscriber;           // 2010C NM1*IL
  std::string date_of_birth;  // 2010C DMG (2010D when a dependent is the patient), YYYY-MM-DD
  std::string gender;         // DMG03
  Party dependent;            // 2010D NM1*QC: the patient when not the subscriber, else empty
  // 2000E, the patient event. A response answering at a level above it (an AAA there) has no
  // event: then `category` is empty and nothing below is written or read.
  std::vector<Trace> traces;           // TRN: the request's (1); a response echoes it (2)
  std::string category;                // UM01: HS health services, SC specialty care, AR admission
  std::string certification_type;      // UM02: I initial, S revised, 3 cancel, 4 extension
  std::string service_type;            // UM03: 73 diagnostic medical, 2 surgical, 3 consultation...
  std::string place_of_service;        // UM04-1 (with UM04-2 B when given)
  std::string level_of_service;        // UM06: E elective, U urgent, 03 emergency
  std::string release_of_information;  // UM09: Y/N
  ReviewDecision decision;             // HCR (a response)
  std::string previous_certification;  // REF*BB: the certification a revision or cancel names
  std::string administrative_reference;   // REF*NT
  std::vector<DatePeriod> dates;          // DTP: AAH event dates, 435 admission...
  std::vector<Diagnosis> diagnoses;       // HI: up to 12, the principal first
  std::vector<std::string> delivery;      // HSD01..08 as written
  std::vector<Paperwork> paperwork;       // PWK (a request)
  std::string message;                    // MSG01
  std::vector<ReviewProvider> providers;  // 2010EA
  std::vector<ReviewService> services;    // 2000F
  // Every AAA above the services: loops 2000A, 2010A, 2010B, 2010C, 2010D, 2000E.
  std::vector<Rejection> rejections;
  // The requester's trace this answers (the first TRN*2), or the request's own (TRN*1), "".
  std::string_view request_trace() const;
  bool is_response() const { return purpose == "11"; }
  friend bool operator==(const ServiceReview&, const ServiceReview&) = default;
};

// ---- 275 -----------------------------------------------------------------------------------

// One 275 (005010X210) document: additional information for a services review (or a claim),
// tied to the request that announced it by the attachment control number its TRN carries (the
// 278's PWK06). Each 2110B BIN is one document; a set may hold several.
struct Attachment {
  std::string purpose;          // BGN01: 02 sent unsolicited (after a PWK), 11 answering a request
  std::string reference;        // BGN02: the sender's reference
  std::string created_date;     // BGN03 (YYYY-MM-DD); the interchange's when empty
  std::string created_time;     // BGN04 (HHMM); the interchange's when empty
  Party payer;                  // 1000A NM1*PR*2*name*****PI*payer id
  Party submitter;              // 1000B NM1*41; the writer repeats the provider when empty
  Party provider;               // 1000C NM1*1P ... XX npi
  Party patient;                // 1000D NM1*QC*1*last*first****MI*member id
  std::string patient_account;  // 1000D REF*EJ (optional)
  DatePeriod service;           // 1000D DTP*472 (optional; the writer sets the qualifier)
  Trace control;                // 2000A TRN: TRN01 1 (2 for a payer's claim number), TRN02 the
                                // attachment control number
  std::string submitted_date;   // 2100B DTP*368 (YYYY-MM-DD); the interchange's when empty
  std::string category;         // CAT01: AE when empty
  std::string format;           // CAT02: MB (a MIME binary) when empty; TX text...
  std::string file_format;      // EFI01: 05 (an electronic file) when empty
  std::string data;             // BIN02: the document's bytes (read; the writer takes a view)
  // TRN02: the attachment control number.
  std::string_view control_number() const { return control.number; }
  friend bool operator==(const Attachment&, const Attachment&) = default;
};

// ---- writing -------------------------------------------------------------------------------

// Writes one ST..SE of each kind into `writer`, which must have a group open with the right
// functional identifier (HS 270, HB 271, HR 276, HN 277) and version. `st02` is the set's control
// number. Data the guide does not allow (a missing required value, a name over 60/35 characters,
// a bad qualifier) makes the writer's status() an error naming the segment and element.
// Every segment is checked against its guide row (guide_x279.cpp, guide_x212.cpp) before it is
// written, so what they write passes validate(). They fill in: BHT04/BHT05 from the interchange
// when created_date/created_time are empty; NM101 when empty (270/271: PR, 1P, IL, 03; 276/277:
// PR, 41, 1P, IL, QC); NM108 when NM109 is given without it (PI payer, XX provider, 46 receiver,
// MI member); TRN01 when empty (1 in requests and in 2200C, 2 in the 271's 2000C/D and the 277's
// 2200B/D/E); EQ01 30 when no service type is given; DTP01 291 for a 270 date without one.
// 270: HL 20, 21, 22 (and 23 under it for a dependent); DTP and EQ in the patient's loops.
// 271: HL 20 (HL04 0 when nothing follows), 21 (written when a provider or a patient is given;
//   HL04 0 without a patient), 22 (and 23); REF*6P for the group; each Rejection's AAA in the
//   loop it names, those of 2110C/D after the last benefit's DTPs; EB, DTP, AAA, MSG per benefit.
// 276: HL 20, 21, 19, 22 (and 23 without HL04); TRN, REF*1K/BLT/EJ, AMT*T3, DTP*472 in 2200D/E,
//   SVC, REF*FJ, DTP*472 per line in 2210D/E.
// 277: HL 20, 21, 19, 22 (and 23 when the subscriber's entity code is QC); a claim whose loop is
//   2200B or 2200C goes at that level (TRN and STC only); TRN, STC, REF*1K/BLT/EJ, DTP*472 in
//   2200D/E, SVC, STC, REF*FJ, DTP*472 per line in 2220D/E.
void write_270(Writer& writer, std::uint32_t st02, const EligibilityInquiry& inquiry);
void write_271(Writer& writer, std::uint32_t st02, const EligibilityResponse& response);
void write_276(Writer& writer, std::uint32_t st02, const ClaimInquiry& inquiry);
void write_277(Writer& writer, std::uint32_t st02, const ClaimStatusResponse& response);
// 278 (in an HI group of 005010X217), by its purpose: a request (13, or 01) against the request
// guide, a response (11) against the response guide. HL 20, 21, 22 (HL04 1), 23 for a
// dependent, EV (HL04 1 when services follow), SS per service; NM101 defaults X3, 1P, IL, QC,
// SJ; NM108 defaults 46 (UMO), XX (providers), MI (members); TRN01 1 in a request, 2 in a
// response; UM01/UM02 of a service default to the event's; UM04-2 B; SV103/SV204 UN with a
// quantity; SV2 when a revenue code is given, else SV1; each Rejection's AAA in the loop it names
// (2000A, 2010A, 2010B, 2010C, 2010D, 2000E; a service's in its 2000F). A response without an
// event (empty category) ends at the last party given, its HL04 0.
void write_278(Writer& writer, std::uint32_t st02, const ServiceReview& review);
// 275 (in a PI group of 005010X210): one set carrying one document, `bytes` (any bytes; the
// attachment's own `data` is not used), as BIN with its exact length. BGN01 defaults 02; NM101
// defaults PR, 41, 1P, QC; NM108 PI, 46 (XX when the provider stands as the submitter), XX,
// MI; LX 1; TRN01 1; DTP*368 and BGN03/04 from the interchange when empty; CAT AE:MB; EFI 05.
// The control number (TRN02) and at least one byte are required.
void write_275(Writer& writer, std::uint32_t st02, const Attachment& attachment,
               std::string_view bytes);
// The same with `attachment.data` as the document.
void write_275(Writer& writer, std::uint32_t st02, const Attachment& attachment);

// ---- reading -------------------------------------------------------------------------------

// What a reader hands over for each set it read, with where it was. Returning false stops.
template <typename T>
using Each = std::function<bool(T&& item, const Segment& st)>;

// What reading an interchange came to: the sets read, and every problem (a framing error, a
// set of another kind, a segment the transaction cannot hold) with its position. A problem in
// one set does not stop the others.
struct ReadSummary {
  std::size_t sets = 0;
  std::vector<Error> problems;
};

// Reads every 270 (or 271, 276, 277) set of the interchanges `reader` yields and hands `each`
// one item at a time, holding only that item in memory:
// - 270 and 271: one per patient, that is per subscriber (2000C), or per dependent (2000D) under
//   a subscriber that was not asked or answered about itself; a 271 answering at the source or
//   receiver level alone (an AAA there, no 2000C) gives one response without a subscriber;
// - 276: one per claim (2200D or 2200E);
// - 277: one per patient with all its claims, and one without a subscriber for each status
//   given for the whole request at the receiver's or provider's level (2200B, 2200C).
// Segments a reader does not map are skipped; mapped ones out of place are problems. An item
// whose set was cut off before its SE is not handed over. `each` may move from its item or leave
// it: read_277 then fills the same memory again for the next (no allocation per patient).
ReadSummary read_270(Reader& reader, const Each<EligibilityInquiry>& each);
ReadSummary read_271(Reader& reader, const Each<EligibilityResponse>& each);
ReadSummary read_276(Reader& reader, const Each<ClaimInquiry>& each);
ReadSummary read_277(Reader& reader, const Each<ClaimStatusResponse>& each);
// 278 requests and responses alike (`purpose` says which): one item per patient event (2000E)
// with its services, or one without an event for a response that answers only at a level
// above it (an AAA in 2000A-2010D and no 2000E under it).
ReadSummary read_278(Reader& reader, const Each<ServiceReview>& each);
// 275: one item per document (each 2110B BIN), with the set's parties, its 2000A trace and its
// 2100B category; the bytes are copied into `data` (the reader's max_binary_length bounds them).
ReadSummary read_275(Reader& reader, const Each<Attachment>& each);

// ISO "YYYY-MM-DD" ⇄ CCYYMMDD; "" when the input is not such a date.
std::string to_d8(std::string_view iso);
std::string from_d8(std::string_view d8);

}  // namespace x12
