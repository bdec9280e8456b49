// YAML batches: a list of mappings, pulled event by event from libyaml so that only the item
// being read is ever built.
//
// Limits, and what happens past them:
// - Aliases are expanded here, not by libyaml (its parser reports an alias as one event), so an
//   item that expands past max_yaml_nodes or max_record_bytes (billion laughs) gets a problem;
//   libyaml's state is untouched, the item's remaining events are skipped and reading goes on.
// - An item nested past max_depth gets a problem the same way.
// - A single scalar (or comment) longer than max_record_bytes is different: libyaml buffers a
//   whole scalar before it returns its event, so the read callback refuses more input, and
//   libyaml cannot resume after a failed read: reading ends with an input error.
#include <yaml.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <new>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "portal/batch/reader_detail.hpp"

namespace portal::batch::detail {

namespace {

namespace json = boost::json;

// libyaml reads ahead of the event it returns (its raw and decoded buffers, and up to 1024
// characters for a simple key); this much input beyond the limit may go by between two events.
constexpr std::size_t k_read_ahead_slack = 2 * k_chunk_size;
// An item nested deeper than max_depth is skipped, but libyaml keeps state for every open level
// while we skip it; past this depth (only flow style, [[[[..., gets there cheaply) reading stops.
constexpr std::size_t k_max_skipped_depth = 10'000;

std::size_t line_of(const yaml_mark_t& mark) { return mark.line + 1; }

std::string_view text_of(const yaml_char_t* text, std::size_t length) {
  return {reinterpret_cast<const char*>(text), length};
}
std::string_view text_of(const yaml_char_t* text) {
  return text ? std::string_view(reinterpret_cast<const char*>(text)) : std::string_view();
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::size_t count_digits(std::string_view s, std::size_t from) {
  std::size_t n = 0;
  while (from + n < s.size() && is_digit(s[from + n])) ++n;
  return n;
}

// The int of the YAML 1.2 core schema ([-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+), or nullopt when
// `s` is not written as one. Integers too large for 64 bits are kept as their text: no digit of
// an identifier is ever lost to rounding.
std::optional<json::value> core_int(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    const std::string_view digits = s.substr(2);
    std::uint64_t u = 0;
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), u, s[1] == 'o' ? 8 : 16);
    if (end != digits.data() + digits.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return json::value(json::string(s));
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return json::value(u);
    return json::value(static_cast<std::int64_t>(u));
  }
  const std::size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (s.size() == sign || count_digits(s, sign) != s.size() - sign) return std::nullopt;
  // A leading zero (00123456, 02134) marks an identifier or a ZIP code, not a number: it stays
  // text so no zero is lost. (The core schema would read it as an int; this is deliberate.)
  if (s.size() - sign > 1 && s[sign] == '0') return json::value(json::string(s));
  const std::string_view digits = s.substr(s[0] == '+' ? 1 : 0);  // from_chars takes no '+'
  std::int64_t i = 0;
  if (std::from_chars(digits.data(), digits.data() + digits.size(), i).ec == std::errc()) {
    return json::value(i);
  }
  std::uint64_t u = 0;
  if (s[0] != '-' &&
      std::from_chars(digits.data(), digits.data() + digits.size(), u).ec == std::errc()) {
    return json::value(u);
  }
  return json::value(json::string(s));
}

// The float of the core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?. .inf and
// .nan stay text, since JSON has no way to write them.
std::optional<json::value> core_float(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  const std::size_t whole = count_digits(s, i);
  i += whole;
  std::size_t fraction = 0;
  if (i < s.size() && s[i] == '.') fraction = count_digits(s, ++i), i += fraction;
  if (whole == 0 && fraction == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    if (++i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    const std::size_t exponent = count_digits(s, i);
    if (exponent == 0) return std::nullopt;
    i += exponent;
  }
  if (i != s.size()) return std::nullopt;
  const std::string_view number = s.substr(s[0] == '+' ? 1 : 0);
  double d = 0;
  if (std::from_chars(number.data(), number.data() + number.size(), d).ec != std::errc()) {
    return json::value(json::string(s));  // out of range: kept as written
  }
  return json::value(d);
}

// A plain (unquoted, untagged) scalar under the YAML 1.2 core schema.
json::value resolve_plain(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (auto i = core_int(s)) return std::move(*i);
  if (auto d = core_float(s)) return std::move(*d);
  return json::string(s);
}

// A key or an alias name as shown in a message: field names are not PHI, but bound their size.
std::string shown(std::string_view name) {
  if (name.size() > 64) return "\"" + std::string(name.substr(0, 61)) + "...\"";
  return "\"" + std::string(name) + "\"";
}

struct Anchor {
  json::value value;
  std::size_t nodes = 0;  // values in it, counted as an item counts them
  std::size_t bytes = 0;  // text in it
  std::uint64_t serial = 0;
};

// The anchored values seen so far. Anchors are visible to every later item, as YAML wants, but
// the table keeps only the most recent ones within one item's limits, so its memory stays flat
// however many items define anchors; an alias to a forgotten anchor is that item's problem.
class AnchorTable {
 public:
  explicit AnchorTable(const ReaderLimits& limits) : m_limits(limits) {}

  const Anchor* find(std::string_view name) const {
    auto it = m_anchors.find(name);
    return it == m_anchors.end() ? nullptr : &it->second;
  }

  void store(std::string_view name, const json::value& value, std::size_t nodes,
             std::size_t bytes) {
    auto it = m_anchors.find(name);
    if (it != m_anchors.end()) {
      m_nodes -= it->second.nodes;
      m_bytes -= it->second.bytes;
    } else {
      it = m_anchors.emplace(std::string(name), Anchor{}).first;
    }
    it->second = Anchor{value, nodes, bytes, ++m_serial};
    m_nodes += nodes;
    m_bytes += bytes;
    m_order.emplace_back(it->first, m_serial);
    while (m_nodes > m_limits.max_yaml_nodes || m_bytes > m_limits.max_record_bytes ||
           m_order.size() > m_limits.max_yaml_nodes) {
      auto [oldest, serial] = std::move(m_order.front());
      m_order.pop_front();
      auto old = m_anchors.find(oldest);
      if (old == m_anchors.end() || old->second.serial != serial) continue;  // redefined since
      m_nodes -= old->second.nodes;
      m_bytes -= old->second.bytes;
      m_anchors.erase(old);
    }
  }

 private:
  const ReaderLimits& m_limits;
  std::map<std::string, Anchor, std::less<>> m_anchors;
  std::deque<std::pair<std::string, std::uint64_t>> m_order;  // oldest first
  std::size_t m_nodes = 0;
  std::size_t m_bytes = 0;
  std::uint64_t m_serial = 0;
};

// Builds one list item from its events. Once the item has a problem the builder only follows
// the nesting of the remaining events to find where the item ends.
class ItemBuilder {
 public:
  enum class Step { more, complete, too_deep };

  ItemBuilder(const ReaderLimits& limits, AnchorTable& anchors, std::size_t line)
      : m_limits(limits), m_anchors(anchors), m_line(line) {}

  Step feed(const yaml_event_t& event);
  const std::optional<std::string>& problem() const { return m_problem; }
  json::object take_fields() { return std::move(m_result.get_object()); }

 private:
  struct Frame {
    json::value value;  // the object or array being filled
    std::string key;    // the key whose value comes next, in a mapping
    bool has_key = false;
    std::string anchor;  // stored when the collection ends
    std::size_t nodes_before = 0;
    std::size_t bytes_before = 0;
  };

  bool expecting_key() const {
    return !m_stack.empty() && m_stack.back().value.is_object() && !m_stack.back().has_key;
  }
  Step fail(std::size_t line, std::string what, std::size_t opened = 0) {
    return fail_with("line " + std::to_string(line) + ": " + std::move(what), opened);
  }
  Step fail_with(std::string problem, std::size_t opened);
  bool count(std::size_t nodes, std::size_t bytes, std::size_t line, std::size_t opened = 0);
  Step after_failure() const { return m_skip_depth == 0 ? Step::complete : Step::more; }
  Step key(std::string_view name, std::size_t line, std::string_view anchor);
  std::optional<json::value> scalar(const yaml_event_t& event, std::size_t line);
  Step deliver(json::value value);

  const ReaderLimits& m_limits;
  AnchorTable& m_anchors;
  std::size_t m_line;  // where the item starts
  bool m_first = true;
  std::vector<Frame> m_stack;
  std::size_t m_nodes = 0;
  std::size_t m_bytes = 0;
  json::value m_result;
  std::optional<std::string> m_problem;
  std::size_t m_skip_depth = 0;  // open collections left to close, once the item has a problem
};

// Records the item's first problem and turns to skipping; `opened` is 1 when the event that
// failed opened a collection that must now be closed too.
ItemBuilder::Step ItemBuilder::fail_with(std::string problem, std::size_t opened) {
  m_problem = std::move(problem);
  m_skip_depth = m_stack.size() + opened;
  m_stack.clear();
  return after_failure();
}

// Counts values made for the item (an alias counts all it expands to); false, with the item
// failed, past the limits.
bool ItemBuilder::count(std::size_t nodes, std::size_t bytes, std::size_t line,
                        std::size_t opened) {
  m_nodes += nodes;
  m_bytes += bytes;
  if (m_nodes > m_limits.max_yaml_nodes) {
    fail(line,
         "the item expands to more than " + std::to_string(m_limits.max_yaml_nodes) +
             " values (anchors and aliases included); it was skipped",
         opened);
    return false;
  }
  if (m_bytes > m_limits.max_record_bytes) {
    fail_with(too_long_problem(m_line, m_limits.max_record_bytes) + " (aliases expanded)", opened);
    return false;
  }
  return true;
}

ItemBuilder::Step ItemBuilder::key(std::string_view name, std::size_t line,
                                   std::string_view anchor) {
  Frame& top = m_stack.back();
  if (top.value.get_object().contains(name)) {
    return fail(line, "the key " + shown(name) + " appears twice in this item; keep one");
  }
  if (!count(1, name.size(), line)) return after_failure();
  if (!anchor.empty()) m_anchors.store(anchor, json::string(name), 1, name.size());
  top.key.assign(name);
  top.has_key = true;
  return Step::more;
}

// The value of a scalar: plain ones typed by the core schema, quoted ones text; the core
// schema's explicit tags (!!str, !!int, ...) are honoured, other tags ignored.
std::optional<json::value> ItemBuilder::scalar(const yaml_event_t& event, std::size_t line) {
  const auto& s = event.data.scalar;
  const std::string_view text = text_of(s.value, s.length);
  std::string_view tag = text_of(s.tag);
  const std::string_view core = "tag:yaml.org,2002:";
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return json::value(json::string(text));
  if (tag.substr(0, core.size()) == core) {
    tag.remove_prefix(core.size());
    json::value v = resolve_plain(text);
    if (tag == "float" && v.is_number()) return json::value(v.to_number<double>());
    const bool fits = (tag == "null" && v.is_null()) || (tag == "bool" && v.is_bool()) ||
                      (tag == "int" && (v.is_int64() || v.is_uint64())) ||
                      (tag == "float" && v.is_double());
    if (fits) return v;
    if (tag == "null" || tag == "bool" || tag == "int" || tag == "float") {
      fail(line, "a value is tagged !!" + std::string(tag) + " but is not written as one");
      return std::nullopt;
    }
  }
  if (s.style == YAML_PLAIN_SCALAR_STYLE) return resolve_plain(text);
  return json::value(json::string(text));
}

ItemBuilder::Step ItemBuilder::deliver(json::value value) {
  if (m_stack.empty()) {
    m_result = std::move(value);
    return Step::complete;
  }
  Frame& top = m_stack.back();
  if (top.value.is_array()) {
    top.value.get_array().push_back(std::move(value));
  } else {
    top.value.get_object().emplace(top.key, std::move(value));
    top.has_key = false;
  }
  return Step::more;
}

ItemBuilder::Step ItemBuilder::feed(const yaml_event_t& event) {
  const bool opens =
      event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT;
  const bool closes = event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT;
  if (m_problem) {
    if (opens && ++m_skip_depth > std::max(m_limits.max_depth, k_max_skipped_depth)) {
      return Step::too_deep;
    }
    if (closes) --m_skip_depth;
    return m_skip_depth == 0 ? Step::complete : Step::more;
  }

  const std::size_t line = line_of(event.start_mark);
  if (m_first) {
    m_first = false;
    if (event.type != YAML_MAPPING_START_EVENT && event.type != YAML_ALIAS_EVENT) {
      const char* what = event.type == YAML_SEQUENCE_START_EVENT ? "a list" : "a single value";
      return fail(line,
                  std::string("the item is ") + what +
                      ", not a mapping of field names to values (write \"- field: value\")",
                  opens ? 1 : 0);
    }
  }

  switch (event.type) {
    case YAML_SCALAR_EVENT: {
      const auto& s = event.data.scalar;
      const std::string_view text = text_of(s.value, s.length);
      if (expecting_key()) return key(text, line, text_of(s.anchor));
      auto value = scalar(event, line);
      if (!value || !count(1, text.size(), line)) return after_failure();
      if (s.anchor) m_anchors.store(text_of(s.anchor), *value, 1, text.size());
      return deliver(std::move(*value));
    }
    case YAML_ALIAS_EVENT: {
      const std::string_view name = text_of(event.data.alias.anchor);
      const Anchor* anchor = m_anchors.find(name);
      if (!anchor) {
        return fail(line, "the alias *" + std::string(name) +
                              " refers to no anchor defined before it (or to one so far back "
                              "that it was forgotten: define it again nearer)");
      }
      if (expecting_key()) {
        if (!anchor->value.is_string()) {
          return fail(line,
                      "a key of this item is an alias to a list or a mapping; keys must "
                      "be field names");
        }
        return key(anchor->value.get_string(), line, {});
      }
      if (m_stack.empty() && !anchor->value.is_object()) {  // "- *name" as a whole item
        return fail(line,
                    "the item is an alias to a list or a single value, not a mapping of "
                    "field names to values");
      }
      if (!count(anchor->nodes, anchor->bytes, line)) return after_failure();
      return deliver(anchor->value);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      const bool mapping = event.type == YAML_MAPPING_START_EVENT;
      if (expecting_key()) {
        return fail(line, "a key of this item is a list or a mapping; keys must be field names", 1);
      }
      if (m_stack.size() >= m_limits.max_depth) {
        return fail(
            line,
            "the item is nested more than " + std::to_string(m_limits.max_depth) + " levels deep",
            1);
      }
      if (!count(1, 0, line, 1)) return after_failure();
      const yaml_char_t* anchor =
          mapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
      Frame frame;
      frame.value = mapping ? json::value(json::object()) : json::value(json::array());
      frame.anchor = text_of(anchor);
      frame.nodes_before = m_nodes - 1;
      frame.bytes_before = m_bytes;
      m_stack.push_back(std::move(frame));
      return Step::more;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
      Frame frame = std::move(m_stack.back());
      m_stack.pop_back();
      if (!frame.anchor.empty()) {
        m_anchors.store(frame.anchor, frame.value, m_nodes - frame.nodes_before,
                        m_bytes - frame.bytes_before);
      }
      return deliver(std::move(frame.value));
    }
    default:  // libyaml sends no document or stream event inside a node
      return fail(line, "the item is cut short");
  }
}

class YamlReader final : public RecordReader {
 public:
  YamlReader(std::istream& in, std::string name, ReaderLimits limits)
      : m_in(in), m_name(std::move(name)), m_limits(limits), m_anchors(m_limits) {
    if (!yaml_parser_initialize(&m_parser)) throw std::bad_alloc();
    yaml_parser_set_input(&m_parser, &YamlReader::read, this);
  }
  ~YamlReader() override {
    if (m_has_event) yaml_event_delete(&m_event);
    yaml_parser_delete(&m_parser);
  }
  YamlReader(const YamlReader&) = delete;
  YamlReader& operator=(const YamlReader&) = delete;

  Expected<std::optional<Record>> next() override {
    if (m_error) return fail(*m_error);
    auto record = read_next();
    if (!record) m_error = record.error();
    return record;
  }

 private:
  enum class Phase { start, items, done };
  // A chunk handed to libyaml, kept to turn the byte offset of a reader error into a line.
  struct Chunk {
    std::uint64_t offset = 0;
    std::size_t line = 1;
    std::string bytes;
  };

  static int read(void* data, unsigned char* buffer, std::size_t size, std::size_t* size_read);
  Expected<void> pull();
  Expected<void> finish_document();
  Expected<std::optional<Record>> read_next();
  Expected<std::optional<Record>> read_item();
  Error parse_error() const;
  Error input_error(const std::string& where, const std::string& what, std::string hint) const {
    return Error(ErrorKind::input, m_name + ": " + where + ": " + what, std::move(hint));
  }
  std::string line_here() const { return "line " + std::to_string(line_of(m_event.start_mark)); }

  std::istream& m_in;
  std::string m_name;
  ReaderLimits m_limits;
  AnchorTable m_anchors;
  yaml_parser_t m_parser;
  yaml_event_t m_event;
  bool m_has_event = false;
  Phase m_phase = Phase::start;
  std::optional<Error> m_error;
  std::size_t m_index = 0;

  // What the read callback saw, for the limits and for messages.
  std::uint64_t m_delivered = 0;
  std::uint64_t m_delivered_at_event = 0;
  std::size_t m_event_end_line = 1;
  bool m_value_too_long = false;
  bool m_io_error = false;
  Chunk m_chunks[2];  // the one before last, and the last
};

int YamlReader::read(void* data, unsigned char* buffer, std::size_t size, std::size_t* size_read) {
  auto* self = static_cast<YamlReader*>(data);
  *size_read = 0;
  // libyaml builds a whole scalar (or skips a whole comment) before it returns an event, so
  // this is where a 2 GB value is stopped. Its state cannot be resumed after a read failure:
  // reading ends here with an input error.
  if (self->m_delivered - self->m_delivered_at_event >
      self->m_limits.max_record_bytes + k_read_ahead_slack) {
    self->m_value_too_long = true;
    return 0;
  }
  self->m_in.read(reinterpret_cast<char*>(buffer), static_cast<std::streamsize>(size));
  const auto n = static_cast<std::size_t>(self->m_in.gcount());
  if (self->m_in.bad()) {
    self->m_io_error = true;
    return 0;
  }
  Chunk& older = self->m_chunks[0];
  Chunk& last = self->m_chunks[1];
  const auto* bytes = reinterpret_cast<const char*>(buffer);
  const std::size_t lines =
      static_cast<std::size_t>(std::count(last.bytes.begin(), last.bytes.end(), '\n'));
  std::swap(older, last);
  last.offset = older.offset + older.bytes.size();
  last.line = older.line + lines;
  last.bytes.assign(bytes, n);
  self->m_delivered += n;
  *size_read = n;
  return 1;
}

Expected<void> YamlReader::pull() {
  if (m_has_event) {
    m_event_end_line = line_of(m_event.end_mark);
    yaml_event_delete(&m_event);
    m_has_event = false;
  }
  m_delivered_at_event = m_delivered;
  if (!yaml_parser_parse(&m_parser, &m_event)) return fail(parse_error());
  m_has_event = true;
  m_delivered_at_event = m_delivered;
  return {};
}

Error YamlReader::parse_error() const {
  const std::string resumed = "The records before it were read; fix the file and run again.";
  if (m_value_too_long) {
    return input_error("line " + std::to_string(m_event_end_line),
                       "the next value (or comment) is longer than " +
                           describe_size(m_limits.max_record_bytes) +
                           "; YAML cannot be read past it, so reading stops here",
                       "Check for a quote that is never closed. " + resumed);
  }
  if (m_io_error) {
    return input_error("line " + std::to_string(m_event_end_line),
                       "cannot read the input after this line (I/O error)",
                       "Check that the file is readable, then run the command again.");
  }
  const char* problem = m_parser.problem ? m_parser.problem : "unknown problem";
  switch (m_parser.error) {
    case YAML_READER_ERROR: {
      // libyaml gives a byte offset; the chunks it was read from turn it into a line.
      const std::uint64_t at = m_parser.problem_offset;
      std::string where = "byte " + std::to_string(at + 1);
      for (const Chunk& chunk : m_chunks) {
        if (at < chunk.offset || at >= chunk.offset + chunk.bytes.size()) continue;
        const std::string_view before(chunk.bytes.data(), at - chunk.offset);
        where = "line " + std::to_string(chunk.line + static_cast<std::size_t>(std::count(
                                                          before.begin(), before.end(), '\n')));
        const std::size_t lf = before.rfind('\n');
        if (lf != std::string_view::npos) {
          where += ", column " + std::to_string(before.size() - lf);
        } else if (chunk.offset == 0) {
          where += ", column " + std::to_string(before.size() + 1);
        }
      }
      return input_error(where, std::string("the file is not valid YAML text: ") + problem,
                         "Save the batch as UTF-8 text without control characters. " + resumed);
    }
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR: {
      std::string what = std::string("YAML syntax error: ") + problem;
      if (m_parser.context) {
        what += std::string(" (") + m_parser.context + " at line " +
                std::to_string(line_of(m_parser.context_mark)) + ")";
      }
      return input_error("line " + std::to_string(line_of(m_parser.problem_mark)) + ", column " +
                             std::to_string(m_parser.problem_mark.column + 1),
                         what,
                         "Check the indentation, the ':' after each key, the '- ' before each "
                         "record and the quotes near that line. " +
                             resumed);
    }
    default:
      return input_error("line " + std::to_string(m_event_end_line),
                         std::string("the YAML cannot be read: ") + problem, resumed);
  }
}

// After the list: the end of the document and of the stream, with no second document.
Expected<void> YamlReader::finish_document() {
  if (auto ok = pull(); !ok) return ok;
  if (m_event.type == YAML_DOCUMENT_END_EVENT) {
    if (auto ok = pull(); !ok) return ok;
  }
  if (m_event.type == YAML_DOCUMENT_START_EVENT) {
    return fail(input_error(line_here(), "a second YAML document starts here",
                            "A batch is one list: put all the records in the first document."));
  }
  m_phase = Phase::done;
  return {};
}

Expected<std::optional<Record>> YamlReader::read_next() {
  if (m_phase == Phase::done) return std::nullopt;
  if (m_phase == Phase::start) {
    if (auto ok = pull(); !ok) return fail(ok.error());  // the stream's start
    if (auto ok = pull(); !ok) return fail(ok.error());
    if (m_event.type == YAML_STREAM_END_EVENT) {  // nothing but comments and blank lines
      m_phase = Phase::done;
      return std::nullopt;
    }
    if (auto ok = pull(); !ok) return fail(ok.error());  // the document's root node
    const std::string hint =
        "A YAML batch is a list of records, each starting with \"- \", e.g.\n"
        "- ref: row-1\n  member_id: ACM100234\n- ref: row-2\n  member_id: ACM100235";
    switch (m_event.type) {
      case YAML_SEQUENCE_START_EVENT:
        m_phase = Phase::items;
        break;
      case YAML_MAPPING_START_EVENT:
        return fail(input_error(line_here(),
                                "the YAML document is a mapping, but a batch must "
                                "be a list of records",
                                hint));
      case YAML_SCALAR_EVENT:
        if (m_event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !m_event.data.scalar.tag &&
            resolve_plain(text_of(m_event.data.scalar.value, m_event.data.scalar.length))
                .is_null()) {
          if (auto ok = finish_document(); !ok) return fail(ok.error());
          return std::nullopt;  // "---" alone, or "~": no records
        }
        [[fallthrough]];
      default:
        return fail(input_error(line_here(),
                                "the YAML document is a single value, but a batch "
                                "must be a list of records",
                                hint));
    }
  }
  if (auto ok = pull(); !ok) return fail(ok.error());
  if (m_event.type == YAML_SEQUENCE_END_EVENT) {
    if (auto ok = finish_document(); !ok) return fail(ok.error());
    return std::nullopt;
  }
  return read_item();
}

// Reads the item whose first event is m_event.
Expected<std::optional<Record>> YamlReader::read_item() {
  Record record;
  record.index = m_index++;
  record.line = line_of(m_event.start_mark);
  ItemBuilder builder(m_limits, m_anchors, record.line);
  for (;;) {
    const ItemBuilder::Step step = builder.feed(m_event);
    if (step == ItemBuilder::Step::complete) break;
    if (step == ItemBuilder::Step::too_deep) {
      return fail(input_error(
          line_here(),
          "the item that starts on line " + std::to_string(record.line) + " is nested more than " +
              std::to_string(std::max(m_limits.max_depth, k_max_skipped_depth)) +
              " levels deep; reading stops here",
          "The records before it were read; fix the file and run again."));
    }
    if (auto ok = pull(); !ok) return fail(ok.error());
  }
  if (builder.problem()) {
    record.problem = builder.problem();
  } else {
    record.fields = builder.take_fields();
  }
  return record;
}

}  // namespace

std::unique_ptr<RecordReader> make_yaml_reader(std::istream& in, std::string name,
                                               ReaderLimits limits) {
  return std::make_unique<YamlReader>(in, std::move(name), limits);
}

}  // namespace portal::batch::detail
