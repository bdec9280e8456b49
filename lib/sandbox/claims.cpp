#include "sandbox/claims.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <stdexcept>

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include "portal/records/codes.hpp"
#include "portal/records/npi.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/maintenance.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/page_token.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::year_month_day;

namespace {

const std::regex k_claim_number(R"([A-Z0-9]{8,20})");

// A seed claim may not reach further than this many days from the epoch.
constexpr int k_max_day = 3650;

[[noreturn]] void bad_seed(std::string_view origin, const std::string& what) {
  throw std::runtime_error(std::string(origin) + ": " + what);
}

std::string required_text(const YAML::Node& node, const char* field, std::string_view origin,
                          const std::string& entry) {
  const YAML::Node v = node[field];
  if (!v || !v.IsScalar() || v.Scalar().empty())
    bad_seed(origin, entry + ": " + field + " is required");
  return v.Scalar();
}

int day_of(const YAML::Node& node, const char* field, std::string_view origin,
           const std::string& entry) {
  std::string text = required_text(node, field, origin, entry);
  std::size_t digits = text[0] == '-' ? 1 : 0;
  bool whole = text.size() > digits && text.size() - digits <= 5 &&
               text.find_first_not_of("0123456789", digits) == std::string::npos;
  int day = whole ? std::stoi(text) : k_max_day + 1;
  if (day < -k_max_day || day > k_max_day) {
    bad_seed(origin, entry + ": " + field + " must be a whole number of days from -" +
                         std::to_string(k_max_day) + " to " + std::to_string(k_max_day) + ", not " +
                         text);
  }
  return day;
}

std::int64_t amount_of(const YAML::Node& node, const char* field, std::string_view origin,
                       const std::string& entry) {
  std::string text = required_text(node, field, origin, entry);
  auto cents = parse_amount(text);
  if (!cents)
    bad_seed(origin, entry + ": " + field +
                         " must be an amount in dollars such as \"123.45\", not " + text);
  return *cents;
}

ClaimLine read_line(const YAML::Node& node, std::string_view origin, const std::string& entry) {
  ClaimLine line;
  line.procedure_code = required_text(node, "code", origin, entry);
  if (!records::is_procedure_code(line.procedure_code)) {
    bad_seed(origin, entry + ": " + line.procedure_code + " is not a CPT or HCPCS code");
  }
  std::string units = node["units"] ? node["units"].Scalar() : "1";
  if (units.empty() || units.size() > 4 ||
      units.find_first_not_of("0123456789") != std::string::npos || std::stoi(units) < 1) {
    bad_seed(origin, entry + ": units must be a whole number from 1 to 9999");
  }
  line.units = std::stoi(units);
  line.billed_cents = amount_of(node, "billed", origin, entry);
  if (line.billed_cents == 0) bad_seed(origin, entry + ": billed must be more than 0");
  return line;
}

bool is_final(std::string_view category) { return !category.empty() && category[0] == 'F'; }
bool pays(std::string_view category) { return category == "F1" || category == "F3"; }

}  // namespace

const Member* member_anywhere(const Roster& roster, std::string_view member_id) {
  for (const auto& plan : roster.plans()) {
    if (const Member* m = roster.member(plan.id, member_id)) return m;
  }
  return nullptr;
}

// ---- amounts ------------------------------------------------------------------------------------

