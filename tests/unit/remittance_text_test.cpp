// The 835 records written as text (x12/remittance_records.hpp through remittance_text.hpp's
// JSON and CSV sinks) are the same bytes as the records `remittance` built as JSON values
// before the text path: the value builders of that time are kept below as the reference, and
// both are run over every 835 of the test data and over generated checks whose values need
// escaping, quoting and the formula guard (several checks, a debit, claims without lines, lines
// without an allowed amount, remarks given twice, PLB items with and without a reference).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "portal/output/json_text.hpp"
#include "portal/output/output.hpp"
#include "provportal/remittance_text.hpp"
#include "provportal/remittance_view.hpp"
#include "x12/reader.hpp"
#include "x12/remittance.hpp"
#include "x12/remittance_records.hpp"
#include "x12_test_util.hpp"

namespace {

namespace json = boost::json;
using namespace portal::cli;
using portal::output::JsonText;

// ---- the reference: the records as `remittance` built them as values before the text path

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

std::string reference_first_date(const std::vector<x12::DatePeriod>& dates,
                                 std::initializer_list<std::string_view> qualifiers) {
  for (std::string_view q : qualifiers)
    for (const auto& d : dates)
      if (d.qualifier == q) return d.from;
  return {};
}

std::vector<json::object> reference_line_records(const x12::Remittance& r) {
  std::vector<json::object> out;
  for (const auto& c : r.claims) {
    const std::string claim_date = reference_first_date(c.dates, {"232", "050"});
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
      out.push_back(std::move(record));
    }
    for (const auto& l : c.lines) {
      json::object record = remittance_claim_record(r, c);
      std::string date = reference_first_date(l.dates, {"472", "150"});
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
      out.push_back(std::move(record));
    }
  }
  return out;
}

std::vector<std::string> claim_columns() {
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
          "charged",
          "allowed",
          "paid",
          "patient_responsibility",
          "adjustments",
          "remarks",
          "lines",
          "file"};
}

std::vector<std::string> check_columns() {
  return {"payer",
          "payer_id",
          "payee",
          "payee_id",
          "check_number",
          "check_date",
          "payment_method",
          "credit_debit",
          "total_paid",
          "claims",
          "lines",
          "charged",
          "claims_paid",
          "patient_responsibility",
          "provider_adjustments",
          "plb",
          "balanced",
          "file"};
}

json::object pick_columns(const json::object& item, const std::vector<std::string>& columns) {
  json::object s;
  for (const auto& c : columns) {
    const auto* v = item.if_contains(c);
    s[c] = v ? *v : json::value(nullptr);
  }
  return s;
}

std::string reference_payer_key(const x12::Remittance& r) {
  return r.trace.originator.empty() ? r.payer.id : r.trace.originator;
}

json::object check_fields(const x12::Remittance& r) {
  return json::object{{"payer", r.payer.last_or_org},
                      {"payee", r.payee.last_or_org},
                      {"check_number", r.trace.number},
                      {"check_date", r.payment_date},
                      {"payment_method", r.payment_method}};
}

// A PLB item as a line-level row: its paid is what it does to the deposit (-amount), so the
// paid of a check's rows add up to BPR02; its reference goes in payer_claim_control_number.
json::object plb_record(const x12::Remittance& r, const x12::ProviderAdjustment& p) {
  json::object record = check_fields(r);
  record.emplace("payer_claim_control_number", p.reference);
  record.emplace("patient_control_number", "");
  record.emplace("claim_status", "");
  record.emplace("member_id", "");
  record.emplace("service_date", p.fiscal_date);
  record.emplace("procedure_code", "");
  record.emplace("modifiers", json::array{});
  record.emplace("charged", "0");
  record.emplace("allowed", nullptr);
  record.emplace("paid", x12::format_cents(-p.amount));
  record.emplace("patient_responsibility", "0");
  record.emplace("adjustments", json::array{json::object{{"group", "PLB"},
                                                         {"carc", p.reason},
                                                         {"amount", x12::format_cents(p.amount)}}});
  record.emplace("remarks", json::array{});
  return record;
}

