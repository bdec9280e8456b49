// CSV (RFC 4180) as a hand-written state machine over 64 KiB chunks: no line is ever held
// whole, so a record over the limit costs no memory; it is scanned to its end and reported.
#include <array>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/batch/reader_detail.hpp"
#include "portal/util/text.hpp"

namespace portal::batch::detail {

namespace {

constexpr std::array<bool, 256> byte_set(std::string_view bytes) {
  std::array<bool, 256> set{};
  for (char c : bytes) set[static_cast<unsigned char>(c)] = true;
  return set;
}

// The bytes that end a run of plain content in an unquoted and in a quoted cell.
constexpr auto k_unquoted_stops = byte_set(",\r\n");
constexpr auto k_quoted_stops = byte_set("\"\r\n");

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

class CsvReader final : public RecordReader {
 public:
  CsvReader(std::istream& in, std::string name, ReaderLimits limits)
      : m_in(in), m_name(std::move(name)), m_limits(limits) {}

  Expected<std::optional<Record>> next() override;

 private:
  enum class State { record_start, cell_start, unquoted, quoted, quote_in_quoted };
  struct Cell {
    std::size_t begin = 0;  // [begin, end) of the cell's text in m_buf
    std::size_t end = 0;
    std::size_t line = 0;  // where the cell starts
  };

  bool scan_record();
  void start_cell(const char* at);
  void end_cell();
  void append(const char* from, const char* to);
  void drop_record_text();
  void count_line_break(const char* at);
  Expected<void> read_header();
  std::optional<std::string> record_problem() const;
  std::optional<std::string> cell_problem(std::size_t i) const;
  std::string column(std::size_t i) const;
  Error input_error(const std::string& where, const std::string& what, std::string hint) const;
  Error read_error() const;

  ChunkedInput m_in;
  std::string m_name;
  ReaderLimits m_limits;
  std::vector<std::string> m_header;
  bool m_header_read = false;
  std::optional<Error> m_error;  // once the file cannot be read, every call says so again
  std::size_t m_index = 0;
  std::size_t m_line = 1;                     // the line of the next byte
  std::uint64_t m_lf_ends_crlf = UINT64_MAX;  // offset of an LF that completes a CRLF

