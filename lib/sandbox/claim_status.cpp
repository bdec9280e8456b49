#include "sandbox/claim_status.hpp"

#include <algorithm>
#include <regex>

#include <boost/json.hpp>

#include "portal/records/npi.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/maintenance.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/page_token.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::year_month_day;

// ---- the portal's claim endpoints ---------------------------------------------------------------

namespace {

ApiError claims_validation_error(int status, const std::vector<FieldError>& problems) {
  json::array errors;
  for (const auto& p : problems)
    errors.push_back(json::object{{"field", p.field}, {"message", p.message}});
  std::string msg = "the request is not valid";
  if (!problems.empty()) msg += ": " + problems.front().field + " " + problems.front().message;
  return ApiError{status, "validation_failed", msg, json::object{{"errors", std::move(errors)}}};
}

// The member checks of an inquiry by member, in the order a payer meets them: the ID's format
// (any plan's), the roster, the date of birth. Answered like eligibility's reject reasons.
std::optional<ApiError> member_reject(const Roster& roster, const json::object& body,
                                      year_month_day today) {
  auto reject = [&](const char* code, const char* x12_aaa, std::string message) {
    json::object extra{{"reject_reason",
                        json::object{{"code", code}, {"x12_aaa", x12_aaa}, {"message", message}}}};
    if (const auto* ref = body.if_contains("ref"); ref && ref->is_string()) extra["ref"] = *ref;
    return ApiError{422, "claim_status_rejected", "claim status inquiry rejected: " + message,
                    std::move(extra)};
  };
  std::string member_id = util::upper(text_of(body, "member_id"));
  bool fits = std::any_of(roster.plans().begin(), roster.plans().end(), [&](const HealthPlan& p) {
    return std::regex_match(member_id, p.member_id_pattern);
  });
  if (!fits)
    return reject("invalid_member_id", "72",
                  "the member ID does not have the format of any health plan's member IDs");
  const Member* member = member_anywhere(roster, member_id);
  if (member == nullptr)
    return reject("subscriber_not_found", "75", "no member has this member ID");
  std::string dob = text_of(body, "date_of_birth");
  if (auto d = parse_date(dob); d && *d > today) {
    return reject("invalid_date_of_birth", "71", "the date of birth is in the future");
  }
  if (dob != member->date_of_birth) {
    return reject("invalid_date_of_birth", "71",
                  "the date of birth does not match the member's record");
  }
  return std::nullopt;
}

bool service_from_before(const Claim* a, const Claim* b) {
  if (a->service_from_day != b->service_from_day) return a->service_from_day < b->service_from_day;
  return a->claim_number < b->claim_number;
}

}  // namespace

ClaimStatus::View ClaimStatus::view_for(const std::string& user_id, std::optional<SysTime> pinned) {
  std::lock_guard lock(m_store.mutex);
  return View{m_store.organization_of_locked(user_id), pinned.value_or(m_store.now_locked()),
              claim_calendar_locked()};
}

ClaimCalendar ClaimStatus::claim_calendar_locked() {
  auto epoch = parse_date(m_store.settings_locked().claims_epoch);
  return ClaimCalendar{std::chrono::sys_days{epoch.value_or(chicago_today(m_store.now_locked()))}};
}

ApiResult<json::object> ClaimStatus::claim_status(const std::string& user_id,
                                                  const json::object& body) {
  json::object record = body;
  std::vector<FieldError> problems;
  std::optional<SysTime> changed_since;
  if (const auto* since = record.if_contains("changed_since")) {
    if (since->is_string()) changed_since = parse_iso8601(since->as_string());
    if (!changed_since)
      problems.push_back(
          {"changed_since", "must be an RFC 3339 time such as 2026-11-17T06:00:00Z"});
    record.erase("changed_since");
  }
  auto found = records::validate_record("claim_status", record);
  problems.insert(problems.end(), found.begin(), found.end());
  auto from = parse_date(text_of(record, "service_from")),
       to = parse_date(text_of(record, "service_to"));
  if (from && to && *to < *from) problems.push_back({"service_to", "is before service_from"});
  if (!problems.empty()) return tl::unexpected(claims_validation_error(422, problems));

  auto [org, as_of, calendar] = view_for(user_id);
  if (record.contains("member_id")) {
    if (auto rejected = member_reject(*m_store.roster, record, chicago_today(as_of)))
      return tl::unexpected(*rejected);
  }
  ClaimFilter filter;
  filter.organization_id = org;
  filter.claim_number = text_of(record, "claim_number");
  filter.member_id = util::upper(text_of(record, "member_id"));
  filter.provider_npi = text_of(record, "provider_npi");
  filter.service_from = from;
  filter.service_to = to;
  filter.changed_since = changed_since;
  auto claims = select_claims(*m_store.claims, filter, calendar, as_of);
  std::sort(claims.begin(), claims.end(), service_from_before);
  json::array list;
  for (const Claim* c : claims)
    list.push_back(claim_json(*c, *m_store.claims, *m_store.roster, calendar, as_of));
  json::object out;
  if (const auto* ref = record.if_contains("ref"); ref && ref->is_string()) out["ref"] = *ref;
  out["as_of"] = format_iso8601(as_of);
  out["changed_since"] =
      changed_since ? json::value(format_iso8601(*changed_since)) : json::value(nullptr);
  out["claims"] = std::move(list);
  return out;
}