// The claim-level CAS of a claim with service lines as a line-level row of its own: paid is
// -their sum, so the paid of a check's rows add up to BPR02 (CLP04 = SVC03s - claim CAS).
json::object claim_adjustment_record(const x12::Remittance& r, const x12::RemittanceClaim& c) {
  json::object record = remittance_claim_record(r, c);
  x12::Cents total = 0, owed = 0;
  for (const auto& a : c.adjustments) {
    total += a.amount;
    if (a.group == "PR") owed += a.amount;
  }
  record.emplace("service_date", reference_first_date(c.dates, {"232", "050"}));
  record.emplace("procedure_code", "");
  record.emplace("modifiers", json::array{});
  record.emplace("charged", "0");
  record.emplace("allowed", nullptr);
  record.emplace("paid", x12::format_cents(-total));
  record.emplace("patient_responsibility", x12::format_cents(owed));
  record.emplace("adjustments", adjustments_json(c.adjustments));
  record.emplace("remarks", strings_json(c.remarks));
  return record;
}

json::object claim_record(const x12::Remittance& r, const x12::RemittanceClaim& c) {
  json::object record = remittance_claim_record(r, c);
  record.emplace("service_date", reference_first_date(c.dates, {"232", "050"}));
  record.emplace("charged", x12::format_cents(c.charged));
  x12::Cents allowed = 0;
  bool all_allowed = !c.lines.empty();
  std::vector<x12::Adjustment> adjustments = c.adjustments;
  std::vector<std::string> remarks = c.remarks;
  for (const auto& l : c.lines) {
    if (l.allowed)
      allowed += *l.allowed;
    else
      all_allowed = false;
    adjustments.insert(adjustments.end(), l.adjustments.begin(), l.adjustments.end());
    for (const auto& m : l.remarks)
      if (std::find(remarks.begin(), remarks.end(), m) == remarks.end()) remarks.push_back(m);
  }
  if (all_allowed)
    record.emplace("allowed", x12::format_cents(allowed));
  else
    record.emplace("allowed", nullptr);
  record.emplace("paid", x12::format_cents(c.paid));
  record.emplace("patient_responsibility", x12::format_cents(c.patient_responsibility));
  record.emplace("adjustments", adjustments_json(adjustments));
  record.emplace("remarks", strings_json(remarks));
  record.emplace("lines", c.lines.size());
  return record;
}

json::object check_record(const x12::Remittance& r, bool balanced) {
  json::object record = check_fields(r);
  record.emplace("payer_id", reference_payer_key(r));
  record.emplace("payee_id", r.payee.id);
  record.emplace("credit_debit", r.credit_debit);
  record.emplace("total_paid",
                 x12::format_cents(r.credit_debit == "D" ? -r.total_paid : r.total_paid));
  x12::Cents charged = 0, paid = 0, owed = 0, plb = 0;
  std::size_t lines = 0;
  for (const auto& c : r.claims) {
    charged += c.charged;
    paid += c.paid;
    owed += c.patient_responsibility;
    lines += c.lines.size();
  }
  json::array items;
  for (const auto& p : r.provider_adjustments) {
    plb += p.amount;
    items.push_back(json::object{{"reason", p.reason},
                                 {"reference", p.reference},
                                 {"fiscal_date", p.fiscal_date},
                                 {"amount", x12::format_cents(p.amount)}});
  }
  record.emplace("claims", r.claims.size());
  record.emplace("lines", lines);
  record.emplace("charged", x12::format_cents(charged));
  record.emplace("claims_paid", x12::format_cents(paid));
  record.emplace("patient_responsibility", x12::format_cents(owed));
  record.emplace("provider_adjustments", x12::format_cents(plb));
  record.emplace("plb", std::move(items));
  record.emplace("balanced", balanced);
  return record;
}

