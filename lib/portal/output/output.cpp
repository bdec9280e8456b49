#include "portal/output/output.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <boost/json.hpp>

#include "portal/util/strings.hpp"

namespace portal::output {

namespace json = boost::json;

namespace {

constexpr const char* k_bold = "\x1b[1m";
constexpr const char* k_reset = "\x1b[0m";

std::string scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::null:
      return "";
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    default:
      return json::serialize(v);
  }
}

void flatten_into(const json::value& v, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object()) {
    for (const auto& [key, member] : v.get_object()) {
      std::string name = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
      flatten_into(member, name, out);
    }
    if (v.get_object().empty() && !prefix.empty()) out.emplace_back(prefix, "");
    return;
  }
  if (v.is_array()) {
    std::string joined;
    bool scalars = std::all_of(v.get_array().begin(), v.get_array().end(),
                               [](const json::value& e) { return !e.is_structured(); });
    if (!scalars) {
      out.emplace_back(prefix, json::serialize(v));
      return;
    }
    for (const auto& e : v.get_array()) {
      if (!joined.empty()) joined += ';';
      joined += scalar_text(e);
    }
    out.emplace_back(prefix, joined);
    return;
  }
  out.emplace_back(prefix.empty() ? "value" : prefix, scalar_text(v));
}

// Rows of a result and the union of their columns in first-seen order.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> cells;
};

Rows to_rows(const json::value& value, const FieldChoice* fields) {
  Rows rows;
  // --fields: exactly its columns, whatever the records hold; else every column seen.
  if (fields) rows.columns = fields->columns;
  auto add = [&rows, fields](const json::value& v) {
    std::map<std::string, std::string> row;
    if (fields) {
      for (const auto& col : rows.columns)
        row[col] = cell_text(v.is_object() ? at_path(v.get_object(), col) : nullptr);
    } else {
      for (auto& [col, text] : flatten(v)) {
        if (std::find(rows.columns.begin(), rows.columns.end(), col) == rows.columns.end())
          rows.columns.push_back(col);
        row[col] = std::move(text);
      }
    }
    rows.cells.push_back(std::move(row));
  };
  if (value.is_array()) {
    for (const auto& e : value.get_array()) add(e);
  } else {
    add(value);
  }
  return rows;
}

// Display width in code points (close enough for the names and identifiers shown here).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string sanitize_cell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == '_' || c == '.') c = c == '_' ? ' ' : '.';
  }
  return out;
}

void pad(std::ostream& out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out << ' ';
}

void render_table(std::ostream& out, const json::value& value, const RenderOptions& options) {
  const char* on = options.color ? k_bold : "";
  const char* off = options.color ? k_reset : "";
  if (value.is_array() && value.get_array().empty()) return;
  if (!value.is_array()) {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (options.fields) {
      for (const auto& col : options.fields->columns)
        pairs.emplace_back(
            col, cell_text(value.is_object() ? at_path(value.get_object(), col) : nullptr));
    } else {
      pairs = flatten(value);
    }
    std::size_t width = 0;
    for (const auto& [k, v] : pairs) width = std::max(width, display_width(upper(k)));
    for (const auto& [k, v] : pairs) {
      std::string key = upper(k);
      out << on << key << off;
      pad(out, width - display_width(key) + 2);
      out << sanitize_cell(v) << '\n';
    }
    return;
  }
  Rows rows = to_rows(value, options.fields);
  std::vector<std::size_t> widths;
  for (const auto& col : rows.columns) {
    std::size_t w = display_width(upper(col));
    for (const auto& row : rows.cells) {
      auto it = row.find(col);
      if (it != row.end()) w = std::max(w, display_width(sanitize_cell(it->second)));
    }
    widths.push_back(w);
  }
  for (std::size_t i = 0; i < rows.columns.size(); ++i) {
    std::string h = upper(rows.columns[i]);
    out << on << h << off;
    if (i + 1 < rows.columns.size()) pad(out, widths[i] - display_width(h) + 2);
  }
  out << '\n';
  for (const auto& row : rows.cells) {
    for (std::size_t i = 0; i < rows.columns.size(); ++i) {
      auto it = row.find(rows.columns[i]);
      std::string cell = it == row.end() ? "" : sanitize_cell(it->second);
      out << cell;
      if (i + 1 < rows.columns.size()) pad(out, widths[i] - display_width(cell) + 2);
    }
    out << '\n';
  }
}

