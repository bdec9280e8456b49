#include "remittance_text.hpp"

#include <charconv>
#include <utility>

#include <boost/json/parse.hpp>

#include "portal/output/output.hpp"

namespace portal::cli {

namespace {

// format_cents' text without a std::string.
struct CentsText {
  explicit CentsText(x12::Cents cents) : end(x12::format_cents_to(buf, cents)) {}
  std::string_view view() const { return {buf, static_cast<std::size_t>(end - buf)}; }
  char buf[x12::k_cents_text_max];
  char* end;
};

}  // namespace

// ---- JSON

void JsonRecords::begin_record(x12::RecordKind) { m_out.begin_object(); }

void JsonRecords::end_record(x12::RecordKind kind) {
  if (m_extras.row_type) {
    m_out.key("row_type");
    m_out.string(x12::to_string(kind));
  }
  if (m_extras.with_file) {
    m_out.key("file");
    m_out.string(m_extras.file);
  }
  m_out.end_object();
  if (m_lines) m_out.newline();
}

void JsonRecords::text(std::string_view key, std::string_view value) {
  m_out.key(key);
  m_out.string(value);
}

void JsonRecords::amount(std::string_view key, x12::Cents cents) {
  m_out.key(key);
  m_out.string(CentsText(cents).view());
}

void JsonRecords::no_amount(std::string_view key) {
  m_out.key(key);
  m_out.null();
}

void JsonRecords::count(std::string_view key, std::size_t n) {
  m_out.key(key);
  m_out.integer(static_cast<long long>(n));
}

void JsonRecords::flag(std::string_view key, bool value) {
  m_out.key(key);
  m_out.boolean(value);
}

void JsonRecords::begin_list(std::string_view key) {
  m_out.key(key);
  m_out.begin_array();
}

void JsonRecords::code(std::string_view value) { m_out.string(value); }

void JsonRecords::adjustment(std::string_view group, std::string_view reason, x12::Cents amount) {
  m_out.begin_object();
  m_out.key("group");
  m_out.string(group);
  m_out.key("carc");
  m_out.string(reason);
  m_out.key("amount");
  m_out.string(CentsText(amount).view());
  m_out.end_object();
}

void JsonRecords::plb_item(const x12::ProviderAdjustment& p) {
  m_out.begin_object();
  m_out.key("reason");
  m_out.string(p.reason);
  m_out.key("reference");
  m_out.string(p.reference);
  m_out.key("fiscal_date");
  m_out.string(p.fiscal_date);
  m_out.key("amount");
  m_out.string(CentsText(p.amount).view());
  m_out.end_object();
}

void JsonRecords::end_list() { m_out.end_array(); }

// ---- CSV

CsvRecords::CsvRecords(output::JsonText& out, std::vector<std::string> columns, RowExtras extras)
    : m_columns(std::move(columns)),
      m_cells(m_columns.size()),
      m_set(m_columns.size()),
      m_out(out),
      m_extras(extras) {}

void CsvRecords::header() {
  std::string line;
  for (const auto& c : m_columns) {
    if (!line.empty()) line += ',';
    output::append_csv_cell(line, c);
  }
  line += '\n';
  m_out.append(line);
}

std::string* CsvRecords::cell(std::string_view key) {
  std::size_t i = m_next;
  if (i >= m_columns.size() || m_columns[i] != key) {
    for (i = 0; i < m_columns.size() && m_columns[i] != key; ++i) {
    }
    if (i == m_columns.size()) return nullptr;
  }
  m_next = i + 1;
  m_set[i] = true;
  m_cells[i].clear();
  return &m_cells[i];
}

void CsvRecords::begin_record(x12::RecordKind) {
  m_next = 0;
  std::fill(m_set.begin(), m_set.end(), false);
}

void CsvRecords::end_record(x12::RecordKind kind) {
  if (m_extras.row_type) text("row_type", x12::to_string(kind));
  if (m_extras.with_file) text("file", m_extras.file);
  for (std::size_t i = 0; i < m_cells.size(); ++i) {
    if (i) m_out.append(",");
    if (m_set[i]) m_out.append(m_cells[i]);
  }
  m_out.append("\n");
}

void CsvRecords::text(std::string_view key, std::string_view value) {
  if (auto* c = cell(key)) output::append_csv_cell(*c, value);
}

void CsvRecords::amount(std::string_view key, x12::Cents cents) {
  if (auto* c = cell(key)) output::append_csv_cell(*c, CentsText(cents).view());
}

void CsvRecords::no_amount(std::string_view key) { cell(key); }

void CsvRecords::count(std::string_view key, std::size_t n) {
  if (auto* c = cell(key)) {
    char buf[24];
    *c +=
        std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + 24, n).ptr - buf));
  }
}

void CsvRecords::flag(std::string_view key, bool value) {
  if (auto* c = cell(key)) *c += value ? "true" : "false";
}

void CsvRecords::begin_list(std::string_view key) {
  m_list_cell = cell(key);
  m_list.clear();
  m_first_item = true;
}

void CsvRecords::code(std::string_view value) {
  if (!m_first_item) m_list += ' ';
  m_first_item = false;
  m_list += value;
}

void CsvRecords::adjustment(std::string_view group, std::string_view reason, x12::Cents amount) {
  if (!m_first_item) m_list += "; ";
  m_first_item = false;
  m_list += group;
  m_list += '-';
  m_list += reason;
  m_list += ' ';
  m_list += CentsText(amount).view();
}

void CsvRecords::plb_item(const x12::ProviderAdjustment& p) {
  if (!m_first_item) m_list += "; ";
  m_first_item = false;
  m_list += p.reason;
  if (!p.reference.empty()) {
    m_list += ':';
    m_list += p.reference;
  }
  m_list += ' ';
  m_list += CentsText(p.amount).view();
}

void CsvRecords::end_list() {
  if (m_list_cell) output::append_csv_cell(*m_list_cell, m_list);
  m_list_cell = nullptr;
}

// ---- values

void ValueRecords::end_record(x12::RecordKind kind) {
  m_json.end_record(kind);
  boost::json::value record = boost::json::parse(m_text.view());
  m_each(std::move(record.as_object()));
}

}  // namespace portal::cli
