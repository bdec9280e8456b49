#include "remittance_view.hpp"

#include <string_view>
#include <utility>

#include <boost/json.hpp>

#include "remittance_text.hpp"

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
  bool more = true;
  ValueRecords records([&each, &more](json::object&& record) {
    if (more) more = each(std::move(record));
  });
  x12::service_records(r, records);
  return more;
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
