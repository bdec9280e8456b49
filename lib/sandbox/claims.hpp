// Claims as data: the claims of examples/sandbox/claims.yaml with their adjudication timelines
// (X12 277 status categories, CARC reason codes), held in memory as an immutable catalogue, and
// the pure rules that derive a claim's status at any time from its timeline. The portal's
// answers (ClaimStatus, claim_status.hpp) sit on top of these.
//
// Day numbers in the seed count from the claims epoch (a date); an event takes effect at
// midnight America/Chicago of its date. A claim's status at time T is its last event at or before
// T, it "changed" in (A, B] when one of its events falls in that interval, and before its first
// event it does not exist for the API.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"

namespace portal::sandbox {

class Roster;
struct Member;

inline constexpr std::size_t k_claims_page_size_default = 50;
inline constexpr std::size_t k_claims_page_size_max = 100;

// One X12 277 claim status category: "F1", "finalized-paid", what it means.
struct ClaimCategory {
  std::string code, status, description;
};

struct ClaimLine {
  std::string procedure_code;
  std::int64_t units = 1;
  std::int64_t billed_cents = 0;
};

// One status event: `day` counts from the claim's received day.
struct ClaimEvent {
  int day = 0;
  std::string category;              // a ClaimCategory code
  std::vector<std::string> reasons;  // CARC codes
  std::optional<std::int64_t> paid_cents;
  std::string check_number;
};

struct Claim {
  std::string claim_number, organization_id, member_id, billing_npi, rendering_npi;
  int received_day = 0, service_from_day = 0, service_to_day = 0;  // from the epoch
  std::vector<ClaimLine> lines;
  std::vector<ClaimEvent> timeline;  // in order; the first on day 0

  std::int64_t billed_cents() const;
};

// The claims, categories and reason codes, read once; const members are safe from any thread.
class ClaimCatalog {
 public:
  // Reads SEED_DIR/claims.yaml (no file: no claims). Every member must be on `roster` and every
  // organisation in `organizations`. Throws std::runtime_error naming the file and the claim
  // when the seed is inconsistent.
  static ClaimCatalog load(const std::filesystem::path& seed_dir, const Roster& roster,
                           const std::set<std::string>& organizations);
  // The same from YAML text (`origin` names it in errors), for tests.
  static ClaimCatalog parse(std::string_view yaml, const Roster& roster,
                            const std::set<std::string>& organizations,
                            std::string_view origin = "claims.yaml");

  const std::vector<Claim>& claims() const { return m_claims; }
  const Claim* find(std::string_view claim_number) const;
  const std::vector<ClaimCategory>& categories() const { return m_categories; }
  const ClaimCategory* category(std::string_view code) const;
  // The text of a CARC reason code ("" when unknown).
  std::string reason_text(std::string_view code) const;
  // True when `filter` names a category ("F1"), a status ("finalized-paid") or a class of them
  // ("acknowledgement", "pending", "finalized").
  bool is_status_filter(std::string_view filter) const;
  // Whether category `code` passes `filter` (see is_status_filter).
  bool matches_status(std::string_view code, std::string_view filter) const;

 private:
  std::vector<Claim> m_claims;
  std::unordered_map<std::string, std::size_t> m_index;
  std::vector<ClaimCategory> m_categories;
  std::unordered_map<std::string, std::string> m_reasons;
};

// The calendar of the claims: which date day 0 is.
struct ClaimCalendar {
  std::chrono::sys_days epoch;

  std::chrono::year_month_day date(int day) const;
  // Midnight America/Chicago at the start of `day`.
  SysTime start_of(int day) const;
  // When an event of `claim` takes effect.
  SysTime effective_at(const Claim& claim, const ClaimEvent& event) const;
};

// The index in claim.timeline of its status at `t`: the last event at or before t; nullopt
// while the claim is not received yet.
std::optional<std::size_t> status_index(const Claim& claim, const ClaimCalendar& calendar,
                                        SysTime t);

// Whether one of the claim's events falls in (after, until].
bool changed_between(const Claim& claim, const ClaimCalendar& calendar, SysTime after,
                     SysTime until);

// The claim as the API answers it, as of `as_of` (which must be at or after its receipt).
boost::json::object claim_json(const Claim& claim, const ClaimCatalog& catalog,
                               const Roster& roster, const ClaimCalendar& calendar, SysTime as_of);

// Which claims an answer holds. Empty strings and nullopts do not filter.
struct ClaimFilter {
  std::string organization_id;  // required
  std::string claim_number;
  std::string member_id;     // upper case
  std::string provider_npi;  // the billing or the rendering provider
  std::optional<std::chrono::year_month_day> service_from, service_to;  // the claim overlaps them
  std::optional<SysTime> changed_since;  // an event in (changed_since, as_of]
  std::string status;                    // see ClaimCatalog::is_status_filter
};

// The claims that exist at `as_of` and pass `filter`, in catalogue order.
std::vector<const Claim*> select_claims(const ClaimCatalog& catalog, const ClaimFilter& filter,
                                        const ClaimCalendar& calendar, SysTime as_of);

// The member with this ID in whichever plan holds it, or nullptr.
const Member* member_anywhere(const Roster& roster, std::string_view member_id);

// "123.45" for 12345 cents; nullopt-free: amounts are never negative.
std::string format_amount(std::int64_t cents);
// Cents of "123.45", "123.4" or "123"; nullopt for anything else (negative, more decimals).
std::optional<std::int64_t> parse_amount(std::string_view text);

}  // namespace portal::sandbox
