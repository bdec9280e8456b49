#include "stream_printer.hpp"

#include <ostream>

#include <boost/json.hpp>

#include "portal/output/output.hpp"

namespace portal::cli {

namespace json = boost::json;

json::object pick_columns(const json::object& item, const std::vector<std::string>& columns) {
  json::object s;
  for (const auto& c : columns) {
    const auto* v = item.if_contains(c);
    s[c] = v ? *v : json::value(nullptr);
  }
  return s;
}

StreamPrinter::StreamPrinter(Context& ctx, std::vector<std::string> columns, Summary summary)
    : m_ctx(ctx), m_columns(std::move(columns)), m_summary(std::move(summary)) {
  if (!m_summary) {
    m_summary = [cols = m_columns](const json::object& item) { return pick_columns(item, cols); };
  }
}

json::object shown_row(const json::object& item, const json::object& summary) {
  json::object row = item;
  for (const auto& [key, value] : summary) row[key] = value;
  return row;
}

json::object StreamPrinter::row_of(const json::value& item) const {
  if (!item.is_object()) return pick_columns(json::object{}, m_columns);
  const auto& record = item.get_object();
  return m_ctx.fields() ? shown_row(record, m_summary(record)) : m_summary(record);
}

json::value StreamPrinter::whole(const json::value& item) const {
  return m_ctx.fields() ? output::project(item, m_ctx.fields()->names) : item;
}

const std::vector<std::string>& StreamPrinter::columns() const {
  return m_ctx.fields() ? m_ctx.fields()->columns : m_columns;
}

void StreamPrinter::header() {
  if (m_header) return;
  std::string line;
  for (const auto& c : columns()) line += (line.empty() ? "" : ",") + output::csv_cell(c);
  m_ctx.out() << line << '\n';
  m_header = true;
}

Expected<void> StreamPrinter::page(const json::array& items) {
  std::ostream& out = m_ctx.out();
  switch (m_ctx.format()) {
    case output::Format::json:
      for (const auto& item : items)
        out << (m_count++ == 0 ? "[\n" : ",\n") << json::serialize(whole(item));
      break;
    case output::Format::jsonl:
      for (const auto& item : items) out << json::serialize(whole(item)) << '\n';
      m_count += items.size();
      break;
    case output::Format::yaml:
      if (!items.empty()) out << output::to_yaml(whole(items));
      m_count += items.size();
      break;
    case output::Format::csv:
      header();
      for (const auto& item : items) {
        std::string line;
        const json::object row = row_of(item);
        const auto& cols = columns();
        for (std::size_t i = 0; i < cols.size(); ++i)
          line +=
              (i ? "," : "") + output::csv_cell(output::cell_text(output::at_path(row, cols[i])));
        out << line << '\n';
      }
      m_count += items.size();
      break;
    case output::Format::table: {
      if (items.empty()) break;
      json::array rows;
      for (const auto& item : items) rows.push_back(row_of(item));
      m_ctx.print(rows);
      m_count += items.size();
      break;
    }
  }
  out.flush();
  if (m_ctx.output_closed()) return fail(ErrorKind::output_closed, "stdout was closed");
  return {};
}

void StreamPrinter::finish() {
  std::ostream& out = m_ctx.out();
  if (m_ctx.format() == output::Format::json) out << (m_count == 0 ? "[]\n" : "\n]\n");
  if (m_ctx.format() == output::Format::yaml && m_count == 0) out << "[]\n";
  if (m_ctx.format() == output::Format::csv) header();
  out.flush();
}

}  // namespace portal::cli