void render_csv(std::ostream& out, const json::value& value, const FieldChoice* fields) {
  // Without --fields an empty list has no columns to name; with it, the header still says them.
  if (value.is_array() && value.get_array().empty() && !fields) return;
  Rows rows = to_rows(value, fields);
  for (std::size_t i = 0; i < rows.columns.size(); ++i) {
    out << (i ? "," : "") << csv_cell(rows.columns[i]);
  }
  out << "\r\n";
  for (const auto& row : rows.cells) {
    for (std::size_t i = 0; i < rows.columns.size(); ++i) {
      auto it = row.find(rows.columns[i]);
      out << (i ? "," : "") << csv_cell(it == row.end() ? "" : it->second);
    }
    out << "\r\n";
  }
}

void pretty_json(std::ostream& out, const json::value& v, int indent) {
  auto nl = [&out](int n) {
    out << '\n';
    for (int i = 0; i < n; ++i) out << ' ';
  };
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out << "{}";
      return;
    }
    out << '{';
    bool first = true;
    for (const auto& [k, m] : o) {
      if (!first) out << ',';
      first = false;
      nl(indent + 2);
      out << json::serialize(json::string(k)) << ": ";
      pretty_json(out, m, indent + 2);
    }
    nl(indent);
    out << '}';
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out << "[]";
      return;
    }
    out << '[';
    bool first = true;
    for (const auto& e : a) {
      if (!first) out << ',';
      first = false;
      nl(indent + 2);
      pretty_json(out, e, indent + 2);
    }
    nl(indent);
    out << ']';
  } else {
    out << json::serialize(v);
  }
}

bool yaml_plain_ok(std::string_view s) {
  if (s.empty()) return false;
  static const char* k_reserved[] = {"true", "false", "yes", "no", "on",
                                     "off",  "null",  "y",   "n",  "~"};
  const std::string lower = util::lower(s);
  for (const char* r : k_reserved) {
    if (lower == r) return false;
  }
  unsigned char first = static_cast<unsigned char>(s.front());
  if (!std::isalpha(first) && first != '_' && first != '/') return false;
  if (s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos)
    return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '\\') return false;
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == '`') return false;
  }
  // Things like "1e5" or "0x1F" never get here (they start with a digit); words with a leading
  // letter are plain strings to every YAML 1.1/1.2 reader except the reserved words above.
  return true;
}

std::string yaml_scalar(const json::value& v) {
  if (v.is_string()) {
    std::string_view s = v.get_string();
    return yaml_plain_ok(s) ? std::string(s) : json::serialize(v);
  }
  if (v.is_null()) return "null";
  return json::serialize(v);
}

void yaml_into(std::string& out, const json::value& v, int indent) {
  std::string pad_s(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [k, m] : v.get_object()) {
      std::string key = yaml_plain_ok(k) ? std::string(k) : json::serialize(json::string(k));
      out += pad_s + key + ":";
      if (m.is_object() && !m.get_object().empty()) {
        out += "\n";
        yaml_into(out, m, indent + 2);
      } else if (m.is_array() && !m.get_array().empty()) {
        out += "\n";
        yaml_into(out, m, indent);
      } else if (m.is_object()) {
        out += " {}\n";
      } else if (m.is_array()) {
        out += " []\n";
      } else {
        out += " " + yaml_scalar(m) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if ((e.is_object() && !e.get_object().empty()) || (e.is_array() && !e.get_array().empty())) {
        std::string nested;
        yaml_into(nested, e, indent + 2);
        // The first line of the nested block goes on the dash line.
        out += pad_s + "- " + nested.substr(static_cast<std::size_t>(indent) + 2);
      } else if (e.is_object()) {
        out += pad_s + "- {}\n";
      } else if (e.is_array()) {
        out += pad_s + "- []\n";
      } else {
        out += pad_s + "- " + yaml_scalar(e) + "\n";
      }
    }
  } else {
    out += pad_s + yaml_scalar(v) + "\n";
  }
}

// `value` at the dotted `path` of `into`, making the objects on the way.
void put_path(json::object& into, std::string_view path, json::value value) {
  json::object* node = &into;
  for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
    json::value& next = (*node)[path.substr(0, dot)];
    if (!next.is_object()) next = json::object();
    node = &next.get_object();
    path = path.substr(dot + 1);
  }
  (*node)[path] = std::move(value);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Expected<FieldChoice> choose_fields(std::string_view list, const std::vector<std::string>& valid) {
  FieldChoice choice;
  const std::string hint = "the fields here are: " + joined(valid);
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string name(trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name.empty() ||
        std::find(choice.names.begin(), choice.names.end(), name) != choice.names.end()) {
      continue;
    }
    std::vector<std::string> columns;
    for (const auto& v : valid) {
      if (v == name || (v.size() > name.size() && v.compare(0, name.size(), name) == 0 &&
                        v[name.size()] == '.')) {
        columns.push_back(v);
      }
    }
    if (columns.empty()) {
      return fail(ErrorKind::usage, "--fields: unknown field \"" + name + "\"", hint);
    }
    choice.names.push_back(name);
    for (auto& c : columns) {
      if (std::find(choice.columns.begin(), choice.columns.end(), c) == choice.columns.end())
        choice.columns.push_back(std::move(c));
    }
  }
  if (choice.names.empty()) return fail(ErrorKind::usage, "--fields names no field", hint);
  return choice;
}