// What table and CSV show: the lists as text (the PLB items as "WO:REF 12.5; L6 -3").
json::object row_of(const json::object& record, const std::vector<std::string>& columns) {
  json::object row = remittance_row(record);
  if (const auto* plb = record.if_contains("plb"); plb && plb->is_array()) {
    std::string text;
    for (const auto& item : plb->get_array()) {
      const auto& o = item.get_object();
      if (!text.empty()) text += "; ";
      text += std::string(o.at("reason").get_string());
      if (!o.at("reference").get_string().empty())
        text += ":" + std::string(o.at("reference").get_string());
      text += " " + std::string(o.at("amount").get_string());
    }
    row["plb"] = text;
  }
  return pick_columns(row, columns);
}

std::vector<std::string> line_columns() {
  auto cols = remittance_columns();
  cols.emplace_back("row_type");
  cols.emplace_back("file");
  return cols;
}

// The records of --level LEVEL for one check, as the value path built them.
std::vector<json::object> reference_records(const x12::Remittance& r, const std::string& level,
                                            const std::string& file) {
  std::vector<json::object> out;
  if (level == "check") {
    auto rec = check_record(r, x12::balance(r).empty());
    rec.emplace("file", file);
    out.push_back(std::move(rec));
  } else if (level == "claim") {
    for (const auto& c : r.claims) {
      auto rec = claim_record(r, c);
      rec.emplace("file", file);
      out.push_back(std::move(rec));
    }
  } else {
    for (auto& rec : reference_line_records(r)) {
      rec.emplace("row_type", "service");
      rec.emplace("file", file);
      out.push_back(std::move(rec));
    }
    for (const auto& c : r.claims) {
      if (c.lines.empty() || c.adjustments.empty()) continue;
      auto rec = claim_adjustment_record(r, c);
      rec.emplace("row_type", "claim_adjustment");
      rec.emplace("file", file);
      out.push_back(std::move(rec));
    }
    for (const auto& p : r.provider_adjustments) {
      auto rec = plb_record(r, p);
      rec.emplace("row_type", "provider_adjustment");
      rec.emplace("file", file);
      out.push_back(std::move(rec));
    }
  }
  return out;
}

const std::vector<std::string>& columns_for(const std::string& level) {
  static const auto k_line = line_columns();
  static const auto k_claim = claim_columns();
  static const auto k_check = check_columns();
  return level == "claim" ? k_claim : level == "check" ? k_check : k_line;
}

// JSON Lines and CSV of the checks as StreamPrinter wrote the reference records.
std::string reference_jsonl(const std::vector<x12::Remittance>& checks, const std::string& level,
                            const std::string& file) {
  std::string out;
  for (const auto& r : checks)
    for (const auto& rec : reference_records(r, level, file)) out += json::serialize(rec) + "\n";
  return out;
}

std::string reference_csv(const std::vector<x12::Remittance>& checks, const std::string& level,
                          const std::string& file) {
  const auto& cols = columns_for(level);
  std::string out;
  for (const auto& c : cols) out += (out.empty() ? "" : ",") + portal::output::csv_cell(c);
  out += '\n';
  for (const auto& r : checks)
    for (const auto& rec : reference_records(r, level, file)) {
      const json::object row = row_of(rec, cols);
      std::string line;
      for (std::size_t i = 0; i < cols.size(); ++i)
        line += (i ? "," : "") + portal::output::csv_cell(portal::output::cell_text(
                                     portal::output::at_path(row, cols[i])));
      out += line + '\n';
    }
  return out;
}

std::string reference_content(const x12::Remittance& r) {
  json::array content;
  content.push_back(check_record(r, true));
  for (auto& rec : reference_line_records(r)) content.push_back(std::move(rec));
  for (const auto& p : r.provider_adjustments) content.push_back(plb_record(r, p));
  return json::serialize(content);
}

// ---- the text path

void records_of(const x12::Remittance& r, const std::string& level, x12::RecordSink& sink) {
  if (level == "check")
    x12::check_record(r, x12::balance(r).empty(), sink);
  else if (level == "claim")
    x12::claim_records(r, sink);
  else
    x12::line_records(r, sink);
}

RowExtras extras_for(const std::string& level, std::string_view file) {
  return RowExtras{.row_type = level == "line", .with_file = true, .file = file};
}

