// Member eligibility: the health plans and the member roster seeded from examples/sandbox/
// (plans.yaml, members.yaml), held in memory as an immutable index, and the rules that turn an
// eligibility request into an answer or a standard reject reason (X12 271 AAA codes).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/api_error.hpp"

namespace portal::sandbox {

struct HealthPlan {
  std::string id;                // e.g. "acme-commercial"
  std::string name;              // e.g. "Acme Health Commercial PPO"
  std::string type;              // e.g. "commercial", "medicare-advantage", "medicaid", "hmo"
  std::string payer_id;          // its X12 payer ID (2100A NM109 of a 270), e.g. "ACMEC"; or ""
  std::regex member_id_pattern;  // over the whole upper-cased member ID
  std::string member_id_format;  // the pattern in words, for messages
  boost::json::object benefits;  // the benefit summary, as answered
};

struct Member {
  std::string member_id;  // upper case
  std::string first_name, last_name;
  std::string date_of_birth;  // YYYY-MM-DD
  std::string plan;           // a HealthPlan id
  std::chrono::year_month_day coverage_start;
  std::optional<std::chrono::year_month_day> coverage_end;  // inclusive; nullopt: open-ended
  std::string first_key, last_key;                          // the names folded by name_key()
};

// The plans and members, read once; const member functions are safe from any thread.
class Roster {
 public:
  // Reads SEED_DIR/plans.yaml and SEED_DIR/members.yaml; a missing file means no plans (or no
  // members). Throws std::runtime_error naming the file and entry when the seed is inconsistent.
  static Roster load(const std::filesystem::path& seed_dir);
  // The same from YAML text (`origin` names the source in errors), for tests.
  static Roster parse(std::string_view plans_yaml, std::string_view members_yaml,
                      std::string_view origin = "seed");

  const std::vector<HealthPlan>& plans() const { return m_plans; }
  const HealthPlan* plan(std::string_view id) const;
  // The plan whose payer_id is `payer_id` (upper-cased), or nullptr.
  const HealthPlan* plan_by_payer_id(std::string_view payer_id) const;
  // The member of `plan_id` with this (upper-case) member ID, or nullptr.
  const Member* member(std::string_view plan_id, std::string_view member_id) const;
  std::size_t member_count() const { return m_members.size(); }

 private:
  std::vector<HealthPlan> m_plans;  // in seed order
  std::unordered_map<std::string, std::size_t> m_plan_index;
  std::unordered_map<std::string, Member> m_members;  // by plan id + '/' + member ID
};

// A name reduced for comparison: lower case, accents dropped (é → e, ß → ss, …), and only
// letters and digits kept, so "O'Neil" matches "ONEIL" and "Brontë-Hall" matches "bronte hall".
std::string name_key(std::string_view name);

// `name` in the letters X12 can carry: accents removed (Zoë Brontë-Hall → Zoe Bronte-Hall,
// Núñez → Nunez, ß → ss), case kept, characters of other scripts and controls left out.
std::string ascii_name(std::string_view name);

// Today's date in America/Chicago at instant `now`: the default date of service.
std::chrono::year_month_day chicago_today(SysTime now);

// "YYYY-MM-DD".
std::string format_date(std::chrono::year_month_day d);

// Answers one eligibility request (a body of schemas/eligibility.schema.json that has already
// been validated) against the roster, `today` being the portal's date. Errors: 404
// plan_not_found, 422 eligibility_rejected with a reject_reason (see docs/api.md).
ApiResult<boost::json::object> check_eligibility(const Roster& roster,
                                                 const boost::json::object& body,
                                                 std::chrono::year_month_day today);

// {"health_plans": [{id, name, type, member_id_format}]}.
boost::json::object health_plans_json(const Roster& roster);

}  // namespace portal::sandbox
