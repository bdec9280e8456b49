// The remittance records of x12/remittance_records.hpp written as text straight from the parsed
// 835 (no JSON values in between): as JSON (JSON Lines rows, the ledger's content, and through
// json::parse the values the other formats show) and as CSV rows. A megabyte of rows is
// written out at once by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/output/json_text.hpp"
#include "x12/remittance_records.hpp"

namespace portal::cli {

// What a row adds to the record's own members: row_type (the records of --level line) and
// file (the 835 it came from).
struct RowExtras {
  bool row_type = false;
  bool with_file = false;
  std::string_view file;
};

// The records as JSON objects into `out`: one line each (JSON Lines) when `lines`, else as the
// values of the array or object open in `out`. The same bytes as Boost.JSON's serializer writes
// for the same record built as values.
class JsonRecords final : public x12::RecordSink {
 public:
  JsonRecords(output::JsonText& out, RowExtras extras, bool lines)
      : m_out(out), m_extras(extras), m_lines(lines) {}
  void set_file(std::string_view file) { m_extras.file = file; }

  void begin_record(x12::RecordKind kind) override;
  void end_record(x12::RecordKind kind) override;
  void text(std::string_view key, std::string_view value) override;
  void amount(std::string_view key, x12::Cents cents) override;
  void no_amount(std::string_view key) override;
  void count(std::string_view key, std::size_t n) override;
  void flag(std::string_view key, bool value) override;
  void begin_list(std::string_view key) override;
  void code(std::string_view value) override;
  void adjustment(std::string_view group, std::string_view reason, x12::Cents amount) override;
  void plb_item(const x12::ProviderAdjustment& item) override;
  void end_list() override;

 private:
  output::JsonText& m_out;
  RowExtras m_extras;
  bool m_lines;
};

// The records as CSV rows of `columns` into `out` (the cells table and CSV show: adjustments
// "CO-45 50; PR-1 20", modifiers and remarks space-separated, PLB items "WO:REF 12.5; L6 -3",
// a missing amount empty). Members not among the columns are left out; columns a record lacks
// are empty.
class CsvRecords final : public x12::RecordSink {
 public:
  CsvRecords(output::JsonText& out, std::vector<std::string> columns, RowExtras extras);
  void set_file(std::string_view file) { m_extras.file = file; }
  // The header row.
  void header();

  void begin_record(x12::RecordKind kind) override;
  void end_record(x12::RecordKind kind) override;
  void text(std::string_view key, std::string_view value) override;
  void amount(std::string_view key, x12::Cents cents) override;
  void no_amount(std::string_view key) override;
  void count(std::string_view key, std::size_t n) override;
  void flag(std::string_view key, bool value) override;
  void begin_list(std::string_view key) override;
  void code(std::string_view value) override;
  void adjustment(std::string_view group, std::string_view reason, x12::Cents amount) override;
  void plb_item(const x12::ProviderAdjustment& item) override;
  void end_list() override;

 private:
  // The column of `key`, or npos when it is not a column.
  std::size_t column(std::string_view key) const;
  // Moves to column `i` for a member: in a streamed row the separators up to it are written
  // and true is returned (its text goes straight into the row); otherwise (or when the row falls
  // back to cells because a member came out of column order) the cell of `i` is cleared.
  bool open(std::size_t i);
  // The end of the cell being written in a streamed row.
  void close(std::size_t i) { m_cell_end[i] = static_cast<std::uint32_t>(m_line_size); }
  // A member's text as CSV: into the row when streamed, else into its cell.
  void put(std::size_t i, std::string_view value);
  // A streamed row so far back into cells (a member came out of column order).
  void to_cells();
  // Room for `n` more bytes of the streamed row; where they go.
  char* room(std::size_t n) {
    if (m_line_room - m_line_size < n) grow(n);
    return m_line.get() + m_line_size;
  }
  void grow(std::size_t n);
  // Text into the streamed row as it is, `n` commas, and a cell as append_csv_cell writes it.
  void raw(std::string_view text);
  void commas(std::size_t n);
  void cell_text(std::string_view text);
  std::vector<std::string> m_columns;
  std::vector<std::string> m_cells;
  std::vector<bool> m_set;
  // In a streamed row: where each cell written starts and ends in m_line.
  std::vector<std::uint32_t> m_cell_begin, m_cell_end;
  output::JsonText& m_out;
  RowExtras m_extras;
  std::size_t m_next = 0;  // the column the next member most likely is
  // The streamed row, written byte by byte (its cells are a few bytes each: a copy call per
  // cell would cost more than the copy) and handed to m_out whole.
  std::unique_ptr<char[]> m_line;
  std::size_t m_line_size = 0, m_line_room = 0;
  bool m_streamed = true;     // the row is written into m_line as it comes
  std::string m_list;         // the text of the list being written
  std::size_t m_list_column;  // its column (npos when none)
  bool m_first_item = true;
  std::string m_scratch;  // a cell that needs quotes or the formula guard
};

// The records as JSON values: each record's text parsed (the same members, in order).
class ValueRecords final : public x12::RecordSink {
 public:
  template <typename Each>
  explicit ValueRecords(Each&& each, RowExtras extras = {})
      : m_each(std::forward<Each>(each)), m_json(m_text, extras, false) {}
  void set_file(std::string_view file) { m_json.set_file(file); }

  void begin_record(x12::RecordKind kind) override {
    m_text.clear();
    m_json.begin_record(kind);
  }
  void end_record(x12::RecordKind kind) override;
  void text(std::string_view key, std::string_view value) override { m_json.text(key, value); }
  void amount(std::string_view key, x12::Cents cents) override { m_json.amount(key, cents); }
  void no_amount(std::string_view key) override { m_json.no_amount(key); }
  void count(std::string_view key, std::size_t n) override { m_json.count(key, n); }
  void flag(std::string_view key, bool value) override { m_json.flag(key, value); }
  void begin_list(std::string_view key) override { m_json.begin_list(key); }
  void code(std::string_view value) override { m_json.code(value); }
  void adjustment(std::string_view group, std::string_view reason, x12::Cents amount) override {
    m_json.adjustment(group, reason, amount);
  }
  void plb_item(const x12::ProviderAdjustment& item) override { m_json.plb_item(item); }
  void end_list() override { m_json.end_list(); }

 private:
  std::function<void(boost::json::object&&)> m_each;
  output::JsonText m_text;
  JsonRecords m_json;
};

}  // namespace portal::cli