std::string text_jsonl(const std::vector<x12::Remittance>& checks, const std::string& level,
                       const std::string& file) {
  JsonText out;
  JsonRecords sink(out, extras_for(level, file), true);
  for (const auto& r : checks) records_of(r, level, sink);
  return std::string(out.view());
}

std::string text_csv(const std::vector<x12::Remittance>& checks, const std::string& level,
                     const std::string& file) {
  JsonText out;
  CsvRecords sink(out, columns_for(level), extras_for(level, file));
  sink.header();
  for (const auto& r : checks) records_of(r, level, sink);
  return std::string(out.view());
}

std::string text_content(const x12::Remittance& r) {
  JsonText out;
  JsonRecords sink(out, {}, false);
  out.begin_array();
  x12::content_records(r, sink);
  out.end_array();
  return std::string(out.view());
}

std::vector<x12::Remittance> read_checks(const std::string& bytes) {
  std::vector<x12::Remittance> out;
  x12::Reader reader = x12::Reader::from_memory(std::string_view(bytes));
  auto summary = x12::read_835(reader, [&out](x12::Remittance&& r, const x12::Segment&) {
    out.push_back(std::move(r));
    return true;
  });
  EXPECT_TRUE(summary.problems.empty());
  return out;
}

// Checks whose values try every rule of the writers.
std::vector<x12::Remittance> generated_checks() {
  std::vector<x12::Remittance> out;
  for (int n = 0; n < 4; ++n) {
    x12::Remittance r;
    r.total_paid = 12345 + n;
    r.credit_debit = n == 2 ? "D" : "C";
    r.payment_method = n % 2 ? "ACH" : "CHK";
    r.payment_date = "2026-01-0" + std::to_string(n + 1);
    r.trace = {"1", "CHK,\"" + std::to_string(n) + "\"", n == 1 ? "" : "1999999999", ""};
    r.payer = {"PR", '2', "ACME \"HEALTH\", PLAN\\", "", "", "XV", "PAYER-" + std::to_string(n)};
    r.payee = {"PE", '2', n == 3 ? "=CLINIC()" : "LAKESHORE\tCLINIC\n", "", "", "XX", "123"};
    for (int k = 0; k < 3; ++k) {
      x12::RemittanceClaim c;
      c.patient_control_number = k == 1 ? "-12.5" : "+PCN" + std::to_string(k);
      c.status = k == 2 ? "22" : "1";
      c.charged = k == 2 ? -30000 : 30000;
      c.paid = k == 2 ? -20000 : 20050;
      c.patient_responsibility = 2000 * k;
      c.payer_claim_control_number = "@ICN" + std::to_string(k);
      c.patient = {"QC", '1', "DOE", "JANE", "", "MI", "M\x01" + std::to_string(k)};
      if (k != 1) c.subscriber = {"IL", '1', "DOE", "JOHN", "", "MI", "S" + std::to_string(k)};
      c.remarks =
          k == 0 ? std::vector<std::string>{"MA01", "MA01", "N1"} : std::vector<std::string>{};
      c.dates = {{k == 1 ? "050" : "232", "2026-01-0" + std::to_string(k + 1), ""}};
      c.adjustments = {{"CO", "A2", 5000 + k, ""}, {"PR", "1", -250, ""}};
      for (int m = 0; m < (k == 1 ? 0 : 2 + k); ++m) {
        x12::RemittanceLine l;
        l.procedure = m == 0 ? "99213" : "-99214";
        if (m == 1) l.modifiers = {"25", "G,T"};
        l.charged = 15000 - m;
        l.paid = 10000 + 7 * m;
        if (m != 2) l.dates = {{m == 0 ? "472" : "150", "2026-02-0" + std::to_string(m + 1), ""}};
        l.adjustments = {{"CO", "45", 4000 + m, ""}, {"PR", "2", 1000, "1"}};
        if (m != 1) l.allowed = 11000 + m;
        l.remarks = m == 0 ? std::vector<std::string>{"N130", "MA01"}
                           : std::vector<std::string>{"N130", "\"M15\""};
        c.lines.push_back(std::move(l));
      }
      r.claims.push_back(std::move(c));
    }
    r.provider_adjustments = {{"123", "2026-12-31", "WO", "R,1", 1500},
                              {"123", "2026-12-31", "72", "", -1000 - n}};
    if (n == 3) r.provider_adjustments.clear();
    out.push_back(std::move(r));
  }
  return out;
}