  // The record being scanned: its cells' text back to back, so a record costs one buffer.
  std::string m_buf;
  std::vector<Cell> m_cells;
  std::size_t m_record_line = 0;
  std::uint64_t m_record_start = 0;
  bool m_too_long = false;
  std::size_t m_quote_line = 0;                   // where the last quoted cell opened
  bool m_unterminated = false;                    // the input ended inside quotes
  std::optional<std::size_t> m_text_after_quote;  // the cell with text after its closing quote
};

void CsvReader::count_line_break(const char* at) {
  const std::uint64_t offset = m_in.offset_of(at);
  if (*at == '\r') {
    ++m_line;
    m_lf_ends_crlf = offset + 1;
  } else if (offset != m_lf_ends_crlf) {
    ++m_line;
  }
}

void CsvReader::start_cell(const char* at) {
  if (m_too_long) return;
  // Checked here too, so that a line of nothing but commas cannot grow m_cells without bound.
  if (m_in.offset_of(at) - m_record_start > m_limits.max_record_bytes) {
    drop_record_text();
    return;
  }
  m_cells.push_back({m_buf.size(), m_buf.size(), m_line});
}

void CsvReader::end_cell() {
  if (!m_too_long) m_cells.back().end = m_buf.size();
}

void CsvReader::append(const char* from, const char* to) {
  if (m_too_long || from == to) return;
  if (m_in.offset_of(to) - m_record_start > m_limits.max_record_bytes) {
    drop_record_text();
    return;
  }
  m_buf.append(from, to);
}

// The record is over the limit: forget what was kept of it, and keep nothing more.
void CsvReader::drop_record_text() {
  m_too_long = true;
  m_buf.clear();
  m_cells.clear();
}

// Reads one record into m_buf and m_cells; false at the end of the input when none is left.
bool CsvReader::scan_record() {
  m_buf.clear();
  m_cells.clear();
  m_too_long = m_unterminated = false;
  m_text_after_quote.reset();
  State state = State::record_start;
  while (m_in.available()) {
    const char* p = m_in.cur();
    const char* const end = m_in.end();
    switch (state) {
      case State::record_start:
        // Blank lines, and the LF of a CRLF that ended the record before, belong to no record.
        if (*p == '\r' || *p == '\n') {
          count_line_break(p);
          m_in.advance_to(p + 1);
          continue;
        }
        m_record_line = m_line;
        m_record_start = m_in.offset_of(p);
        state = State::cell_start;
        continue;
      case State::cell_start:
        start_cell(p);
        if (*p == '"') {
          m_quote_line = m_line;
          m_in.advance_to(p + 1);
          state = State::quoted;
        } else {
          state = State::unquoted;
        }
        continue;
      case State::unquoted: {
        // A quote inside an unquoted cell (5'10") is kept as text, as most tools do.
        const char* q = p;
        while (q != end && !k_unquoted_stops[static_cast<unsigned char>(*q)]) ++q;
        append(p, q);
        if (q == end) {
          m_in.advance_to(q);
          continue;
        }
        m_in.advance_to(q + 1);
        end_cell();
        if (*q == ',') {
          state = State::cell_start;
          continue;
        }
        count_line_break(q);
        return true;
      }
      case State::quoted: {
        const char* q = p;
        while (q != end && !k_quoted_stops[static_cast<unsigned char>(*q)]) ++q;
        if (q == end) {
          append(p, q);
          m_in.advance_to(q);
        } else if (*q == '"') {
          append(p, q);
          m_in.advance_to(q + 1);
          state = State::quote_in_quoted;
        } else {
          // A line break inside quotes is part of the value, kept as written, and still a line.
          count_line_break(q);
          append(p, q + 1);
          m_in.advance_to(q + 1);
        }
        continue;
      }
      case State::quote_in_quoted:
        // Either the second quote of a doubled "" or the closing quote of the cell.
        if (*p == '"') {
          append(p, p + 1);
          m_in.advance_to(p + 1);
          state = State::quoted;
          continue;
        }
        if (*p == ',' || *p == '\r' || *p == '\n') {
          m_in.advance_to(p + 1);
          end_cell();
          if (*p == ',') {
            state = State::cell_start;
            continue;
          }
          count_line_break(p);
          return true;
        }
        if (!m_text_after_quote && !m_too_long) m_text_after_quote = m_cells.size() - 1;
        state = State::unquoted;
        continue;
    }
  }
  // The end of the input also ends the last record, with or without a line break.
  switch (state) {
    case State::record_start:
      return false;
    case State::cell_start:  // "a,b," ends with an empty cell
      start_cell(m_in.cur());
      end_cell();
      break;
    case State::quoted:
      m_unterminated = true;
      end_cell();
      break;
    case State::unquoted:
    case State::quote_in_quoted:
      end_cell();
      break;
  }
  return true;
}

std::string CsvReader::column(std::size_t i) const {
  if (i < m_header.size()) return "column \"" + m_header[i] + "\"";
  return "column " + std::to_string(i + 1);
}

// What is wrong with the bytes of cell i, if anything: a NUL byte or invalid UTF-8.
std::optional<std::string> CsvReader::cell_problem(std::size_t i) const {
  const Cell& cell = m_cells[i];
  const std::string_view text(m_buf.data() + cell.begin, cell.end - cell.begin);
  if (text.find('\0') != std::string_view::npos) {
    return "contains a NUL byte (is the file UTF-16 or binary?); save the batch as UTF-8 CSV";
  }
  if (auto bad = find_invalid_utf8(text)) {
    return "is not valid UTF-8 (at byte " + std::to_string(*bad + 1) +
           " of it); save the batch as UTF-8 CSV";
  }
  return std::nullopt;
}

// Why the scanned record cannot be used, if it cannot. Never quotes a cell's text: it is PHI.
std::optional<std::string> CsvReader::record_problem() const {
  const auto line = [this] { return "line " + std::to_string(m_record_line); };
  if (m_too_long) {
    std::string problem = too_long_problem(m_record_line, m_limits.max_record_bytes);
    if (m_unterminated) {
      problem += " (a quoted value opened on line " + std::to_string(m_quote_line) +
                 " is never closed, so the rest of the file became part of it)";
    }
    return problem;
  }
  if (m_unterminated) {
    return line() + ", " + column(m_cells.size() - 1) + ": the quoted value opened on line " +
           std::to_string(m_quote_line) +
           " is never closed before the end of the file; add the closing quote (\")";
  }
  if (m_text_after_quote) {
    const std::size_t i = *m_text_after_quote;
    return "line " + std::to_string(m_cells[i].line) + ", " + column(i) +
           ": text follows the closing quote of a quoted value; inside quotes, write a quote as "
           "two quotes (\"\")";
  }
  if (m_cells.size() > m_header.size()) {
    return line() + ": the row has " + std::to_string(m_cells.size()) +
           " cells but the header has " + std::to_string(m_header.size()) +
           " columns; put values that contain commas in quotes (\"Smith, Jr.\") or remove the "
           "extra commas";
  }
  if (is_plain_ascii(m_buf)) return std::nullopt;  // no NUL byte, valid UTF-8
  for (std::size_t i = 0; i < m_cells.size(); ++i) {
    if (auto problem = cell_problem(i)) {
      return "line " + std::to_string(m_cells[i].line) + ", " + column(i) + ": the value " +
             *problem;
    }
  }
  return std::nullopt;
}

Error CsvReader::input_error(const std::string& where, const std::string& what,
                             std::string hint) const {
  return Error(ErrorKind::input, m_name + ": " + where + ": " + what, std::move(hint));
}

Error CsvReader::read_error() const {
  return Error(
      ErrorKind::input,
      m_name + ": cannot read the input after line " + std::to_string(m_line) + " (I/O error)",
      "Check that the file is readable, then run the command again.");
}

Expected<void> CsvReader::read_header() {
  const std::string example_hint =
      "The first line names the columns, e.g. ref,member_id,first_name,last_name,...; the names "
      "are the field names of the record's schema.";
  if (!scan_record()) {
    if (m_in.failed()) return fail(read_error());
    return fail(ErrorKind::input,
                m_name +
                    ": line 1: the file is empty, but a CSV batch needs a header row naming "
                    "its columns",
                example_hint);
  }
  const std::string line = "line " + std::to_string(m_record_line);
  if (m_too_long) {
    return fail(input_error(
        line, "the header row is longer than " + describe_size(m_limits.max_record_bytes),
        example_hint));
  }
  if (m_unterminated) {
    return fail(input_error(line,
                            "the quoted column name opened on line " +
                                std::to_string(m_quote_line) + " is never closed",
                            example_hint));
  }
  if (m_text_after_quote) {
    return fail(input_error(line + ", column " + std::to_string(*m_text_after_quote + 1),
                            "text follows the closing quote of a quoted column name",
                            example_hint));
  }
  for (std::size_t i = 0; i < m_cells.size(); ++i) {
    const std::string col = line + ", column " + std::to_string(i + 1);
    if (auto problem = cell_problem(i)) {
      return fail(input_error(col, "the column name " + *problem, example_hint));
    }
    const Cell& cell = m_cells[i];
    const std::string name(trim(std::string_view(m_buf).substr(cell.begin, cell.end - cell.begin)));
    if (name.empty()) {
      return fail(input_error(col, "the header has an empty column name",
                              "Name the column or remove it (a comma at the end of the header "
                              "line makes an empty column)."));
    }
    for (std::size_t j = 0; j < m_header.size(); ++j) {
      if (m_header[j] == name) {
        return fail(input_error(
            col,
            "the column name \"" + name + "\" is already used by column " + std::to_string(j + 1),
            "Each column may appear once: rename or remove one of them."));
      }
    }
    m_header.push_back(name);
  }
  return {};
}

Expected<std::optional<Record>> CsvReader::next() {
  if (m_error) return fail(*m_error);
  if (!m_header_read) {
    if (auto header = read_header(); !header) {
      m_error = header.error();
      return fail(*m_error);
    }
    m_header_read = true;
  }
  const bool got = scan_record();
  if (m_in.failed()) {
    m_error = read_error();
    return fail(*m_error);
  }
  if (!got) return std::nullopt;

  Record record;
  record.index = m_index++;
  record.line = m_record_line;
  record.problem = record_problem();
  // A record refused for one of its cells still says who it is: every cell that can be read
  // (its ref above all) goes with it, so a script finds its result by ref. Cells cut short by
  // a record too long or a quote never closed cannot be trusted.
  if (record.problem && (m_too_long || m_unterminated)) return record;
  record.fields.reserve(m_cells.size());
  for (std::size_t i = 0; i < m_cells.size() && i < m_header.size(); ++i) {
    const Cell& cell = m_cells[i];
    if (cell.end == cell.begin) continue;  // empty and absent read the same
    if (record.problem && cell_problem(i)) continue;
    record.fields.emplace(m_header[i],
                          std::string_view(m_buf.data() + cell.begin, cell.end - cell.begin));
  }
  return record;
}

}  // namespace

std::unique_ptr<RecordReader> make_csv_reader(std::istream& in, std::string name,
                                              ReaderLimits limits) {
  return std::make_unique<CsvReader>(in, std::move(name), limits);
}

}  // namespace portal::batch::detail
