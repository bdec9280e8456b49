#include "sandbox/eligibility.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include "portal/util/maintenance.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::year_month_day;

namespace {

std::string member_key(std::string_view plan, std::string_view member_id) {
  std::string key(plan);
  key += '/';
  key += member_id;
  return key;
}

[[noreturn]] void bad_seed(std::string_view origin, const std::string& what) {
  throw std::runtime_error(std::string(origin) + ": " + what);
}

std::string required_text(const YAML::Node& node, const char* field, std::string_view origin,
                          const std::string& entry) {
  const YAML::Node v = node[field];
  if (!v || !v.IsScalar() || v.Scalar().empty()) {
    bad_seed(origin, entry + ": " + field + " is required");
  }
  return v.Scalar();
}

year_month_day required_date(const YAML::Node& node, const char* field, std::string_view origin,
                             const std::string& entry) {
  auto text = required_text(node, field, origin, entry);
  auto d = parse_date(text);
  if (!d) bad_seed(origin, entry + ": " + field + " is not a date (YYYY-MM-DD): " + text);
  return *d;
}

// A YAML map of numbers (or a list of strings) as JSON, in the seed's key order.
json::value yaml_to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    json::object o;
    for (const auto& kv : node) o[kv.first.Scalar()] = yaml_to_json(kv.second);
    return o;
  }
  if (node.IsSequence()) {
    json::array a;
    for (const auto& item : node) a.push_back(yaml_to_json(item));
    return a;
  }
  if (node.IsNull()) return nullptr;
  const std::string& s = node.Scalar();
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 16) {
    return std::stoll(s);
  }
  if (s == "true" || s == "false") return s == "true";
  return json::string(s);
}

HealthPlan read_plan(const YAML::Node& node, std::string_view origin, std::size_t index) {
  std::string entry = "plan #" + std::to_string(index + 1);
  HealthPlan p;
  p.id = required_text(node, "id", origin, entry);
  entry = "plan " + p.id;
  if (util::lower(p.id) != p.id) bad_seed(origin, entry + ": plan ids are lower case");
  p.name = required_text(node, "name", origin, entry);
  p.type = required_text(node, "type", origin, entry);
  if (node["payer_id"]) {
    p.payer_id = util::upper(node["payer_id"].as<std::string>());
    if (p.payer_id.empty() || p.payer_id.size() > 80 ||
        p.payer_id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != std::string::npos)
      bad_seed(origin, entry + ": payer_id must be 1 to 80 letters and digits");
  }
  std::string pattern = required_text(node, "member_id_pattern", origin, entry);
  try {
    p.member_id_pattern = std::regex(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    bad_seed(origin, entry + ": member_id_pattern is not a regular expression: " + e.what());
  }
  p.member_id_format =
      node["member_id_format"] ? node["member_id_format"].as<std::string>() : pattern;
  if (!node["benefits"] || !node["benefits"].IsMap())
    bad_seed(origin, entry + ": benefits are required");
  p.benefits = yaml_to_json(node["benefits"]).as_object();
  return p;
}

Member read_member(const YAML::Node& node, std::string_view origin, std::size_t index) {
  std::string entry = "member #" + std::to_string(index + 1);
  Member m;
  m.member_id = util::upper(required_text(node, "member_id", origin, entry));
  entry = "member " + m.member_id;
  m.first_name = required_text(node, "first_name", origin, entry);
  m.last_name = required_text(node, "last_name", origin, entry);
  required_date(node, "date_of_birth", origin, entry);
  m.date_of_birth = node["date_of_birth"].Scalar();
  m.plan = required_text(node, "plan", origin, entry);
  m.coverage_start = required_date(node, "coverage_start", origin, entry);
  if (node["coverage_end"] && !node["coverage_end"].IsNull()) {
    m.coverage_end = required_date(node, "coverage_end", origin, entry);
    if (*m.coverage_end < m.coverage_start)
      bad_seed(origin, entry + ": coverage ends before it starts");
  }
  m.first_key = name_key(m.first_name);
  m.last_key = name_key(m.last_name);
  return m;
}

// Decodes one UTF-8 sequence at `i` (advancing it); malformed bytes come back as themselves.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i++]);
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  char32_t cp = extra == 3 ? b & 0x07u : extra == 2 ? b & 0x0Fu : extra == 1 ? b & 0x1Fu : b;
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0u) != 0x80u) return b;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3Fu);
  }
  return cp;
}

// The ASCII letters a Latin-1 Supplement or Latin Extended-A letter is written with when the
// accent is left out; nullptr for other code points.
const char* unaccented(char32_t cp) {
  // U+00C0..U+00FF, lower-cased; "" for the signs in the block that are not letters.
  static const char* const k_latin1[64] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};
  // U+0100..U+017F (Latin Extended-A): pairs of upper and lower case of one base letter.
  static const char* const k_latin_ext_a[128] = {
      "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
      "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
      "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
      "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
      "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
      "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
      "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
      "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};
  if (cp >= 0xC0 && cp <= 0xFF) return k_latin1[cp - 0xC0];
  if (cp >= 0x100 && cp <= 0x17F) return k_latin_ext_a[cp - 0x100];
  return nullptr;
}

