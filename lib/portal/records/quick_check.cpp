#include "portal/records/quick_check.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <valijson/utils/utf8_utils.hpp>

#include "portal/util/text.hpp"

namespace portal::records {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Patterns

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool hex_digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!is_hex(s[i])) return false;
  }
  return true;
}

// Whether `p` keeps to the part of ECMAScript that PCRE2 (with the options below) reads the same
// way: literals, classes without nesting, groups without "(?", alternation, greedy or lazy
// quantifiers, ^ and $, and the escapes \d \D \w \W \s \S \t \n \r \f \uHHHH \xHH and escaped
// punctuation. \v (a class in PCRE2, one character in ECMAScript), \b, back-references, \0,
// \c, lookaround, "[]", "[^]" and POSIX classes are left to std::regex.
bool in_common_core(std::string_view p) {
  const std::string_view escapable = "dDwWsStnrf\\^$.|?*+()[]{}/-";
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) return false;
      const char e = p[i + 1];
      if (e == 'u') {
        if (!hex_digits(p, i + 2, 4)) return false;
        i += 5;
      } else if (e == 'x') {
        if (!hex_digits(p, i + 2, 2)) return false;
        i += 3;
      } else if (escapable.find(e) != std::string_view::npos) {
        i += 1;
      } else {
        return false;
      }
      continue;
    }
    if (in_class) {
      if (c == '[') return false;
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      std::size_t next = i + 1;
      if (next < p.size() && p[next] == '^') ++next;
      if (next >= p.size() || p[next] == ']') return false;
      in_class = true;
      i = next - 1;
    } else if (c == '(' && i + 1 < p.size() && p[i + 1] == '?') {
      return false;
    }
  }
  return !in_class;
}

// One match-data block per thread, shared by every pattern (only "matched or not" is read).
pcre2_match_data* thread_match_data() {
  struct Holder {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    ~Holder() { pcre2_match_data_free(data); }
  };
  thread_local Holder holder;
  return holder.data;
}

}  // namespace

namespace {

// A pattern that is `^`, then classes or literal characters each with an optional greedy
// quantifier, then `$` (what the schemas' IDs, codes and dates are checked with), matched
// without PCRE2: a batch row checks several, and the call into PCRE2 costs more than the match.
// The text is read a byte at a time, as std::regex and PCRE2 (without UTF) read it, each atom in
// turn taking all it can; only a pattern where that cannot lose a match is taken (no atom of
// variable length reads a character what follows it could begin with), the rest go to PCRE2.
class SimplePattern {
 public:
  static std::optional<SimplePattern> compile(std::string_view p);
  bool matches(std::string_view text) const;

 private:
  struct Atom {
    std::array<bool, 256> set{};
    std::uint32_t min = 1, max = 1;  // max: k_unbounded for * and +
  };
  static constexpr std::uint32_t k_unbounded = UINT32_MAX;

  // Whether each atom can take as many characters as it reads (up to its maximum): true when no
  // atom of variable length reads a character that what follows it could begin with.
  bool greedy_is_exact() const;

