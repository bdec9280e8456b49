// The sandbox pays: from the payments of the seeded claims (the F1 and F3 events of claims.yaml)
// it issues 835 remittance advice, one per check or EFT per payer per day, written with the one
// 835 codec (x12::write_835) and balanced by x12::balance(). The issuance rules are pure and
// deterministic (issue_remittances); the room (Remittances) keeps what it issued in SQLite, so
// the same bytes are served every time, and answers the change feed GET /v1/remittances.
//
// How a payment becomes an 835 (docs/api.md, "Remittance"):
// - each service line is allowed a share of the claim's allowed amount (paid + patient
//   responsibility) in proportion to its charge; the rest of the charge is CO-45 (CO-97 on the
//   last line when the payer bundled it, reason 97, with remark M15);
// - patient responsibility comes from the event's reasons: PR-3 co-payment 25.00, PR-2
//   coinsurance 25% of the paid amount (20% of the allowed), PR-1 deductible 50.00, each at most
//   what is left; it is taken from the first lines first;
// - a claim paid more than 30 days after its receipt earns prompt-pay interest: a PLB L6 item;
// - a revision (F3) after a payment reverses the earlier payment (CLP02 22, every amount
//   negative) and pays the corrected claim (CLP02 1) on the revision's check; when that leaves the
//   check negative, a PLB FB item carries the balance forward (BPR02 0, no payment) and the
//   payee's next check from that payer recovers it (PLB WO).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/claims.hpp"
#include "sandbox/store.hpp"
#include "x12/remittance.hpp"

namespace portal::sandbox {

inline constexpr std::size_t k_remittances_page_size_default = 50;
inline constexpr std::size_t k_remittances_page_size_max = 100;

// Who a remittance pays: an organisation, by its NPI and Tax ID.
struct Payee {
  std::string organization_id, name, npi, tax_id;  // tax_id as stored ("36-1234567")
};

// One 835 as issued: one check or EFT of one payer to one payee.
struct IssuedRemittance {
  std::string check_number;     // TRN02
  std::string organization_id;  // the payee
  std::string payer_id, payer_name;
  std::string payment_date;       // YYYY-MM-DD (BPR16)
  SysTime issued_at;              // midnight America/Chicago of the payment date
  std::int64_t amount_cents = 0;  // BPR02
  std::string payment_method;     // BPR04: ACH or CHK (NON when nothing is paid)
  std::string x12;                // the whole interchange (ISA..IEA)
};

// Every remittance paid on or before `until` (its payment day has begun), oldest first (by date,
// then check number), for the claims of organisations in `payees` (others are left out).
// Deterministic: the same catalogue, payees and calendar give the same bytes. Each balances.
// Throws std::runtime_error when the codec refuses one (a seed the 835 cannot carry).
std::vector<IssuedRemittance> issue_remittances(const ClaimCatalog& catalog, const Roster& roster,
                                                const std::map<std::string, Payee>& payees,
                                                const ClaimCalendar& calendar, SysTime until);

// The JSON of an 835 with the field names `provportal remittance -o json` uses: {check: the
// check's totals (as --level check), lines: one record per service line (as --level line),
// provider_adjustments: the PLB items}. Amounts are X12 decimals ("12.5", "-148").
boost::json::object remittance_json(const x12::Remittance& remittance);

// The remittance room: issues what is due into SQLite and answers the feed.
class Remittances {
 public:
  explicit Remittances(Store& store) : m_store(store) {}

  // GET /v1/remittances: the caller's organisation's remittances issued in (changed_since,
  // as_of], oldest first, paged with tokens that pin as_of → {as_of, changed_since, items,
  // next_page_token}; 400 validation_failed or invalid_page_token.
  ApiResult<boost::json::object> feed(const std::string& user_id,
                                      const std::map<std::string, std::string>& query);
  // GET /v1/remittances/{check_number}: one of the caller's organisation's; 404 not_found for
  // another organisation's or one not issued yet.
  ApiResult<boost::json::object> get(const std::string& user_id, std::string_view check_number);

  // Every remittance of `user_id`'s organisation issued by `until`, oldest first, issuing into
  // the store what is due first. For the clearinghouse's drop.
  std::vector<IssuedRemittance> issued_to(const std::string& user_id, SysTime until);

 private:
  // Stores every remittance due by `until` not stored yet (for the current claims epoch).
  void issue_due_locked(SysTime until);
  std::vector<IssuedRemittance> stored_locked(const std::string& organization_id,
                                              std::optional<SysTime> after, SysTime until);

  Store& m_store;
  // What this process issued last: up to when, under which claims epoch (needs the lock).
  std::string m_issued_epoch;
  SysTime m_issued_until{};
};

}  // namespace portal::sandbox
