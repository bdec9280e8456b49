#include "portal/batch/results_sink.hpp"

#include <string_view>
#include <system_error>

#include <boost/json.hpp>

#include "portal/output/output.hpp"

namespace portal::batch::detail {

namespace json = boost::json;

namespace {

const json::value* at_path(const json::object& object, std::string_view path) {
  const json::object* node = &object;
  while (true) {
    auto dot = path.find('.');
    const json::value* v = node->if_contains(path.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    node = &v->get_object();
    path = path.substr(dot + 1);
  }
}

std::string cell_text(const json::value* v) {
  if (!v || v->is_null()) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  if (v->is_array()) {
    std::string out;
    for (const auto& e : v->get_array()) out += (out.empty() ? "" : ";") + cell_text(&e);
    return out;
  }
  return json::serialize(*v);
}

}  // namespace

ResultsSink::ResultsSink(const Operation& op, const RunOptions& options, std::ostream& fallback)
    : m_columns(op.result_columns), m_path(options.results), m_out(&fallback) {
  m_csv = m_path.empty() ? options.results_csv : m_path.extension() == ".csv";
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
    std::string header = "line,ref,outcome,http_status,code,message,errors";
    for (const auto& c : m_columns) header += "," + output::csv_cell(c);
    *m_out << header << '\n';
  }
  return {};
}

void ResultsSink::write(const json::object& r, const std::string* text) {
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
  auto add = [&](std::string_view text) {
    if (!line.empty() || m_first_added) line += ',';
    m_first_added = true;
    line += output::csv_cell(text);
  };
  m_first_added = false;
  for (const char* k : {"line", "ref", "outcome", "http_status", "code", "message"})
    add(cell_text(r.if_contains(k)));
  std::string errors;
  if (const auto* e = r.if_contains("errors"); e && e->is_array()) {
    for (const auto& fe : e->get_array()) {
      errors += (errors.empty() ? "" : "; ") + cell_text(fe.get_object().if_contains("field")) +
                ": " + cell_text(fe.get_object().if_contains("message"));
    }
  }
  add(errors);
  const auto* answer = r.if_contains("answer");
  for (const auto& c : m_columns) {
    add(answer && answer->is_object() ? cell_text(at_path(answer->get_object(), c))
                                      : std::string());
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