  std::vector<Atom> m_atoms;
};

bool SimplePattern::greedy_is_exact() const {
  for (std::size_t k = 0; k < m_atoms.size(); ++k) {
    if (m_atoms[k].min == m_atoms[k].max) continue;
    // The characters the rest may begin with: the next atoms' up to the first that needs one.
    for (std::size_t j = k + 1; j < m_atoms.size(); ++j) {
      for (std::size_t b = 0; b < 256; ++b)
        if (m_atoms[k].set[b] && m_atoms[j].set[b]) return false;
      if (m_atoms[j].min > 0) break;
    }
  }
  return true;
}

bool SimplePattern::matches(std::string_view text) const {
  std::size_t at = 0;
  for (const Atom& a : m_atoms) {
    const std::size_t left = text.size() - at;
    const std::size_t limit = a.max == k_unbounded ? left : std::min<std::size_t>(a.max, left);
    std::size_t n = 0;
    while (n < limit && a.set[static_cast<unsigned char>(text[at + n])]) ++n;
    if (n < a.min) return false;
    at += n;
  }
  return at == text.size();
}

// A character of a class or a literal: "\uHHHH" (ASCII only), an escaped punctuation mark, or
// itself; advances `i`. nullopt for what this matcher leaves to PCRE2.
std::optional<unsigned char> simple_char(std::string_view p, std::size_t& i) {
  const char c = p[i];
  if (c != '\\') {
    ++i;
    return static_cast<unsigned char>(c);
  }
  if (i + 1 >= p.size()) return std::nullopt;
  const char e = p[i + 1];
  if (e == 'u' && hex_digits(p, i + 2, 4)) {
    const unsigned long v = std::stoul(std::string(p.substr(i + 2, 4)), nullptr, 16);
    if (v > 0x7F) return std::nullopt;
    i += 6;
    return static_cast<unsigned char>(v);
  }
  if (std::string_view(".-_:/\\").find(e) != std::string_view::npos) {
    i += 2;
    return static_cast<unsigned char>(e);
  }
  return std::nullopt;
}

std::optional<SimplePattern> SimplePattern::compile(std::string_view p) {
  if (p.size() < 2 || p.front() != '^' || p.back() != '$') return std::nullopt;
  p = p.substr(1, p.size() - 2);
  SimplePattern out;
  std::vector<Atom> atoms;
  std::size_t i = 0;
  while (i < p.size()) {
    Atom atom;
    if (p[i] == '[') {
      ++i;
      const bool negated = i < p.size() && p[i] == '^';
      if (negated) ++i;
      bool closed = false, any = false;
      while (i < p.size()) {
        if (p[i] == ']' && any) {
          ++i;
          closed = true;
          break;
        }
        if (p[i] == '[' || p[i] == ']') return std::nullopt;
        if (p.substr(i, 2) == "\\s") {  // the C locale's white space, as both engines read it
          for (const char w : std::string_view(" \t\n\v\f\r"))
            atom.set[static_cast<unsigned char>(w)] = true;
          i += 2;
          any = true;
          continue;
        }
        if (p.substr(i, 2) == "\\d") {
          for (char d = '0'; d <= '9'; ++d) atom.set[static_cast<unsigned char>(d)] = true;
          i += 2;
          any = true;
          continue;
        }
        auto lo = simple_char(p, i);
        if (!lo) return std::nullopt;
        unsigned char hi = *lo;
        // "a-z" is a range; a '-' first or last in the class is itself.
        if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
          ++i;
          auto end = simple_char(p, i);
          if (!end || *end < *lo) return std::nullopt;
          hi = *end;
        }
        for (unsigned c = *lo; c <= hi; ++c) atom.set[c] = true;
        any = true;
      }
      if (!closed) return std::nullopt;
      if (negated) {
        for (auto& in : atom.set) in = !in;
      }
    } else {
      const char c = p[i];
      const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' || c == ',' ||
                         c == ' ' || c == '@' || c == '#' || c == '=' || c == '/';
      if (!plain) return std::nullopt;
      atom.set[static_cast<unsigned char>(c)] = true;
      ++i;
    }
    if (i < p.size()) {
      const char q = p[i];
      if (q == '*' || q == '+' || q == '?') {
        atom.min = q == '+' ? 1 : 0;
        atom.max = q == '?' ? 1 : k_unbounded;
        ++i;
      } else if (q == '{') {
        const auto close = p.find('}', i);
        if (close == std::string_view::npos) return std::nullopt;
        const std::string_view inside = p.substr(i + 1, close - i - 1);
        const auto comma = inside.find(',');
        auto number = [](std::string_view s, std::uint32_t& n) {
          auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
          return !s.empty() && ec == std::errc() && end == s.data() + s.size() && n <= 64;
        };
        if (!number(inside.substr(0, comma), atom.min)) return std::nullopt;
        if (comma == std::string_view::npos) {
          atom.max = atom.min;
        } else if (comma + 1 == inside.size()) {
          atom.max = k_unbounded;
        } else if (!number(inside.substr(comma + 1), atom.max) || atom.max < atom.min) {
          return std::nullopt;
        }
        i = close + 1;
      }
      // A lazy quantifier, or a quantifier quantified, is left to PCRE2.
      if (i < p.size() && (p[i] == '?' || p[i] == '*' || p[i] == '+' || p[i] == '{'))
        return std::nullopt;
    }
    atoms.push_back(atom);
  }
  out.m_atoms = std::move(atoms);
  // Where taking all it can might lose a match, PCRE2 (which backtracks) decides.
  if (!out.greedy_is_exact()) return std::nullopt;
  return out;
}

}  // namespace

