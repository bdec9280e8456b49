#include "remittance_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
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
      m_cell_begin(m_columns.size()),
      m_cell_end(m_columns.size()),
      m_out(out),
      m_extras(extras),
      m_list_column(std::string_view::npos) {}

void CsvRecords::header() {
  std::string line;
  for (const auto& c : m_columns) {
    if (!line.empty()) line += ',';
    output::append_csv_cell(line, c);
  }
  line += '\n';
  m_out.append(line);
}

namespace {

// The bytes that make append_csv_cell quote a cell, and those that make it consider the
// formula guard when a cell starts with one.
constexpr std::array<bool, 256> k_quoted = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {',', '"', '\r', '\n'}) t[c] = true;
  return t;
}();
constexpr std::array<bool, 256> k_guarded = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {'=', '+', '-', '@', '\t', '\r'}) t[c] = true;
  return t;
}();

// `a` == `b` compared in line: column names are a few bytes.
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace

std::size_t CsvRecords::column(std::string_view key) const {
  if (m_next < m_columns.size() && same(m_columns[m_next], key)) return m_next;
  for (std::size_t i = 0; i < m_columns.size(); ++i)
    if (same(m_columns[i], key)) return i;
  return std::string_view::npos;
}

void CsvRecords::grow(std::size_t n) {
  const std::size_t room = std::max<std::size_t>({m_line_room * 2, m_line_size + n, 256});
  auto line = std::make_unique_for_overwrite<char[]>(room);
  if (m_line_size != 0) std::memcpy(line.get(), m_line.get(), m_line_size);
  m_line = std::move(line);
  m_line_room = room;
}

void CsvRecords::raw(std::string_view text) {
  char* out = room(text.size());
  for (char c : text) *out++ = c;
  m_line_size += text.size();
}

void CsvRecords::commas(std::size_t n) {
  char* out = room(n);
  for (std::size_t k = 0; k < n; ++k) out[k] = ',';
  m_line_size += n;
}

void CsvRecords::cell_text(std::string_view text) {
  // append_csv_cell's bytes: a cell that needs neither quotes nor a look at the formula guard
  // (nearly every cell of a remittance) is copied as it is checked.
  char* out = room(text.size());
  bool plain = text.empty() || !k_guarded[static_cast<unsigned char>(text.front())];
  for (std::size_t i = 0; plain && i < text.size(); ++i) {
    const char c = text[i];
    plain = !k_quoted[static_cast<unsigned char>(c)];
    out[i] = c;
  }
  if (plain) {
    m_line_size += text.size();
    return;
  }
  m_scratch.clear();
  output::append_csv_cell(m_scratch, text);
  raw(m_scratch);
}

bool CsvRecords::open(std::size_t i) {
  if (m_streamed && i < m_next) to_cells();
  m_set[i] = true;
  if (!m_streamed) {
    m_cells[i].clear();
    m_next = i + 1;
    return false;
  }
  // Each column from m_next through i but the first one has a comma before it.
  const std::size_t from = std::max<std::size_t>(m_next, 1);
  if (i >= from) commas(i - from + 1);
  m_cell_begin[i] = static_cast<std::uint32_t>(m_line_size);
  m_next = i + 1;
  return true;
}

void CsvRecords::put(std::size_t i, std::string_view value) {
  if (open(i)) {
    cell_text(value);
    close(i);
  } else {
    output::append_csv_cell(m_cells[i], value);
  }
}

void CsvRecords::to_cells() {
  for (std::size_t j = 0; j < m_next; ++j)
    if (m_set[j])
      m_cells[j].assign(m_line.get() + m_cell_begin[j], m_cell_end[j] - m_cell_begin[j]);
  m_line_size = 0;
  m_streamed = false;
}

void CsvRecords::begin_record(x12::RecordKind) {
  m_next = 0;
  m_line_size = 0;
  m_streamed = true;
  std::fill(m_set.begin(), m_set.end(), false);
}

void CsvRecords::end_record(x12::RecordKind kind) {
  if (m_extras.row_type) text("row_type", x12::to_string(kind));
  if (m_extras.with_file) text("file", m_extras.file);
  if (m_streamed) {
    const std::size_t from = std::max<std::size_t>(m_next, 1);
    if (m_columns.size() > from) commas(m_columns.size() - from);
    *room(1) = '\n';
    ++m_line_size;
    m_out.append(std::string_view(m_line.get(), m_line_size));
    return;
  }
  for (std::size_t i = 0; i < m_cells.size(); ++i) {
    if (i) m_out.append(",");
    if (m_set[i]) m_out.append(m_cells[i]);
  }
  m_out.append("\n");
}

void CsvRecords::text(std::string_view key, std::string_view value) {
  if (const std::size_t i = column(key); i != std::string_view::npos) put(i, value);
}

void CsvRecords::amount(std::string_view key, x12::Cents cents) {
  if (const std::size_t i = column(key); i != std::string_view::npos)
    put(i, CentsText(cents).view());
}

void CsvRecords::no_amount(std::string_view key) {
  if (const std::size_t i = column(key); i != std::string_view::npos && open(i)) close(i);
}

void CsvRecords::count(std::string_view key, std::size_t n) {
  const std::size_t i = column(key);
  if (i == std::string_view::npos) return;
  char buf[24];
  const std::string_view digits(
      buf, static_cast<std::size_t>(std::to_chars(buf, buf + 24, n).ptr - buf));
  if (open(i)) {
    raw(digits);
    close(i);
  } else {
    m_cells[i] += digits;
  }
}

void CsvRecords::flag(std::string_view key, bool value) {
  const std::size_t i = column(key);
  if (i == std::string_view::npos) return;
  const std::string_view text = value ? "true" : "false";
  if (open(i)) {
    raw(text);
    close(i);
  } else {
    m_cells[i] += text;
  }
}

void CsvRecords::begin_list(std::string_view key) {
  // The list's text goes into its cell at end_list(); nothing else is written in between.
  m_list_column = column(key);
  if (m_list_column != std::string_view::npos) open(m_list_column);
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
  const std::size_t i = m_list_column;
  m_list_column = std::string_view::npos;
  if (i == std::string_view::npos) return;
  if (m_streamed) {
    cell_text(m_list);
    close(i);
  } else {
    output::append_csv_cell(m_cells[i], m_list);
  }
}

// ---- values

void ValueRecords::end_record(x12::RecordKind kind) {
  m_json.end_record(kind);
  boost::json::value record = boost::json::parse(m_text.view());
  m_each(std::move(record.as_object()));
}

}  // namespace portal::cli