ApiResult<json::object> ClaimStatus::claims_feed(const std::string& user_id,
                                                 const std::map<std::string, std::string>& query) {
  static const std::vector<std::string> k_filters = {"changed_since", "provider_npi", "status"};
  std::vector<FieldError> problems;
  for (const auto& [name, value] : query) {
    if (name != "page_size" && name != "page_token" &&
        std::find(k_filters.begin(), k_filters.end(), name) == k_filters.end()) {
      // The name is the client's: quoted, so any bytes it holds still make valid JSON.
      problems.push_back(
          {quotable(name),
           "is not a parameter of the claims feed (they are: changed_since, provider_npi, "
           "status, page_size, page_token)"});
    }
  }
  auto value = [&](const std::string& name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  std::optional<SysTime> changed_since;
  if (!value("changed_since").empty()) {
    changed_since = parse_iso8601(value("changed_since"));
    if (!changed_since)
      problems.push_back(
          {"changed_since", "must be an RFC 3339 time such as 2026-11-17T06:00:00Z"});
  }
  std::string npi = value("provider_npi");
  if (!npi.empty() && !records::npi_is_valid(npi)) {
    problems.push_back({"provider_npi", "must be a 10-digit NPI with a valid check digit"});
  }
  std::string status = value("status");
  if (!status.empty() && !m_store.claims->is_status_filter(status)) {
    std::string list = "acknowledgement, pending, finalized";
    for (const auto& c : m_store.claims->categories()) list += ", " + c.code + ", " + c.status;
    problems.push_back(
        {"status", "must be a status category, a status or a class of them: " + list});
  }
  std::int64_t page_size = k_claims_page_size_default;
  if (std::string text = value("page_size"); !text.empty()) {
    bool digits = text.size() < 6 && text.find_first_not_of("0123456789") == std::string::npos;
    page_size = digits ? std::stoll(text) : 0;
    if (page_size < 1 || page_size > static_cast<std::int64_t>(k_claims_page_size_max)) {
      problems.push_back({"page_size", "must be a whole number from 1 to " +
                                           std::to_string(k_claims_page_size_max)});
    }
  }
  if (!problems.empty()) return tl::unexpected(claims_validation_error(400, problems));

  // The token pins the first page's as_of and carries the last (updated_at, claim_number)
  // answered; it is bound to the filters and signed.
  std::string filters;
  for (const auto& name : k_filters) filters += name + "=" + value(name) + "\n";
  std::string fingerprint = sha256_hex(filters).substr(0, 16);
  std::optional<std::pair<std::int64_t, std::string>> after;
  std::optional<SysTime> pinned;
  if (std::string token = value("page_token"); !token.empty()) {
    auto parts = open_page_token(m_store.admin_token_hash, token);
    auto is_number = [](const std::string& t) {
      std::size_t sign = !t.empty() && t[0] == '-' ? 1 : 0;
      return t.size() > sign && t.size() < 19 &&
             t.find_first_not_of("0123456789", sign) == std::string::npos;
    };
    if (!parts || parts->size() != 4 || (*parts)[0] != fingerprint || !is_number((*parts)[1]) ||
        !is_number((*parts)[2])) {
      return tl::unexpected(
          ApiError{400,
                   "invalid_page_token",
                   "page_token is not one this feed returned; start again without it",
                   {}});
    }
    pinned = SysTime{std::chrono::seconds{std::stoll((*parts)[1])}};
    after.emplace(std::stoll((*parts)[2]), (*parts)[3]);
  }

  auto [org, as_of, calendar] = view_for(user_id, pinned);
  ClaimFilter filter;
  filter.organization_id = org;
  filter.provider_npi = npi;
  filter.status = status;
  filter.changed_since = changed_since;
  // Oldest change first; claims with the same time by number.
  std::vector<std::pair<std::int64_t, const Claim*>> rows;
  for (const Claim* c : select_claims(*m_store.claims, filter, calendar, as_of)) {
    std::int64_t updated =
        calendar.effective_at(*c, c->timeline[*status_index(*c, calendar, as_of)])
            .time_since_epoch()
            .count();
    if (after && std::make_pair(updated, c->claim_number) <= *after) continue;
    rows.emplace_back(updated, c);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->claim_number < b.second->claim_number;
  });
  json::value next = nullptr;
  if (rows.size() > static_cast<std::size_t>(page_size)) {
    rows.resize(static_cast<std::size_t>(page_size));
    next = seal_page_token(m_store.admin_token_hash,
                           {fingerprint, std::to_string(as_of.time_since_epoch().count()),
                            std::to_string(rows.back().first), rows.back().second->claim_number});
  }
  json::array list;
  for (const auto& [updated, c] : rows)
    list.push_back(claim_json(*c, *m_store.claims, *m_store.roster, calendar, as_of));
  return json::object{{"as_of", format_iso8601(as_of)},
                      {"changed_since", changed_since ? json::value(format_iso8601(*changed_since))
                                                      : json::value(nullptr)},
                      {"claims", std::move(list)},
                      {"next_page_token", std::move(next)}};
}

ApiResult<json::object> ClaimStatus::get_claim(const std::string& user_id,
                                               std::string_view claim_number) {
  auto [org, as_of, calendar] = view_for(user_id);
  ClaimFilter filter;
  filter.organization_id = org;
  filter.claim_number = std::string(claim_number);
  auto found = select_claims(*m_store.claims, filter, calendar, as_of);
  if (found.empty()) {
    return tl::unexpected(
        ApiError{404,
                 "not_found",
                 "no claim has the number " + quotable(claim_number) + " in your organisation",
                 {}});
  }
  return claim_json(*found.front(), *m_store.claims, *m_store.roster, calendar, as_of);
}

}  // namespace portal::sandbox