struct Pattern::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  std::optional<SimplePattern> simple;  // set: PCRE2 is not called
  ~Code() { pcre2_code_free(code); }
};

Pattern::Pattern(std::unique_ptr<Code> code) : m_code(std::move(code)) {}
Pattern::~Pattern() = default;

std::unique_ptr<Pattern> Pattern::compile(std::string_view ecmascript) {
  if (!in_common_core(ecmascript)) return nullptr;
  // ECMAScript as std::regex reads it over bytes: \uHHHH escapes, $ only at the very end, '.'
  // excluding both CR and LF, no UTF-8 decoding (a byte above 0x7F is one character), and the
  // "C" locale's character classes (PCRE2's built-in tables).
  pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
  if (!context) return nullptr;
  pcre2_set_newline(context, PCRE2_NEWLINE_ANYCRLF);
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto code = std::make_unique<Code>();
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(ecmascript.data()), ecmascript.size(),
                             PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF |
                                 PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C,
                             &error, &offset, context);
  pcre2_compile_context_free(context);
  if (!code->code) return nullptr;
  // Without the JIT (a system that forbids executable memory) the interpreter still works.
  code->jit = pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE) == 0;
  code->simple = SimplePattern::compile(ecmascript);
  return std::unique_ptr<Pattern>(new Pattern(std::move(code)));
}