std::string format_amount(std::int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

std::optional<std::int64_t> parse_amount(std::string_view text) {
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 10 || !digits(whole) || !digits(fraction) ||
      fraction.size() > 2 || (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  std::int64_t cents = std::stoll(std::string(whole)) * 100;
  if (fraction.size() == 1) cents += (fraction[0] - '0') * 10;
  if (fraction.size() == 2) cents += (fraction[0] - '0') * 10 + (fraction[1] - '0');
  return cents;
}

// ---- the catalogue ------------------------------------------------------------------------------

std::int64_t Claim::billed_cents() const {
  std::int64_t total = 0;
  for (const auto& l : lines) total += l.billed_cents;
  return total;
}

ClaimCatalog ClaimCatalog::load(const std::filesystem::path& seed_dir, const Roster& roster,
                                const std::set<std::string>& organizations) {
  auto file = seed_dir / "claims.yaml";
  if (!std::filesystem::exists(file)) return {};
  return parse(read_seed_file(file), roster, organizations, file.string());
}

ClaimCatalog ClaimCatalog::parse(std::string_view yaml, const Roster& roster,
                                 const std::set<std::string>& organizations,
                                 std::string_view origin) {
  ClaimCatalog c;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    bad_seed(origin, std::string("not valid YAML: ") + e.what());
  }
  std::string entry = "status_categories";
  try {
    for (const auto& node : root["status_categories"]) {
      ClaimCategory cat{required_text(node, "code", origin, entry),
                        required_text(node, "status", origin, entry),
                        required_text(node, "description", origin, entry)};
      static const std::regex k_code(R"([AFP][0-9])");
      if (!std::regex_match(cat.code, k_code)) {
        bad_seed(origin,
                 "status category " + cat.code + ": codes are A, P or F and a digit (X12 277)");
      }
      if (c.category(cat.code) != nullptr)
        bad_seed(origin, "status category " + cat.code + " is listed twice");
      c.m_categories.push_back(std::move(cat));
    }
    entry = "reason_codes";
    if (const YAML::Node reasons = root["reason_codes"]) {
      for (const auto& kv : reasons) c.m_reasons[kv.first.Scalar()] = kv.second.Scalar();
    }
    std::size_t i = 0;
    for (const auto& node : root["claims"]) {
      entry = "claim #" + std::to_string(++i);
      Claim claim;
      claim.claim_number = required_text(node, "claim_number", origin, entry);
      if (!std::regex_match(claim.claim_number, k_claim_number)) {
        bad_seed(origin, entry + ": claim_number must be 8 to 20 capital letters and digits, not " +
                             claim.claim_number);
      }
      entry = "claim " + claim.claim_number;
      if (c.m_index.count(claim.claim_number)) bad_seed(origin, entry + " is listed twice");
      claim.organization_id = required_text(node, "organization", origin, entry);
      if (!organizations.count(claim.organization_id)) {
        bad_seed(origin, entry + ": unknown organization " + claim.organization_id +
                             " (organizations.yaml)");
      }
      claim.member_id = required_text(node, "member_id", origin, entry);
      if (member_anywhere(roster, claim.member_id) == nullptr) {
        bad_seed(origin, entry + ": member " + claim.member_id + " is not in members.yaml");
      }
      for (const char* field : {"billing_npi", "rendering_npi"}) {
        std::string npi = required_text(node, field, origin, entry);
        if (!records::npi_is_valid(npi))
          bad_seed(origin, entry + ": " + field + " " + npi + " is not a valid NPI");
        (std::string_view(field) == "billing_npi" ? claim.billing_npi : claim.rendering_npi) = npi;
      }
      claim.received_day = day_of(node, "received_day", origin, entry);
      claim.service_from_day = day_of(node, "service_from_day", origin, entry);
      claim.service_to_day = day_of(node, "service_to_day", origin, entry);
      if (claim.service_to_day < claim.service_from_day ||
          claim.service_to_day > claim.received_day) {
        bad_seed(origin, entry + ": service_from_day <= service_to_day <= received_day must hold");
      }
      if (!node["lines"] || !node["lines"].IsSequence() || node["lines"].size() == 0) {
        bad_seed(origin, entry + ": lines are required");
      }
      for (const auto& line : node["lines"]) claim.lines.push_back(read_line(line, origin, entry));
      if (!node["timeline"] || !node["timeline"].IsSequence() || node["timeline"].size() == 0) {
        bad_seed(origin, entry + ": timeline is required");
      }
      std::size_t k = 0;
      for (const auto& en : node["timeline"]) {
        std::string where = entry + " timeline #" + std::to_string(++k);
        ClaimEvent event;
        event.day = day_of(en, "day", origin, where);
        event.category = required_text(en, "status", origin, where);
        if (c.category(event.category) == nullptr) {
          bad_seed(origin, where + ": unknown status category " + event.category);
        }
        if (k == 1 && event.day != 0)
          bad_seed(origin, where + ": the first event is the receipt, on day 0");
        if (k > 1 && event.day < claim.timeline.back().day)
          bad_seed(origin, where + ": events go forward in time");
        if (claim.received_day + event.day > k_max_day)
          bad_seed(origin, where + ": too far in the future");
        if (const YAML::Node reasons = en["reasons"]) {
          for (const auto& r : reasons) {
            if (!c.m_reasons.count(r.Scalar()))
              bad_seed(origin, where + ": unknown reason code " + r.Scalar());
            event.reasons.push_back(r.Scalar());
          }
        }
        if (en["paid"]) event.paid_cents = amount_of(en, "paid", origin, where);
        if (en["check_number"])
          event.check_number = required_text(en, "check_number", origin, where);
        if (pays(event.category) != (event.paid_cents.has_value() && !event.check_number.empty())) {
          bad_seed(origin,
                   where + ": F1 and F3 events, and only they, carry paid and check_number");
        }
        if (event.paid_cents && *event.paid_cents > claim.billed_cents()) {
          bad_seed(origin, where + ": paid is more than the claim's billed amount");
        }
        if (event.category == "F2" && event.reasons.empty())
          bad_seed(origin, where + ": a denial names its reasons");
        claim.timeline.push_back(std::move(event));
      }
      c.m_index.emplace(claim.claim_number, c.m_claims.size());
      c.m_claims.push_back(std::move(claim));
    }
  } catch (const YAML::Exception& e) {
    bad_seed(origin, entry + ": " + e.what());
  }
  return c;
}

const Claim* ClaimCatalog::find(std::string_view claim_number) const {
  auto it = m_index.find(std::string(claim_number));
  return it == m_index.end() ? nullptr : &m_claims[it->second];
}

const ClaimCategory* ClaimCatalog::category(std::string_view code) const {
  for (const auto& c : m_categories) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

std::string ClaimCatalog::reason_text(std::string_view code) const {
  auto it = m_reasons.find(std::string(code));
  return it == m_reasons.end() ? std::string() : it->second;
}

namespace {
// The classes a status filter may name, by the first letter of the category code.
constexpr std::pair<std::string_view, char> k_status_classes[] = {
    {"acknowledgement", 'A'}, {"pending", 'P'}, {"finalized", 'F'}};
}  // namespace

bool ClaimCatalog::is_status_filter(std::string_view filter) const {
  for (const auto& [name, letter] : k_status_classes) {
    if (filter == name) return true;
  }
  return std::any_of(m_categories.begin(), m_categories.end(), [&](const ClaimCategory& c) {
    return c.code == filter || c.status == filter;
  });
}

bool ClaimCatalog::matches_status(std::string_view code, std::string_view filter) const {
  for (const auto& [name, letter] : k_status_classes) {
    if (filter == name) return !code.empty() && code[0] == letter;
  }
  const ClaimCategory* c = category(code);
  return c != nullptr && (c->code == filter || c->status == filter);
}

// ---- the rules ----------------------------------------------------------------------------------

year_month_day ClaimCalendar::date(int day) const {
  return year_month_day{epoch + std::chrono::days{day}};
}

SysTime ClaimCalendar::start_of(int day) const {
  // Local midnight: the offset at 06:00 UTC of that date is the one in force at its midnight
  // (America/Chicago changes at 02:00 local, never at midnight).
  SysTime utc_midnight{std::chrono::sys_days{epoch + std::chrono::days{day}}};
  return utc_midnight - chicago_utc_offset(utc_midnight + std::chrono::hours{6});
}

SysTime ClaimCalendar::effective_at(const Claim& claim, const ClaimEvent& event) const {
  return start_of(claim.received_day + event.day);
}

std::optional<std::size_t> status_index(const Claim& claim, const ClaimCalendar& calendar,
                                        SysTime t) {
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < claim.timeline.size(); ++i) {
    if (calendar.effective_at(claim, claim.timeline[i]) > t) break;
    found = i;
  }
  return found;
}

bool changed_between(const Claim& claim, const ClaimCalendar& calendar, SysTime after,
                     SysTime until) {
  return std::any_of(claim.timeline.begin(), claim.timeline.end(), [&](const ClaimEvent& e) {
    SysTime at = calendar.effective_at(claim, e);
    return at > after && at <= until;
  });
}

json::object claim_json(const Claim& claim, const ClaimCatalog& catalog, const Roster& roster,
                        const ClaimCalendar& calendar, SysTime as_of) {
  std::size_t now = status_index(claim, calendar, as_of).value_or(0);
  auto reasons_of = [&](const ClaimEvent& e) {
    json::array list;
    for (const auto& code : e.reasons)
      list.push_back(json::object{{"code", code}, {"text", catalog.reason_text(code)}});
    return list;
  };
  auto status_name = [&](const ClaimEvent& e) {
    const ClaimCategory* c = catalog.category(e.category);
    return c ? c->status : e.category;
  };
  json::array history;
  for (std::size_t i = 0; i <= now; ++i) {
    const ClaimEvent& e = claim.timeline[i];
    json::object h{{"status_category", e.category},
                   {"status", status_name(e)},
                   {"date", format_date(calendar.date(claim.received_day + e.day))},
                   {"reasons", reasons_of(e)}};
    if (e.paid_cents) {
      h["paid_amount"] = format_amount(*e.paid_cents);
      h["check_number"] = e.check_number;
    }
    history.push_back(std::move(h));
  }
  const ClaimEvent& current = claim.timeline[now];
  const ClaimCategory* category = catalog.category(current.category);
  // A payment (F1, F3) is the claim's paid amount; a denial or a finalization without payment
  // pays nothing; until it is finalized nothing is paid yet.
  json::value paid = nullptr, check = nullptr, paid_date = nullptr;
  if (current.paid_cents) {
    paid = format_amount(*current.paid_cents);
    check = current.check_number;
    paid_date = format_date(calendar.date(claim.received_day + current.day));
  } else if (is_final(current.category)) {
    paid = "0.00";
  }
  json::array lines;
  for (std::size_t i = 0; i < claim.lines.size(); ++i) {
    const ClaimLine& l = claim.lines[i];
    lines.push_back(json::object{{"line", i + 1},
                                 {"procedure_code", l.procedure_code},
                                 {"units", l.units},
                                 {"billed_amount", format_amount(l.billed_cents)}});
  }
  std::string plan;
  if (const Member* m = member_anywhere(roster, claim.member_id)) plan = m->plan;
  return json::object{{"claim_number", claim.claim_number},
                      {"status_category", current.category},
                      {"status", category ? category->status : current.category},
                      {"status_description", category ? category->description : std::string()},
                      {"status_date", format_date(calendar.date(claim.received_day + current.day))},
                      {"status_reasons", reasons_of(current)},
                      {"member_id", claim.member_id},
                      {"health_plan", plan},
                      {"provider_npi", claim.billing_npi},
                      {"rendering_npi", claim.rendering_npi},
                      {"service_from", format_date(calendar.date(claim.service_from_day))},
                      {"service_to", format_date(calendar.date(claim.service_to_day))},
                      {"received_date", format_date(calendar.date(claim.received_day))},
                      {"billed_amount", format_amount(claim.billed_cents())},
                      {"paid_amount", paid},
                      {"check_number", check},
                      {"paid_date", paid_date},
                      {"lines", std::move(lines)},
                      {"status_history", std::move(history)},
                      {"updated_at", format_iso8601(calendar.effective_at(claim, current))}};
}

std::vector<const Claim*> select_claims(const ClaimCatalog& catalog, const ClaimFilter& f,
                                        const ClaimCalendar& calendar, SysTime as_of) {
  std::vector<const Claim*> out;
  auto consider = [&](const Claim& c) {
    if (c.organization_id != f.organization_id) return;
    if (!f.member_id.empty() && c.member_id != f.member_id) return;
    if (!f.provider_npi.empty() && c.billing_npi != f.provider_npi &&
        c.rendering_npi != f.provider_npi)
      return;
    if (f.service_from && calendar.date(c.service_to_day) < *f.service_from) return;
    if (f.service_to && calendar.date(c.service_from_day) > *f.service_to) return;
    auto now = status_index(c, calendar, as_of);
    if (!now) return;
    if (f.changed_since && !changed_between(c, calendar, *f.changed_since, as_of)) return;
    if (!f.status.empty() && !catalog.matches_status(c.timeline[*now].category, f.status)) return;
    out.push_back(&c);
  };
  if (!f.claim_number.empty()) {
    if (const Claim* c = catalog.find(f.claim_number)) consider(*c);
    return out;
  }
  for (const auto& c : catalog.claims()) consider(c);
  return out;
}

}  // namespace portal::sandbox