// Whether a Latin-1 Supplement or Latin Extended-A letter is upper case: U+00C0..U+00DE but the
// multiplication sign, and in Extended-A the first of each case pair (pairs start on an even code
// point, except in U+0139..U+0148 and U+0179..U+017E).
bool is_upper_latin(char32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;
  if (cp == 0x178) return true;
  if (cp < 0x100 || cp > 0x17F || cp == 0x138 || cp == 0x149 || cp == 0x17F) return false;
  const bool odd_pairs = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
  return odd_pairs ? cp % 2 == 1 : cp % 2 == 0;
}

ApiError reject(const json::object& body, std::string code, const char* x12_aaa,
                std::string message) {
  json::object extra{
      {"reject_reason", json::object{{"code", code}, {"x12_aaa", x12_aaa}, {"message", message}}}};
  if (const auto* ref = body.if_contains("ref"); ref && ref->is_string()) extra["ref"] = *ref;
  return ApiError{422, "eligibility_rejected", "eligibility check rejected: " + message,
                  std::move(extra)};
}

}  // namespace

// ---- the roster ------------------------------------------------------------------------------

Roster Roster::load(const std::filesystem::path& seed_dir) {
  return parse(read_seed_file(seed_dir / "plans.yaml"), read_seed_file(seed_dir / "members.yaml"),
               seed_dir.string());
}

Roster Roster::parse(std::string_view plans_yaml, std::string_view members_yaml,
                     std::string_view origin) {
  Roster r;
  std::string plans_origin = std::string(origin) + "/plans.yaml";
  std::string members_origin = std::string(origin) + "/members.yaml";
  YAML::Node plans, members;
  try {
    plans = YAML::Load(std::string(plans_yaml));
    members = YAML::Load(std::string(members_yaml));
  } catch (const YAML::Exception& e) {
    bad_seed(origin, std::string("not valid YAML: ") + e.what());
  }
  if (plans["plans"]) {
    std::size_t i = 0;
    for (const auto& node : plans["plans"]) {
      HealthPlan p = read_plan(node, plans_origin, i++);
      if (!r.m_plan_index.emplace(p.id, r.m_plans.size()).second) {
        bad_seed(plans_origin, "plan " + p.id + " is listed twice");
      }
      for (const auto& other : r.m_plans) {
        if (!p.payer_id.empty() && other.payer_id == p.payer_id)
          bad_seed(plans_origin,
                   "plans " + other.id + " and " + p.id + " share the payer_id " + p.payer_id);
      }
      r.m_plans.push_back(std::move(p));
    }
  }
  if (members["members"]) {
    std::size_t i = 0;
    for (const auto& node : members["members"]) {
      Member m = read_member(node, members_origin, i++);
      const HealthPlan* plan = r.plan(m.plan);
      if (plan == nullptr)
        bad_seed(members_origin, "member " + m.member_id + ": unknown plan " + m.plan);
      // A roster entry that the plan's own format rejects could never be found.
      if (!std::regex_match(m.member_id, plan->member_id_pattern)) {
        bad_seed(members_origin, "member " + m.member_id + " does not fit " + m.plan +
                                     "'s member ID format (" + plan->member_id_format + ")");
      }
      std::string key = member_key(m.plan, m.member_id);
      if (r.m_members.count(key) != 0) {
        bad_seed(members_origin, "member " + m.member_id + " is listed twice in " + m.plan);
      }
      r.m_members.emplace(std::move(key), std::move(m));
    }
  }
  return r;
}

const HealthPlan* Roster::plan(std::string_view id) const {
  auto it = m_plan_index.find(std::string(id));
  return it == m_plan_index.end() ? nullptr : &m_plans[it->second];
}

const HealthPlan* Roster::plan_by_payer_id(std::string_view payer_id) const {
  std::string id = util::upper(payer_id);
  for (const auto& p : m_plans) {
    if (!p.payer_id.empty() && p.payer_id == id) return &p;
  }
  return nullptr;
}

const Member* Roster::member(std::string_view plan_id, std::string_view member_id) const {
  auto it = m_members.find(member_key(plan_id, member_id));
  return it == m_members.end() ? nullptr : &it->second;
}

// ---- helpers -----------------------------------------------------------------------------------

