#include "x12/remittance_records.hpp"

#include <algorithm>

namespace x12 {

namespace {

// The members every record of a check starts with.
void check_fields(const Remittance& r, RecordSink& sink) {
  sink.text("payer", r.payer.last_or_org);
  sink.text("payee", r.payee.last_or_org);
  sink.text("check_number", r.trace.number);
  sink.text("check_date", r.payment_date);
  sink.text("payment_method", r.payment_method);
}

// The claim's members every record of it repeats.
void claim_fields(const Remittance& r, const RemittanceClaim& c, RecordSink& sink) {
  check_fields(r, sink);
  sink.text("payer_claim_control_number", c.payer_claim_control_number);
  sink.text("patient_control_number", c.patient_control_number);
  sink.text("claim_status", c.status);
  const Party& member = c.subscriber.id.empty() ? c.patient : c.subscriber;
  sink.text("member_id", member.id);
}

void adjustments(std::string_view key, const std::vector<Adjustment>& list, RecordSink& sink) {
  sink.begin_list(key);
  for (const auto& a : list) sink.adjustment(a.group, a.reason, a.amount);
  sink.end_list();
}

void no_codes(std::string_view key, RecordSink& sink) {
  sink.begin_list(key);
  sink.end_list();
}

Cents owed(const std::vector<Adjustment>& list) {
  Cents sum = 0;
  for (const auto& a : list)
    if (a.group == "PR") sum += a.amount;
  return sum;
}

}  // namespace

std::string_view to_string(RecordKind kind) {
  switch (kind) {
    case RecordKind::service:
      return "service";
    case RecordKind::claim_adjustment:
      return "claim_adjustment";
    case RecordKind::provider_adjustment:
      return "provider_adjustment";
    case RecordKind::claim:
      return "claim";
    case RecordKind::check:
      return "check";
  }
  return "";
}

const std::string& payer_key(const Remittance& r) {
  return r.trace.originator.empty() ? r.payer.id : r.trace.originator;
}

std::string_view first_date(const std::vector<DatePeriod>& dates,
                            std::initializer_list<std::string_view> qualifiers) {
  for (std::string_view q : qualifiers)
    for (const auto& d : dates)
      if (d.qualifier == q) return d.from;
  return {};
}

void service_records(const Remittance& r, RecordSink& sink) {
  for (const auto& c : r.claims) {
    const std::string_view claim_date = first_date(c.dates, {"232", "050"});
    if (c.lines.empty()) {
      sink.begin_record(RecordKind::service);
      claim_fields(r, c, sink);
      sink.text("service_date", claim_date);
      sink.text("procedure_code", "");
      no_codes("modifiers", sink);
      sink.amount("charged", c.charged);
      sink.no_amount("allowed");
      sink.amount("paid", c.paid);
      sink.amount("patient_responsibility", c.patient_responsibility);
      adjustments("adjustments", c.adjustments, sink);
      sink.begin_list("remarks");
      for (const auto& m : c.remarks) sink.code(m);
      sink.end_list();
      sink.end_record(RecordKind::service);
    }
    for (const auto& l : c.lines) {
      sink.begin_record(RecordKind::service);
      claim_fields(r, c, sink);
      const std::string_view date = first_date(l.dates, {"472", "150"});
      sink.text("service_date", date.empty() ? claim_date : date);
      sink.text("procedure_code", l.procedure);
      sink.begin_list("modifiers");
      for (const auto& m : l.modifiers) sink.code(m);
      sink.end_list();
      sink.amount("charged", l.charged);
      if (l.allowed)
        sink.amount("allowed", *l.allowed);
      else
        sink.no_amount("allowed");
      sink.amount("paid", l.paid);
      sink.amount("patient_responsibility", owed(l.adjustments));
      adjustments("adjustments", l.adjustments, sink);
      sink.begin_list("remarks");
      for (const auto& m : c.remarks) sink.code(m);
      for (const auto& m : l.remarks) sink.code(m);
      sink.end_list();
      sink.end_record(RecordKind::service);
    }
  }
}

void claim_adjustment_records(const Remittance& r, RecordSink& sink) {
  for (const auto& c : r.claims) {
    if (c.lines.empty() || c.adjustments.empty()) continue;
    Cents total = 0;
    for (const auto& a : c.adjustments) total += a.amount;
    sink.begin_record(RecordKind::claim_adjustment);
    claim_fields(r, c, sink);
    sink.text("service_date", first_date(c.dates, {"232", "050"}));
    sink.text("procedure_code", "");
    no_codes("modifiers", sink);
    sink.amount("charged", 0);
    sink.no_amount("allowed");
    sink.amount("paid", -total);
    sink.amount("patient_responsibility", owed(c.adjustments));
    adjustments("adjustments", c.adjustments, sink);
    sink.begin_list("remarks");
    for (const auto& m : c.remarks) sink.code(m);
    sink.end_list();
    sink.end_record(RecordKind::claim_adjustment);
  }
}

void provider_adjustment_records(const Remittance& r, RecordSink& sink) {
  for (const auto& p : r.provider_adjustments) {
    sink.begin_record(RecordKind::provider_adjustment);
    check_fields(r, sink);
    sink.text("payer_claim_control_number", p.reference);
    sink.text("patient_control_number", "");
    sink.text("claim_status", "");
    sink.text("member_id", "");
    sink.text("service_date", p.fiscal_date);
    sink.text("procedure_code", "");
    no_codes("modifiers", sink);
    sink.amount("charged", 0);
    sink.no_amount("allowed");
    sink.amount("paid", -p.amount);
    sink.amount("patient_responsibility", 0);
    sink.begin_list("adjustments");
    sink.adjustment("PLB", p.reason, p.amount);
    sink.end_list();
    no_codes("remarks", sink);
    sink.end_record(RecordKind::provider_adjustment);
  }
}

void line_records(const Remittance& r, RecordSink& sink) {
  service_records(r, sink);
  claim_adjustment_records(r, sink);
  provider_adjustment_records(r, sink);
}

void claim_records(const Remittance& r, RecordSink& sink) {
  std::vector<std::string_view> remarks;
  for (const auto& c : r.claims) {
    sink.begin_record(RecordKind::claim);
    claim_fields(r, c, sink);
    sink.text("service_date", first_date(c.dates, {"232", "050"}));
    sink.amount("charged", c.charged);
    Cents allowed = 0;
    bool all_allowed = !c.lines.empty();
    for (const auto& l : c.lines) {
      if (l.allowed)
        allowed += *l.allowed;
      else
        all_allowed = false;
    }
    if (all_allowed)
      sink.amount("allowed", allowed);
    else
      sink.no_amount("allowed");
    sink.amount("paid", c.paid);
    sink.amount("patient_responsibility", c.patient_responsibility);
    sink.begin_list("adjustments");
    for (const auto& a : c.adjustments) sink.adjustment(a.group, a.reason, a.amount);
    for (const auto& l : c.lines)
      for (const auto& a : l.adjustments) sink.adjustment(a.group, a.reason, a.amount);
    sink.end_list();
    // The claim's remarks as they are, then each remark of its lines not given before.
    remarks.assign(c.remarks.begin(), c.remarks.end());
    for (const auto& l : c.lines)
      for (const auto& m : l.remarks)
        if (std::find(remarks.begin(), remarks.end(), std::string_view(m)) == remarks.end())
          remarks.emplace_back(m);
    sink.begin_list("remarks");
    for (std::string_view m : remarks) sink.code(m);
    sink.end_list();
    sink.count("lines", c.lines.size());
    sink.end_record(RecordKind::claim);
  }
}

void check_record(const Remittance& r, bool balanced, RecordSink& sink) {
  sink.begin_record(RecordKind::check);
  check_fields(r, sink);
  sink.text("payer_id", payer_key(r));
  sink.text("payee_id", r.payee.id);
  sink.text("credit_debit", r.credit_debit);
  sink.amount("total_paid", r.credit_debit == "D" ? -r.total_paid : r.total_paid);
  Cents charged = 0, paid = 0, owed_total = 0, plb = 0;
  std::size_t lines = 0;
  for (const auto& c : r.claims) {
    charged += c.charged;
    paid += c.paid;
    owed_total += c.patient_responsibility;
    lines += c.lines.size();
  }
  for (const auto& p : r.provider_adjustments) plb += p.amount;
  sink.count("claims", r.claims.size());
  sink.count("lines", lines);
  sink.amount("charged", charged);
  sink.amount("claims_paid", paid);
  sink.amount("patient_responsibility", owed_total);
  sink.amount("provider_adjustments", plb);
  sink.begin_list("plb");
  for (const auto& p : r.provider_adjustments) sink.plb_item(p);
  sink.end_list();
  sink.flag("balanced", balanced);
  sink.end_record(RecordKind::check);
}

void content_records(const Remittance& r, RecordSink& sink) {
  check_record(r, true, sink);
  service_records(r, sink);
  provider_adjustment_records(r, sink);
}

}  // namespace x12
