// JSON Lines: one object per line, each parsed on its own by one reused Boost.JSON parser.
#include <boost/json/error.hpp>
#include <boost/json/parser.hpp>

#include <cstring>

#include "portal/batch/reader_detail.hpp"

namespace portal::batch::detail {

namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

const char* kind_phrase(boost::json::kind kind) {
  switch (kind) {
    case boost::json::kind::array:
      return "a JSON array";
    case boost::json::kind::string:
      return "a JSON string";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a JSON number";
    case boost::json::kind::bool_:
      return "a JSON boolean";
    case boost::json::kind::null:
      return "JSON null";
    case boost::json::kind::object:
      return "a JSON object";
  }
  return "a JSON value";
}

boost::json::parse_options options_for(const ReaderLimits& limits) {
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;  // Boost.JSON's parser keeps its own stack: no recursion
  return options;
}

class JsonlReader final : public RecordReader {
 public:
  JsonlReader(std::istream& in, std::string name, ReaderLimits limits)
      : m_in(in),
        m_name(std::move(name)),
        m_limits(limits),
        m_parser(boost::json::storage_ptr(), options_for(limits)) {}

  Expected<std::optional<Record>> next() override;

 private:
  bool read_line();
  std::optional<std::string> parse(Record& record);

  ChunkedInput m_in;
  std::string m_name;
  ReaderLimits m_limits;
  boost::json::parser m_parser;
  std::optional<Error> m_error;
  std::size_t m_index = 0;
  std::size_t m_line_no = 0;
  std::string m_line;  // at most max_record_bytes
  bool m_too_long = false;
};

// The next line into m_line, without its LF; false at the end of the input. A line over the
// limit is read to its end but not kept (m_too_long).
bool JsonlReader::read_line() {
  m_line.clear();
  m_too_long = false;
  if (!m_in.available()) return false;
  ++m_line_no;
  while (m_in.available()) {
    const char* p = m_in.cur();
    const auto* lf = static_cast<const char*>(std::memchr(p, '\n', m_in.end() - p));
    const char* stop = lf ? lf : m_in.end();
    if (!m_too_long) {
      if (m_line.size() + static_cast<std::size_t>(stop - p) > m_limits.max_record_bytes) {
        m_too_long = true;
        m_line.clear();
      } else {
        m_line.append(p, stop);
      }
    }
    m_in.advance_to(lf ? lf + 1 : stop);
    if (lf) break;
  }
  return true;
}

// Fills record.fields from m_line, or says why it cannot (never quoting the line: it is PHI).
std::optional<std::string> JsonlReader::parse(Record& record) {
  const std::string line = "line " + std::to_string(record.line);
  if (auto bad = find_invalid_utf8(m_line)) {
    return line + ", column " + std::to_string(*bad + 1) +
           ": the line is not valid UTF-8; save the batch as UTF-8";
  }
  m_parser.reset();
  boost::system::error_code ec;
  const std::size_t used = m_parser.write(m_line.data(), m_line.size(), ec);
  if (ec) {
    if (ec == boost::json::error::too_deep) {
      return line + ": the JSON is nested more than " + std::to_string(m_limits.max_depth) +
             " levels deep";
    }
    return line + ", column " + std::to_string(used + 1) + ": the line is not valid JSON (" +
           ec.message() + "); each line must be one JSON object such as {\"ref\": \"row-1\"}";
  }
  boost::json::value value = m_parser.release();
  if (!value.is_object()) {
    return line + ": the line is " + kind_phrase(value.kind()) +
           ", but each line must be one JSON object such as {\"ref\": \"row-1\"}";
  }
  record.fields = std::move(value.get_object());
  return std::nullopt;
}

Expected<std::optional<Record>> JsonlReader::next() {
  if (m_error) return fail(*m_error);
  for (;;) {
    const bool got = read_line();
    if (m_in.failed()) {
      m_error = Error(ErrorKind::input,
                      m_name + ": cannot read the input after line " + std::to_string(m_line_no) +
                          " (I/O error)",
                      "Check that the file is readable, then run the command again.");
      return fail(*m_error);
    }
    if (!got) return std::nullopt;
    if (!m_too_long && is_blank(m_line)) continue;
    Record record;
    record.index = m_index++;
    record.line = m_line_no;
    record.problem =
        m_too_long ? too_long_problem(m_line_no, m_limits.max_record_bytes) : parse(record);
    return record;
  }
}

}  // namespace

std::unique_ptr<RecordReader> make_jsonl_reader(std::istream& in, std::string name,
                                                ReaderLimits limits) {
  return std::make_unique<JsonlReader>(in, std::move(name), limits);
}

}  // namespace portal::batch::detail