std::string name_key(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = next_code_point(name, i);
    if (cp < 0x80) {
      auto c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z')
        out += static_cast<char>(c - 'A' + 'a');
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        out += c;
    } else if (const char* plain = unaccented(cp)) {
      out += plain;
    } else if (cp <= 0xBF || (cp >= 0x2000 && cp <= 0x206F)) {
      // Latin-1 signs and General Punctuation (no-break space, typographic apostrophe ’,
      // dashes) are left out like ASCII punctuation.
    } else {
      // Letters of other scripts are compared as written.
      char buf[4];
      int n = 0;
      if (cp < 0x800) {
        buf[n++] = static_cast<char>(0xC0 | (cp >> 6));
      } else if (cp < 0x10000) {
        buf[n++] = static_cast<char>(0xE0 | (cp >> 12));
        buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      } else {
        buf[n++] = static_cast<char>(0xF0 | (cp >> 18));
        buf[n++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      }
      buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  return out;
}

std::string ascii_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = next_code_point(name, i);
    if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else if (const char* plain = unaccented(cp)) {
      // The tables give lower case.
      const bool upper = is_upper_latin(cp);
      std::string letters(plain);
      if (upper && !letters.empty()) letters[0] = static_cast<char>(letters[0] - 'a' + 'A');
      out += letters;
    } else if (cp == 0x2019 || cp == 0x2018) {
      out += '\'';  // typographic apostrophes
    } else if (cp == 0xA0 || (cp >= 0x2010 && cp <= 0x2015)) {
      out += cp == 0xA0 ? ' ' : '-';  // no-break space, dashes
    }
  }
  return out;
}

year_month_day chicago_today(SysTime now) {
  return year_month_day{std::chrono::floor<std::chrono::days>(now + chicago_utc_offset(now))};
}

std::string format_date(year_month_day d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

// ---- the rules ---------------------------------------------------------------------------------

ApiResult<json::object> check_eligibility(const Roster& roster, const json::object& body,
                                          year_month_day today) {
  std::string plan_id = util::lower(text_of(body, "health_plan"));
  const HealthPlan* plan = roster.plan(plan_id);
  if (plan == nullptr) {
    std::string ids;
    json::array list;
    for (const auto& p : roster.plans()) {
      ids += (ids.empty() ? "" : ", ") + p.id;
      list.push_back(json::string(p.id));
    }
    return tl::unexpected(ApiError{404, "plan_not_found",
                                   "no health plan has the id \"" + plan_id +
                                       "\"; the plans are: " + (ids.empty() ? "(none)" : ids),
                                   json::object{{"health_plans", std::move(list)}}});
  }

  // The reject reasons are checked in the order a payer's system meets them: the ID's format,
  // then the roster, then the name, then the date of birth.
  std::string member_id = util::upper(text_of(body, "member_id"));
  if (!std::regex_match(member_id, plan->member_id_pattern)) {
    return tl::unexpected(reject(body, "invalid_member_id", "72",
                                 "the member ID does not have the format of " + plan->name +
                                     " member IDs (" + plan->member_id_format + ")"));
  }
  const Member* member = roster.member(plan->id, member_id);
  if (member == nullptr) {
    return tl::unexpected(reject(body, "subscriber_not_found", "75",
                                 "no " + plan->name + " member has this member ID"));
  }
  bool first_ok = name_key(text_of(body, "first_name")) == member->first_key;
  bool last_ok = name_key(text_of(body, "last_name")) == member->last_key;
  if (!first_ok || !last_ok) {
    std::string which = !first_ok && !last_ok ? "the first and last names do not"
                        : !first_ok           ? "the first name does not"
                                              : "the last name does not";
    return tl::unexpected(
        reject(body, "name_mismatch", "73", which + " match the member's record"));
  }
  std::string dob = text_of(body, "date_of_birth");
  auto dob_date = parse_date(dob);
  if (dob_date && *dob_date > today) {
    return tl::unexpected(
        reject(body, "invalid_date_of_birth", "71", "the date of birth is in the future"));
  }
  if (dob != member->date_of_birth) {
    return tl::unexpected(reject(body, "invalid_date_of_birth", "71",
                                 "the date of birth does not match the member's record"));
  }

  year_month_day service = today;
  if (auto given = parse_date(text_of(body, "service_date"))) service = *given;
  const char* reason = nullptr;
  if (service < member->coverage_start)
    reason = "coverage_not_started";
  else if (member->coverage_end && service > *member->coverage_end)
    reason = "coverage_terminated";

  json::object out;
  if (const auto* ref = body.if_contains("ref"); ref && ref->is_string()) out["ref"] = *ref;
  out["status"] = reason ? "inactive" : "active";
  out["active"] = reason == nullptr;
  out["member"] = json::object{{"member_id", member->member_id},
                               {"first_name", member->first_name},
                               {"last_name", member->last_name},
                               {"date_of_birth", member->date_of_birth}};
  out["plan"] = json::object{{"id", plan->id}, {"name", plan->name}, {"type", plan->type}};
  out["coverage"] =
      json::object{{"start", format_date(member->coverage_start)},
                   {"end", member->coverage_end ? json::value(format_date(*member->coverage_end))
                                                : json::value(nullptr)}};
  out["service_date"] = format_date(service);
  out["benefits"] = plan->benefits;
  if (reason) out["reason"] = reason;
  return out;
}

json::object health_plans_json(const Roster& roster) {
  json::array list;
  for (const auto& p : roster.plans()) {
    list.push_back(json::object{{"id", p.id},
                                {"name", p.name},
                                {"type", p.type},
                                {"member_id_format", p.member_id_format}});
  }
  return json::object{{"health_plans", std::move(list)}};
}

}  // namespace portal::sandbox