const json::value* at_path(const json::object& record, std::string_view path) {
  const json::object* node = &record;
  while (true) {
    auto dot = path.find('.');
    const json::value* v = node->if_contains(path.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    node = &v->get_object();
    path = path.substr(dot + 1);
  }
}

std::string cell_text(const json::value* value) {
  if (!value) return {};
  if (value->is_object()) return json::serialize(*value);
  if (!value->is_array()) return scalar_text(*value);
  const auto& items = value->get_array();
  if (std::any_of(items.begin(), items.end(),
                  [](const json::value& e) { return e.is_structured(); }))
    return json::serialize(*value);
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ";" : "") + scalar_text(items[i]);
  return out;
}

json::object project(const json::object& record, const std::vector<std::string>& names) {
  json::object out;
  for (const auto& name : names) {
    const json::value* v = at_path(record, name);
    put_path(out, name, v ? *v : json::value(nullptr));
  }
  return out;
}

json::value project(const json::value& value, const std::vector<std::string>& names) {
  if (value.is_object()) return project(value.get_object(), names);
  if (!value.is_array()) return value;
  json::array out;
  out.reserve(value.get_array().size());
  for (const auto& e : value.get_array()) out.push_back(project(e, names));
  return out;
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "table") return Format::table;
  if (name == "json") return Format::json;
  if (name == "jsonl") return Format::jsonl;
  if (name == "csv") return Format::csv;
  if (name == "yaml") return Format::yaml;
  return std::nullopt;
}

const char* format_name(Format format) {
  switch (format) {
    case Format::table:
      return "table";
    case Format::json:
      return "json";
    case Format::jsonl:
      return "jsonl";
    case Format::csv:
      return "csv";
    case Format::yaml:
      return "yaml";
  }
  return "json";
}

std::vector<std::pair<std::string, std::string>> flatten(const json::value& value) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(value, "", out);
  return out;
}

namespace {
// A plain decimal number ("-12.50", "+3"): a spreadsheet reads it as the number it is, never as
// a formula, and a payment-posting load must see it unchanged.
bool plain_number(std::string_view text) {
  std::size_t i = (text.front() == '-' || text.front() == '+') ? 1 : 0;
  const std::size_t digits_from = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == digits_from) return false;
  if (i < text.size() && text[i] == '.') {
    const std::size_t fraction_from = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == fraction_from) return false;
  }
  return i == text.size();
}
}  // namespace

void append_csv_cell(std::string& out, std::string_view text) {
  const bool guard = !text.empty() &&
                     (text.front() == '=' || text.front() == '+' || text.front() == '-' ||
                      text.front() == '@' || text.front() == '\t' || text.front() == '\r') &&
                     !plain_number(text);
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    if (guard) out += '\'';
    out += text;
    return;
  }
  out += '"';
  if (guard) out += '\'';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string csv_cell(std::string_view text) {
  std::string cell;
  append_csv_cell(cell, text);
  return cell;
}

std::string to_yaml(const json::value& value) {
  std::string out;
  if (value.is_structured() && ((value.is_object() && value.get_object().empty()) ||
                                (value.is_array() && value.get_array().empty()))) {
    return value.is_object() ? "{}\n" : "[]\n";
  }
  yaml_into(out, value, 0);
  return out;
}

void render(std::ostream& out, const json::value& given, Format format,
            const RenderOptions& options) {
  json::value projected;
  if (options.fields && format != Format::table && format != Format::csv)
    projected = project(given, options.fields->names);
  const json::value& value = projected.is_null() ? given : projected;
  switch (format) {
    case Format::table:
      render_table(out, value, options);
      break;
    case Format::json:
      pretty_json(out, value, 0);
      out << '\n';
      break;
    case Format::jsonl:
      if (value.is_array()) {
        for (const auto& e : value.get_array()) out << json::serialize(e) << '\n';
      } else {
        out << json::serialize(value) << '\n';
      }
      break;
    case Format::csv:
      render_csv(out, value, options.fields);
      break;
    case Format::yaml:
      out << to_yaml(value);
      break;
  }
  out.flush();
}

}  // namespace portal::output
