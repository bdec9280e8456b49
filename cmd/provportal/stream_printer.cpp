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

json::object StreamPrinter::row_of(const json::value& item) const {
  return item.is_object() ? m_summary(item.get_object()) : pick_columns(json::object{}, m_columns);
}

void StreamPrinter::header() {
  if (m_header) return;
  std::string line;
  for (const auto& c : m_columns) line += (line.empty() ? "" : ",") + output::csv_cell(c);
  m_ctx.out() << line << '\n';
  m_header = true;
}

Expected<void> StreamPrinter::page(const json::array& items) {
  std::ostream& out = m_ctx.out();
  switch (m_ctx.format()) {
    case output::Format::json:
      for (const auto& item : items)
        out << (m_count++ == 0 ? "[\n" : ",\n") << json::serialize(item);
      break;
    case output::Format::jsonl:
      for (const auto& item : items) out << json::serialize(item) << '\n';
      m_count += items.size();
      break;
    case output::Format::yaml:
      if (!items.empty()) out << output::to_yaml(items);
      m_count += items.size();
      break;
    case output::Format::csv:
      header();
      for (const auto& item : items) {
        std::string line;
        bool first = true;
        for (const auto& [col, value] : output::flatten(row_of(item))) {
          line += (first ? "" : ",") + output::csv_cell(value);
          first = false;
        }
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
