#include "x12/codes.hpp"

#include <array>
#include <cstddef>
#include <utility>

namespace x12::codes {

namespace detail {
// Defined in the file cmake/embed_code_tables.cmake generates: each data/x12/*.tsv as its name
// without .tsv and its bytes.
std::span<const std::pair<std::string_view, std::string_view>> embedded_tables();
}  // namespace detail

namespace {

constexpr std::size_t k_lists = 8;

constexpr std::array<ListInfo, k_lists> k_info{{
    {List::aaa, "AAA", "AAA03", "AAA03 reject reason codes (element 901)"},
    {List::aaa_follow_up, "AAA04", "AAA04", "AAA04 follow-up action codes (element 889)"},
    {List::stc_category, "STC", "STC01-1", "claim status category codes (list 507)"},
    {List::stc_status, "STATUS", "STC01-2", "claim status codes (list 508, a subset)"},
    {List::entity, "ENTITY", "STC01-3", "entity identifier codes (element 98)"},
    {List::carc, "CARC", "CAS02", "claim adjustment reason codes (list 139, a subset)"},
    {List::carc_group, "GROUP", "CAS01", "claim adjustment group codes (element 1033)"},
    {List::rarc, "RARC", "LQ02", "remittance advice remark codes (list 411, a subset)"},
}};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < k_lists; ++i)
    if (static_cast<std::size_t>(k_info[i].list) != i) return false;
  return true;
}
static_assert(in_enum_order(), "k_info follows the order of List");

// The data/x12 file of each list, in enum order.
constexpr std::array<std::string_view, k_lists> k_files{
    "aaa03", "aaa04", "stc_category", "stc_status", "entity", "carc", "carc_group", "rarc"};

struct Alias {
  std::string_view name;
  List list;
};
constexpr Alias k_aliases[] = {
    {"AAA", List::aaa},
    {"AAA03", List::aaa},
    {"AAA04", List::aaa_follow_up},
    {"STC", List::stc_category},
    {"CATEGORY", List::stc_category},
    {"STC-CATEGORY", List::stc_category},
    {"STATUS", List::stc_status},
    {"STC-STATUS", List::stc_status},
    {"ENTITY", List::entity},
    {"CARC", List::carc},
    {"CAS", List::carc},
    {"GROUP", List::carc_group},
    {"CARC-GROUP", List::carc_group},
    {"RARC", List::rarc},
};

constexpr std::string_view k_fields[] = {"",
                                         "member_id",
                                         "date_of_birth",
                                         "first_name/last_name",
                                         "provider_npi",
                                         "service_date",
                                         "health_plan"};

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

std::optional<Retry> parse_retry(std::string_view s) {
  if (s.empty() || s == "none") return Retry::none;
  if (s == "fix") return Retry::fix;
  if (s == "later") return Retry::later;
  if (s == "never") return Retry::never;
  return std::nullopt;
}

struct Tables {
  std::array<std::vector<Code>, k_lists> codes;
  std::vector<std::string> problems;
};

// Reads one table: a line is a comment (#), empty, or six tab-separated columns.
void read_table(std::size_t list, std::string_view name, std::string_view text, Tables& out) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::array<std::string_view, 6> cols{};
    std::size_t n = 0;
    for (;;) {
      const std::size_t tab = line.find('\t');
      if (n < cols.size()) cols[n] = line.substr(0, tab);
      ++n;
      if (tab == std::string_view::npos) break;
      line.remove_prefix(tab + 1);
    }
    const std::string where = std::string(name) + ".tsv:" + std::to_string(line_no) + ": ";
    if (n != cols.size()) {
      out.problems.push_back(where + std::to_string(n) + " columns instead of 6");
      continue;
    }
    const auto retry = parse_retry(cols[5]);
    if (!retry) {
      out.problems.push_back(where + "unknown retry class \"" + std::string(cols[5]) + "\"");
      continue;
    }
    bool field_ok = false;
    for (std::string_view f : k_fields) field_ok = field_ok || f == cols[4];
    if (!field_ok) out.problems.push_back(where + "unknown field \"" + std::string(cols[4]) + "\"");
    if (cols[0].empty() || cols[1].empty() || cols[2].empty()) {
      out.problems.push_back(where + "a code needs its code, title and meaning");
      continue;
    }
    bool duplicate = false;
    for (const Code& c : out.codes[list]) duplicate = duplicate || iequals(c.code, cols[0]);
    if (duplicate) {
      out.problems.push_back(where + "code " + std::string(cols[0]) + " appears twice");
      continue;
    }
    out.codes[list].push_back(
        Code{k_info[list].name, cols[0], cols[1], cols[2], cols[3], cols[4], *retry});
  }
}

const Tables& tables() {
  static const Tables k_tables = [] {
    Tables t;
    std::array<bool, k_lists> seen{};
    for (const auto& [name, text] : detail::embedded_tables()) {
      std::size_t list = k_lists;
      for (std::size_t i = 0; i < k_lists; ++i)
        if (k_files[i] == name) list = i;
      if (list == k_lists) {
        t.problems.push_back(std::string(name) + ".tsv: no list reads this table");
        continue;
      }
      seen[list] = true;
      read_table(list, name, text, t);
    }
    for (std::size_t i = 0; i < k_lists; ++i)
      if (!seen[i]) t.problems.push_back(std::string(k_files[i]) + ".tsv is missing");
    return t;
  }();
  return k_tables;
}

}  // namespace

const Code* find(List list, std::string_view code) {
  for (const Code& c : all(list))
    if (iequals(c.code, code)) return &c;
  return nullptr;
}

std::optional<List> list_named(std::string_view name) {
  for (const Alias& a : k_aliases)
    if (iequals(a.name, name)) return a.list;
  return std::nullopt;
}

std::span<const Code> all(List list) {
  const auto i = static_cast<std::size_t>(list);
  if (i >= k_lists) return {};
  return tables().codes[i];
}

std::span<const ListInfo> lists() { return k_info; }

const ListInfo& info(List list) {
  const auto i = static_cast<std::size_t>(list);
  return k_info[i < k_lists ? i : 0];
}

std::string_view retry_name(Retry retry) {
  switch (retry) {
    case Retry::none:
      return "none";
    case Retry::fix:
      return "fix";
    case Retry::later:
      return "later";
    case Retry::never:
      return "never";
  }
  return "none";
}

namespace detail {
const std::vector<std::string>& table_problems() { return tables().problems; }
}  // namespace detail

}  // namespace x12::codes
