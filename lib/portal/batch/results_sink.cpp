#include "portal/batch/results_sink.hpp"

#include <algorithm>
#include <string_view>
#include <system_error>

#include <boost/json.hpp>

#include "portal/output/output.hpp"

namespace portal::batch::detail {

namespace json = boost::json;

ResultsSink::ResultsSink(const Operation& op, const RunOptions& options, std::ostream& fallback)
    : m_fields(options.fields), m_path(options.results), m_out(&fallback) {
  m_csv = m_path.empty() ? options.results_csv : m_path.extension() == ".csv";
  m_columns = m_fields.empty() ? result_fields(op.result_columns) : m_fields;
  for (const auto& c : m_columns) {
    auto fixed = std::find(k_result_fixed.begin(), k_result_fixed.end(), std::string_view(c));
    m_fixed.push_back(
        fixed == k_result_fixed.end() ? -1 : static_cast<int>(fixed - k_result_fixed.begin()));
  }
}

Expected<void> ResultsSink::open() {
  if (!m_path.empty()) {
    auto ext = m_path.extension().string();
    if (ext != ".csv" && ext != ".jsonl" && ext != ".ndjson") {
      return fail(ErrorKind::usage,
                  "--results " + m_path.string() + ": the name must end in .csv or .jsonl",
                  "the extension chooses the format of the results");
    }
    auto file = AtomicFile::create(m_path, {.buffer_bytes = k_file_buffer});
    if (!file) {
      return fail(ErrorKind::usage, "cannot write the results file: " + file.error().message,
                  "check that its directory exists and is writable");
    }
    m_file = std::move(*file);
    m_out = &m_file->stream();
  }
  if (m_csv) {
    std::string header;
    for (const auto& c : m_columns) header += (header.empty() ? "" : ",") + output::csv_cell(c);
    *m_out << header << '\n';
  }
  return {};
}

std::string ResultsSink::cell(const json::object& r, std::size_t column) const {
  const int fixed = m_fixed[column];
  if (fixed < 0) {
    const auto* answer = r.if_contains("answer");
    return answer && answer->is_object()
               ? output::cell_text(output::at_path(answer->get_object(), m_columns[column]))
               : std::string();
  }
  if (std::string_view(k_result_fixed[static_cast<std::size_t>(fixed)]) != "errors")
    return output::cell_text(r.if_contains(k_result_fixed[static_cast<std::size_t>(fixed)]));
  std::string errors;
  if (const auto* e = r.if_contains("errors"); e && e->is_array()) {
    for (const auto& fe : e->get_array()) {
      errors += (errors.empty() ? "" : "; ") +
                output::cell_text(fe.get_object().if_contains("field")) + ": " +
                output::cell_text(fe.get_object().if_contains("message"));
    }
  }
  return errors;
}

json::object ResultsSink::chosen(const json::object& r) const {
  json::object out;
  std::vector<std::string> answer_fields;
  for (std::size_t i = 0; i < m_columns.size(); ++i) {
    if (m_fixed[i] >= 0) {
      const auto* v = r.if_contains(m_columns[i]);
      out[m_columns[i]] = v ? *v : json::value(nullptr);
    } else {
      if (answer_fields.empty()) out["answer"] = nullptr;  // its place among the columns
      answer_fields.push_back(m_columns[i]);
    }
  }
  if (!answer_fields.empty()) {
    const auto* answer = r.if_contains("answer");
    out["answer"] = output::project(
        answer && answer->is_object() ? answer->get_object() : json::object(), answer_fields);
  }
  return out;
}

void ResultsSink::write(const json::object& r, const std::string* text) {
  if (!m_csv && !m_fields.empty()) {
    // `r` may lack the answer, which `text` then holds.
    json::value whole;
    if (text) whole = json::parse(*text);
    m_chosen = json::serialize(chosen(whole.is_object() ? whole.get_object() : r));
    text = &m_chosen;
  }
  if (!m_csv && text) {
    m_out->write(text->data(), static_cast<std::streamsize>(text->size()));
    m_out->put('\n');
    return;
  }
  if (!m_csv) {
    m_serializer.reset(&r);
    while (!m_serializer.done()) {
      auto text = m_serializer.read(m_text, sizeof m_text);
      m_out->write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    m_out->put('\n');
    return;
  }
  std::string line;
  for (std::size_t i = 0; i < m_columns.size(); ++i) {
    if (i) line += ',';
    line += output::csv_cell(cell(r, i));
  }
  *m_out << line << '\n';
}

Expected<void> ResultsSink::commit() {
  m_out->flush();
  if (!m_file) return {};
  return m_file->commit();
}

void ResultsSink::abandon() {
  if (!m_file) {
    m_out->flush();
    return;
  }
  m_file->abandon();
}

}  // namespace portal::batch::detail