std::optional<bool> Pattern::search(std::string_view text) const {
  if (m_code->simple) return m_code->simple->matches(text);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  pcre2_match_data* data = thread_match_data();
  if (!data) return std::nullopt;
  const int rc = m_code->jit
                     ? pcre2_jit_match(m_code->code, subject, text.size(), 0, 0, data, nullptr)
                     : pcre2_match(m_code->code, subject, text.size(), 0, 0, data, nullptr);
  if (rc >= 0) return true;  // 0: matched, with more groups than the match data holds
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The schema as a tree of the constraints the check implements

struct QuickCheck::Node {
  enum class Type { string, integer, number, boolean, null, object, array };
  Type type = Type::object;
  // strings
  std::optional<std::uint64_t> min_length, max_length;
  std::vector<std::unique_ptr<Pattern>> patterns;
  std::optional<std::vector<std::string>> string_enum;
  // numbers
  std::optional<double> minimum, maximum;
  // objects
  struct Property {
    std::string name;
    std::unique_ptr<Node> schema;
    bool required = false;
  };
  std::vector<Property> properties;
  std::size_t required_declared = 0;        // required names that are among the properties
  std::vector<std::string> required_other;  // required names that are not
  bool additional_properties = true;
  std::optional<std::uint64_t> min_properties, max_properties;
  // arrays
  std::unique_ptr<Node> items;
  std::optional<std::uint64_t> min_items, max_items;

  bool accepts(const json::value& v) const;
  bool accepts_object(const json::object& o) const;
  // The property called `name`, trying the one at `hint` first; nullptr if none.
  const Property* find_property(std::string_view name, std::size_t hint) const;
};

namespace {

using Node = QuickCheck::Node;

std::optional<Node::Type> type_named(std::string_view name) {
  if (name == "string") return Node::Type::string;
  if (name == "integer") return Node::Type::integer;
  if (name == "number") return Node::Type::number;
  if (name == "boolean") return Node::Type::boolean;
  if (name == "null") return Node::Type::null;
  if (name == "object") return Node::Type::object;
  if (name == "array") return Node::Type::array;
  return std::nullopt;
}

bool count_of(const json::value& v, std::optional<std::uint64_t>& out) {
  if (v.is_int64() && v.get_int64() >= 0)
    out = static_cast<std::uint64_t>(v.get_int64());
  else if (v.is_uint64())
    out = v.get_uint64();
  else
    return false;
  return true;
}

bool number_of(const json::value& v, std::optional<double>& out) {
  if (!v.is_number()) return false;
  out = v.to_number<double>();
  return true;
}

// Keywords that only annotate: valijson ignores them when validating.
bool is_annotation(std::string_view key) {
  return key == "$schema" || key == "$id" || key == "$comment" || key == "title" ||
         key == "description" || key == "examples" || key == "default";
}

std::unique_ptr<Node> compile_node(const json::value& schema) {
  if (!schema.is_object()) return nullptr;
  const json::object& s = schema.get_object();
  auto node = std::make_unique<Node>();
  const json::value* type = s.if_contains("type");
  if (!type || !type->is_string()) return nullptr;  // several types or none: valijson decides
  auto t = type_named(type->get_string());
  if (!t) return nullptr;
  node->type = *t;
  const bool numeric = *t == Node::Type::integer || *t == Node::Type::number;
  for (const auto& [key, value] : s) {
    bool ok = true;
    if (key == "type" || is_annotation(key)) {
      continue;
    } else if (key == "minLength" && *t == Node::Type::string) {
      ok = count_of(value, node->min_length);
    } else if (key == "maxLength" && *t == Node::Type::string) {
      ok = count_of(value, node->max_length);
    } else if (key == "pattern" && *t == Node::Type::string && value.is_string()) {
      auto p = Pattern::compile(value.get_string());
      ok = p != nullptr;
      node->patterns.push_back(std::move(p));
    } else if (key == "enum" && *t == Node::Type::string && value.is_array()) {
      std::vector<std::string> values;
      for (const auto& e : value.get_array()) {
        if (!e.is_string()) return nullptr;
        values.emplace_back(e.get_string());
      }
      node->string_enum = std::move(values);
    } else if (key == "minimum" && numeric) {
      ok = number_of(value, node->minimum);
    } else if (key == "maximum" && numeric) {
      ok = number_of(value, node->maximum);
    } else if (key == "properties" && *t == Node::Type::object && value.is_object()) {
      for (const auto& [name, sub] : value.get_object()) {
        auto child = compile_node(sub);
        if (!child) return nullptr;
        node->properties.push_back({std::string(name), std::move(child)});
      }
    } else if (key == "required" && *t == Node::Type::object && value.is_array()) {
      for (const auto& e : value.get_array()) {
        if (!e.is_string()) return nullptr;
        node->required_other.emplace_back(e.get_string());
      }
    } else if (key == "additionalProperties" && *t == Node::Type::object && value.is_bool()) {
      node->additional_properties = value.get_bool();
    } else if (key == "minProperties" && *t == Node::Type::object) {
      ok = count_of(value, node->min_properties);
    } else if (key == "maxProperties" && *t == Node::Type::object) {
      ok = count_of(value, node->max_properties);
    } else if (key == "items" && *t == Node::Type::array && value.is_object()) {
      node->items = compile_node(value);
      ok = node->items != nullptr;
    } else if (key == "minItems" && *t == Node::Type::array) {
      ok = count_of(value, node->min_items);
    } else if (key == "maxItems" && *t == Node::Type::array) {
      ok = count_of(value, node->max_items);
    } else {
      ok = false;  // a keyword the check does not implement, or one in an unexpected form
    }
    if (!ok) return nullptr;
  }
  // A required property is then counted while the members are checked, not looked up again.
  std::vector<std::string> other;
  for (auto& name : node->required_other) {
    auto p = std::find_if(node->properties.begin(), node->properties.end(),
                          [&](const Node::Property& p) { return p.name == name; });
    if (p == node->properties.end()) {
      other.push_back(std::move(name));
    } else if (!p->required) {
      p->required = true;
      ++node->required_declared;
    }
  }
  node->required_other = std::move(other);
  return node;
}

// The length valijson gives a string: its code points up to the first NUL byte
// (valijson::utils::u8_strlen), which is the byte count for plain ASCII.
std::uint64_t code_points(const json::string& s) {
  return is_plain_ascii({s.data(), s.size()}) ? s.size() : valijson::utils::u8_strlen(s.c_str());
}

template <typename T>
bool within(T n, const std::optional<T>& least, const std::optional<T>& most) {
  return (!least || n >= *least) && (!most || n <= *most);
}

}  // namespace

const Node::Property* Node::find_property(std::string_view name, std::size_t hint) const {
  // Rows usually list their fields in the schema's order (a CSV header copied from the docs).
  if (hint < properties.size() && properties[hint].name == name) return &properties[hint];
  for (const auto& p : properties) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool Node::accepts_object(const json::object& o) const {
  if (!within<std::uint64_t>(o.size(), min_properties, max_properties)) return false;
  std::size_t required_seen = 0;  // an object's keys are unique
  std::size_t position = 0;
  for (const auto& member : o) {
    const Property* property = find_property(member.key(), position++);
    if (!property) {
      if (!additional_properties) return false;
      continue;
    }
    if (!property->schema->accepts(member.value())) return false;
    required_seen += property->required;
  }
  if (required_seen != required_declared) return false;
  for (const auto& name : required_other) {
    if (!o.contains(name)) return false;
  }
  return true;
}

bool Node::accepts(const json::value& v) const {
  switch (type) {
    case Type::string: {
      if (!v.is_string()) return false;
      const json::string& s = v.get_string();
      if (min_length || max_length) {
        if (!within<std::uint64_t>(code_points(s), min_length, max_length)) {
          return false;
        }
      }
      for (const auto& p : patterns) {
        auto found = p->search(s);
        if (!found || !*found) return false;
      }
      if (string_enum) {
        for (const auto& e : *string_enum) {
          if (e == s) return true;
        }
        return false;
      }
      return true;
    }
    case Type::integer:
    case Type::number: {
      // Only the forms valijson reads the same way with strong types: int64 always, and a double
      // for "number" (an unsigned beyond int64 is left to valijson).
      double d = 0;
      if (v.is_int64())
        d = static_cast<double>(v.get_int64());
      else if (v.is_double() && type == Type::number)
        d = v.get_double();
      else
        return false;
      return (!minimum || d >= *minimum) && (!maximum || d <= *maximum);
    }
    case Type::boolean:
      return v.is_bool();
    case Type::null:
      return v.is_null();
    case Type::object:
      return v.is_object() && accepts_object(v.get_object());
    case Type::array: {
      if (!v.is_array()) return false;
      const json::array& a = v.get_array();
      if (!within<std::uint64_t>(a.size(), min_items, max_items)) return false;
      if (items) {
        for (const auto& e : a) {
          if (!items->accepts(e)) return false;
        }
      }
      return true;
    }
  }
  return false;
}

QuickCheck::QuickCheck(std::unique_ptr<Node> root) : m_root(std::move(root)) {}
QuickCheck::~QuickCheck() = default;

std::unique_ptr<QuickCheck> QuickCheck::compile(const json::value& schema) {
  auto root = compile_node(schema);
  if (!root) return nullptr;
  return std::unique_ptr<QuickCheck>(new QuickCheck(std::move(root)));
}

bool QuickCheck::accepts(const json::value& record) const { return m_root->accepts(record); }

bool QuickCheck::accepts(const json::object& record) const {
  return m_root->type == Node::Type::object && m_root->accepts_object(record);
}

}  // namespace portal::records
