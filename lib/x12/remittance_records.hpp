// The records a payment poster reads off an 835, in one place: which fields a service line, a
// claim, a claim's own adjustments, a PLB item and a check become, in which order and with which
// values. The records go to a RecordSink, which writes them in its own format (JSON text, CSV
// cells, JSON values), so the CLI's `remittance`, its `x12 parse --as 835` and the sandbox's
// remittances feed name the same things the same way and a format is never a second mapping.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "x12/remittance.hpp"

namespace x12 {

// What a record stands for: the row_type of a line-level row (service, claim_adjustment,
// provider_adjustment), or a claim-level or check-level row.
enum class RecordKind { service, claim_adjustment, provider_adjustment, claim, check };

// "service", "claim_adjustment", "provider_adjustment", "claim" or "check".
std::string_view to_string(RecordKind kind);

// Receives records member by member, in order. Amounts arrive as cents (written as
// format_cents' exact decimals); lists open with begin_list and close with end_list.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void begin_record(RecordKind kind) = 0;
  virtual void end_record(RecordKind kind) = 0;
  virtual void text(std::string_view key, std::string_view value) = 0;
  virtual void amount(std::string_view key, Cents cents) = 0;
  virtual void no_amount(std::string_view key) = 0;  // an amount the 835 does not give (null)
  virtual void count(std::string_view key, std::size_t n) = 0;
  virtual void flag(std::string_view key, bool value) = 0;
  // A list of codes (code()), adjustments (adjustment()) or PLB items (plb_item()).
  virtual void begin_list(std::string_view key) = 0;
  virtual void code(std::string_view value) = 0;
  virtual void adjustment(std::string_view group, std::string_view reason, Cents amount) = 0;
  virtual void plb_item(const ProviderAdjustment& item) = 0;
  virtual void end_list() = 0;
};

// One record per service line paid (one per claim without lines), in the order of the 835:
// payer, payee, check_number, check_date, payment_method, payer_claim_control_number,
// patient_control_number, claim_status, member_id, service_date, procedure_code, modifiers,
// charged, allowed, paid, patient_responsibility, adjustments [{group, carc, amount}], remarks.
void service_records(const Remittance& remittance, RecordSink& sink);

// The claim-level CAS of each claim with service lines as a record of its own (the members of
// a service record): paid is -their sum, so the paid of a check's records add up to BPR02
// (CLP04 = SVC03s - claim CAS).
void claim_adjustment_records(const Remittance& remittance, RecordSink& sink);

// Each PLB item as a record (the members of a service record): its paid is what it does to the
// deposit (-amount); its reference in payer_claim_control_number, its fiscal date in
// service_date, adjustments [{PLB, reason, amount}].
void provider_adjustment_records(const Remittance& remittance, RecordSink& sink);

// service_records, claim_adjustment_records and provider_adjustment_records, in that order:
// the rows of --level line.
void line_records(const Remittance& remittance, RecordSink& sink);

// One record per CLP: the claim's fields, service_date, charged, allowed (when every line gives
// one), paid, patient_responsibility, the adjustments of the claim and its lines, their remarks
// (each once), lines.
void claim_records(const Remittance& remittance, RecordSink& sink);

// The check's record: payer, payee, check_number, check_date, payment_method, payer_id,
// payee_id, credit_debit, total_paid, claims, lines, charged, claims_paid,
// patient_responsibility, provider_adjustments, plb [{reason, reference, fiscal_date,
// amount}], balanced.
void check_record(const Remittance& remittance, bool balanced, RecordSink& sink);

// What a check pays, as posted (what --since last hashes): its check record (balanced true),
// its service records and its PLB records.
void content_records(const Remittance& remittance, RecordSink& sink);

// The payer as a ledger names it: TRN03 (1 + the payer's tax ID), else N1*PR's ID.
const std::string& payer_key(const Remittance& remittance);

// The first date of `dates` whose qualifier is one of `qualifiers`, in the order they are given.
std::string_view first_date(const std::vector<DatePeriod>& dates,
                            std::initializer_list<std::string_view> qualifiers);

}  // namespace x12