void expect_same(const std::vector<x12::Remittance>& checks, const std::string& what) {
  ASSERT_FALSE(checks.empty()) << what;
  for (const std::string level : {"line", "claim", "check"}) {
    EXPECT_EQ(text_jsonl(checks, level, "in,\"box\".835"),
              reference_jsonl(checks, level, "in,\"box\".835"))
        << what << " --level " << level << " -o jsonl";
    EXPECT_EQ(text_csv(checks, level, "in,\"box\".835"),
              reference_csv(checks, level, "in,\"box\".835"))
        << what << " --level " << level << " -o csv";
  }
  for (const auto& r : checks) EXPECT_EQ(text_content(r), reference_content(r)) << what;
  // The values the other formats and `x12 parse --as 835` show: the same records.
  for (const auto& r : checks) {
    std::vector<json::object> values;
    remittance_line_records(r, [&values](json::object&& o) {
      values.push_back(std::move(o));
      return true;
    });
    EXPECT_EQ(json::value_from(values), json::value_from(reference_line_records(r))) << what;
  }
}

TEST(RemittanceText, SameBytesAsTheValuesForTheTestData835s) {
  for (const char* name :
       {"835_x221a1_example1.x12", "835_x221a1_example2.x12", "835_provportal_written.x12"})
    expect_same(read_checks(x12::test::read_data(name)), name);
}

TEST(RemittanceText, SameBytesAsTheValuesForGeneratedChecks) {
  expect_same(generated_checks(), "generated checks");
}

TEST(RemittanceText, CentsAsTextAreFormatCents) {
  for (const x12::Cents c :
       std::initializer_list<x12::Cents>{0LL, 1LL, -1LL, 10LL, 100LL, 1250LL, -127LL, 10000LL,
                                         123456789LL, INT64_MAX, INT64_MIN}) {
    char buf[x12::k_cents_text_max];
    EXPECT_EQ(std::string(buf, x12::format_cents_to(buf, c)), x12::format_cents(c)) << c;
  }
}

}  // namespace

namespace {

TEST(RemittanceText, CsvMembersOutOfColumnOrderOrRepeatedAreTheCellsTheyName) {
  // A row is written as its members come while they follow the columns; one that comes back to
  // an earlier column (or repeats one) turns the row into cells, with the same bytes as a row
  // built cell by cell: the last value of a member wins, columns not given are empty.
  JsonText out;
  CsvRecords csv(out, {"a", "b", "c", "d", "e"}, {});
  csv.begin_record(x12::RecordKind::service);
  csv.text("b", "1,2");
  csv.amount("d", -1250);
  csv.end_record(x12::RecordKind::service);
  csv.begin_record(x12::RecordKind::service);
  csv.text("c", "=x");
  csv.count("e", 7);
  csv.text("a", "first");
  csv.flag("b", true);
  csv.text("a", "again \"quoted\"");
  csv.begin_list("d");
  csv.code("M1");
  csv.code("M2");
  csv.end_list();
  csv.text("unknown", "dropped");
  csv.end_record(x12::RecordKind::service);
  csv.begin_record(x12::RecordKind::service);
  csv.begin_list("a");
  csv.adjustment("CO", "45", 100);
  csv.adjustment("PR", "1", -5);
  csv.end_list();
  csv.no_amount("c");
  csv.begin_list("nothing");
  csv.code("x");
  csv.end_list();
  csv.text("e", "");
  csv.end_record(x12::RecordKind::service);
  csv.begin_record(x12::RecordKind::service);
  csv.end_record(x12::RecordKind::service);
  EXPECT_EQ(out.view(),
            ",\"1,2\",,-12.5,\n"
            "\"again \"\"quoted\"\"\",true,'=x,M1 M2,7\n"
            "CO-45 1; PR-1 -0.05,,,,\n"
            ",,,,\n");
}

}  // namespace
