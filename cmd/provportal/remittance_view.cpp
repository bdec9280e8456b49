#include "remittance_view.hpp"

#include <string_view>
#include <utility>

#include <boost/json.hpp>

namespace portal::cli {

namespace json = boost::json;

std::vector<std::string> remittance_columns() {
  return {"payer",
          "payee",
          "check_number",
          "check_date",
          "payment_method",
          "payer_claim_control_number",
          "patient_control_number",
          "claim_status",
          "member_id",
          "service_date",
          "procedure_code",
          "modifiers",
          "charged",
          "allowed",
          "paid",
          "patient_responsibility",
          "adjustments",
          "remarks"};
}

json::array adjustments_json(const std::vector<x12::Adjustment>& list) {
  json::array out;
  for (const auto& a : list)
    out.push_back(json::object{
        {"group", a.group}, {"carc", a.reason}, {"amount", x12::format_cents(a.amount)}});
  return out;
}

json::array strings_json(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& v : list) out.push_back(json::string(v));
  return out;
}

// The claim's fields every record of it repeats.
json::object remittance_claim_record(const x12::Remittance& r, const x12::RemittanceClaim& c) {
  const x12::Party& member = c.subscriber.id.empty() ? c.patient : c.subscriber;
  return json::object{{"payer", r.payer.last_or_org},
                      {"payee", r.payee.last_or_org},
                      {"check_number", r.trace.number},
                      {"check_date", r.payment_date},
                      {"payment_method", r.payment_method},
                      {"payer_claim_control_number", c.payer_claim_control_number},
                      {"patient_control_number", c.patient_control_number},
                      {"claim_status", c.status},
                      {"member_id", member.id}};
}

// The first date of `dates` whose qualifier is one of `qualifiers`, in the order they are given.
std::string first_date(const std::vector<x12::DatePeriod>& dates,
                       std::initializer_list<std::string_view> qualifiers) {
  for (std::string_view q : qualifiers)
    for (const auto& d : dates)
      if (d.qualifier == q) return d.from;
  return {};
}

// The row table and CSV show for an 835 record: the lists as text, adjustments as posting
// screens write them ("CO-45 50; PR-1 20"), modifiers and remarks space-separated.
json::object remittance_row(const json::object& record) {
  json::object row = record;
  auto join = [](const json::value* v, std::string_view sep, auto&& text_of) {
    std::string out;
    if (v == nullptr || !v->is_array()) return out;
    for (const auto& item : v->get_array()) {
      if (!out.empty()) out += sep;
      out += text_of(item);
    }
    return out;
  };
  auto plain = [](const json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  };
  row["adjustments"] = join(record.if_contains("adjustments"), "; ", [&](const json::value& a) {
    if (!a.is_object()) return plain(a);
    const auto& o = a.get_object();
    auto field = [&](std::string_view k) {
      const auto* v = o.if_contains(k);
      return v ? plain(*v) : std::string();
    };
    return field("group") + "-" + field("carc") + " " + field("amount");
  });
  row["modifiers"] = join(record.if_contains("modifiers"), " ", plain);
  row["remarks"] = join(record.if_contains("remarks"), " ", plain);
  return row;
}

bool remittance_line_records(const x12::Remittance& r,
                             const std::function<bool(json::object&&)>& each) {
  for (const auto& c : r.claims) {
    const std::string claim_date = first_date(c.dates, {"232", "050"});
    if (c.lines.empty()) {
      json::object record = remittance_claim_record(r, c);
      record.emplace("service_date", claim_date);
      record.emplace("procedure_code", "");
      record.emplace("modifiers", json::array{});
      record.emplace("charged", x12::format_cents(c.charged));
      record.emplace("allowed", nullptr);
      record.emplace("paid", x12::format_cents(c.paid));
      record.emplace("patient_responsibility", x12::format_cents(c.patient_responsibility));
      record.emplace("adjustments", adjustments_json(c.adjustments));
      record.emplace("remarks", strings_json(c.remarks));
      if (!each(std::move(record))) return false;
    }
    for (const auto& l : c.lines) {
      json::object record = remittance_claim_record(r, c);
      std::string date = first_date(l.dates, {"472", "150"});
      record.emplace("service_date", date.empty() ? claim_date : date);
      record.emplace("procedure_code", l.procedure);
      record.emplace("modifiers", strings_json(l.modifiers));
      record.emplace("charged", x12::format_cents(l.charged));
      if (l.allowed)
        record.emplace("allowed", x12::format_cents(*l.allowed));
      else
        record.emplace("allowed", nullptr);
      record.emplace("paid", x12::format_cents(l.paid));
      x12::Cents owed = 0;
      for (const auto& a : l.adjustments)
        if (a.group == "PR") owed += a.amount;
      record.emplace("patient_responsibility", x12::format_cents(owed));
      record.emplace("adjustments", adjustments_json(l.adjustments));
      std::vector<std::string> remarks = c.remarks;
      remarks.insert(remarks.end(), l.remarks.begin(), l.remarks.end());
      record.emplace("remarks", strings_json(remarks));
      if (!each(std::move(record))) return false;
    }
  }
  return true;
}

// "FILE:segment 15 (SE, loop 2000A) element 1: reason", or "FILE:byte 12: reason" when no
// segment could be read.
std::string finding_text(const std::string& file, const x12::Error& e) {
  std::string out = file + ":";
  if (e.segment_position != 0) {
    out += "segment " + std::to_string(e.segment_position);
    if (!e.segment_id.empty() || !e.loop.empty()) {
      out += " (" + e.segment_id;
      if (!e.loop.empty()) out += std::string(e.segment_id.empty() ? "" : ", ") + "loop " + e.loop;
      out += ")";
    }
  } else if (e.code == x12::ErrorCode::io_error && e.byte_offset == 0) {
    return file + ": " + e.reason;  // not read at all
  } else {
    out += "byte " + std::to_string(e.byte_offset);
  }
  if (e.element != 0) {
    out += " element " + std::to_string(e.element);
    if (e.component != 0) out += "-" + std::to_string(e.component);
  }
  return out + ": " + e.reason;
}

}  // namespace portal::cli
