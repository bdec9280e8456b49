// The portal's rules over the SQLite store, transport-free: the HTTP layer (api.cpp) and the
// `provportal-sandbox admin` command both call it. Portal owns the shared Store and one object
// per room (accounts, sign-in, profile, orders, claim status, remittances) and keeps what concerns
// the whole portal: the seed, the clock, the settings, and eligibility over the immutable roster.
#pragma once

#include <chrono>
#include <filesystem>
#include <string_view>
#include <utility>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/accounts.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/claim_status.hpp"
#include "sandbox/orders.hpp"
#include "sandbox/profile.hpp"
#include "sandbox/remittances.hpp"
#include "sandbox/signin.hpp"
#include "sandbox/store.hpp"

namespace portal::sandbox {

class Roster;
class ClaimCatalog;

class Portal {
 public:
  // Opens (creating and migrating) DATA_DIR/portal.db and the outbox.
  explicit Portal(const std::filesystem::path& data_dir);

  // Upserts organisations from SEED_DIR/organizations.yaml and loads the health plans and member
  // roster from SEED_DIR/plans.yaml and members.yaml, the prior-authorization solutions from
  // SEED_DIR/solutions.yaml and the claims from SEED_DIR/claims.yaml (each a no-op when the file
  // is absent); fixes the claims epoch at today's date when none is stored yet. Call before
  // serving: the roster, solutions and claims are read without a lock afterwards.
  void load_seed(const std::filesystem::path& seed_dir);

  // The rooms (see their headers).
  Accounts& accounts() { return m_accounts; }
  SignIn& signin() { return m_signin; }
  Profiles& profiles() { return m_profiles; }
  Orders& orders() { return m_orders; }
  ClaimStatus& claims() { return m_claims; }
  Remittances& remittances() { return m_remittances; }

  // DATA_DIR/portal.db (the API layer keeps its idempotency keys there, on its own connection).
  const std::filesystem::path& database_file() const { return m_store.database_file; }

  // The portal's clock: the machine's clock plus the stored offset (see clock_*).
  SysTime now();
  boost::json::object clock_show();
  boost::json::object clock_set(SysTime t);
  boost::json::object clock_advance(std::chrono::seconds d);
  boost::json::object clock_reset();

  PortalSettings settings();
  // The time and the settings in one call (what every API request looks at first).
  std::pair<SysTime, PortalSettings> now_and_settings();
  // Applies {maintenance_window: bool, password_max_age_days: int, support_phone: string,
  // claims_epoch: "YYYY-MM-DD", core_batch_delay_seconds: int}.
  ApiResult<boost::json::object> update_settings(const boost::json::object& body);

  // Eligibility (schemas/eligibility.schema.json → docs/api.md), the date of service defaulting
  // to today in America/Chicago on the portal's clock; and the health plans. Lock-free but for
  // reading the clock.
  ApiResult<boost::json::object> check_eligibility(const boost::json::object& body);
  boost::json::object health_plans() const;
  const Roster& roster() const { return *m_store.roster; }
  const ClaimCatalog& claim_catalog() const { return *m_store.claims; }

 private:
  Store m_store;
  Accounts m_accounts{m_store};
  SignIn m_signin{m_store};
  Profiles m_profiles{m_store};
  Orders m_orders{m_store};
  ClaimStatus m_claims{m_store};
  Remittances m_remittances{m_store};
};

}  // namespace portal::sandbox
