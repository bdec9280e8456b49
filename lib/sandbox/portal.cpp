#include "sandbox/portal.hpp"

#include <set>
#include <stdexcept>

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include "portal/records/schema.hpp"
#include "portal/util/maintenance.hpp"
#include "sandbox/claims.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/rules.hpp"
#include "sandbox/solutions.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using std::chrono::seconds;

Portal::Portal(const std::filesystem::path& data_dir) : m_store(data_dir) {}

void Portal::load_seed(const std::filesystem::path& seed_dir) {
  m_store.roster = std::make_shared<const Roster>(Roster::load(seed_dir));
  m_store.solutions = std::make_shared<const SolutionCatalog>(SolutionCatalog::load(seed_dir));
  // A plan that takes cases for a solution the catalogue lacks would reject every such case.
  if (!m_store.solutions->solutions().empty()) {
    for (const auto& plan : m_store.roster->plans()) {
      const auto* listed = plan.benefits.if_contains("prior_authorization");
      if (listed == nullptr || !listed->is_array()) continue;
      for (const auto& id : listed->as_array()) {
        if (id.is_string() && m_store.solutions->find(id.as_string()) == nullptr) {
          throw std::runtime_error((seed_dir / "plans.yaml").string() + ": plan " + plan.id +
                                   " lists prior_authorization solution " +
                                   std::string(id.as_string()) +
                                   ", which solutions.yaml does not define");
        }
      }
    }
  }
  auto file = seed_dir / "organizations.yaml";
  std::lock_guard lock(m_store.mutex);
  if (std::filesystem::exists(file)) {
    YAML::Node root = YAML::LoadFile(file.string());
    Transaction tx(m_store.db);
    auto now = unix_of(m_store.now_locked());
    for (const auto& org : root["organizations"]) {
      m_store.db.run(
          "INSERT INTO organizations(id, name, npi, tax_id, city, state, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
          "npi=excluded.npi, tax_id=excluded.tax_id, city=excluded.city, state=excluded.state",
          {org["id"].as<std::string>(), org["name"].as<std::string>(), org["npi"].as<std::string>(),
           org["tax_id"].as<std::string>(""), org["city"].as<std::string>(""),
           org["state"].as<std::string>(""), now});
    }
    tx.commit();
  }
  std::set<std::string> organizations;
  {
    auto st = m_store.db.query("SELECT id FROM organizations");
    while (st.step()) organizations.insert(st.text(0));
  }
  m_store.claims = std::make_shared<const ClaimCatalog>(
      ClaimCatalog::load(seed_dir, *m_store.roster, organizations));
  // The claims' day 0 is fixed once, so a restart tomorrow shows the same claims on the same dates.
  if (m_store.setting("claims_epoch", "").empty())
    m_store.set_setting("claims_epoch", format_date(chicago_today(m_store.now_locked())));
}

// ---- clock and settings --------------------------------------------------------------------

SysTime Portal::now() {
  std::lock_guard lock(m_store.mutex);
  return m_store.now_locked();
}

std::pair<SysTime, PortalSettings> Portal::now_and_settings() {
  std::lock_guard lock(m_store.mutex);
  return m_store.now_and_settings_locked();
}

boost::json::object Portal::clock_show() {
  std::lock_guard lock(m_store.mutex);
  auto now = m_store.now_locked();
  return {{"now", format_iso8601(now)},
          {"offset_seconds", std::chrono::round<seconds>(m_store.clock_offset_locked()).count()}};
}

boost::json::object Portal::clock_set(SysTime t) {
  {
    std::lock_guard lock(m_store.mutex);
    m_store.set_clock_offset_to(t);
  }
  return clock_show();
}

boost::json::object Portal::clock_advance(std::chrono::seconds d) {
  {
    std::lock_guard lock(m_store.mutex);
    m_store.set_clock_offset(m_store.fresh_clock_offset_locked() + d);
  }
  return clock_show();
}

boost::json::object Portal::clock_reset() {
  {
    std::lock_guard lock(m_store.mutex);
    m_store.set_clock_offset(std::chrono::milliseconds{0});
  }
  return clock_show();
}

PortalSettings Portal::settings() {
  std::lock_guard lock(m_store.mutex);
  return m_store.settings_locked();
}

ApiResult<json::object> Portal::update_settings(const json::object& body) {
  std::lock_guard lock(m_store.mutex);
  if (const auto* v = body.if_contains("maintenance_window")) {
    if (!v->is_bool())
      return tl::unexpected(
          api_error(400, "validation_failed", "maintenance_window must be true or false"));
    m_store.set_setting("maintenance_window", v->as_bool() ? "on" : "off");
  }
  if (const auto* v = body.if_contains("password_max_age_days")) {
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 3650) {
      return tl::unexpected(
          api_error(400, "validation_failed", "password_max_age_days must be 0 (never) to 3650"));
    }
    m_store.set_setting("password_max_age_days", std::to_string(v->as_int64()));
  }
  if (const auto* v = body.if_contains("support_phone")) {
    if (!v->is_string())
      return tl::unexpected(api_error(400, "validation_failed", "support_phone must be text"));
    m_store.set_setting("support_phone", std::string(v->as_string()));
  }
  if (const auto* v = body.if_contains("claims_epoch")) {
    if (!v->is_string() || !parse_date(v->as_string())) {
      return tl::unexpected(
          api_error(400, "validation_failed", "claims_epoch must be a date written YYYY-MM-DD"));
    }
    m_store.set_setting("claims_epoch", std::string(v->as_string()));
  }
  if (const auto* v = body.if_contains("core_batch_delay_seconds")) {
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 7 * 86400) {
      return tl::unexpected(api_error(400, "validation_failed",
                                      "core_batch_delay_seconds must be 0 to 604800 (a week)"));
    }
    m_store.set_setting("core_batch_delay_seconds", std::to_string(v->as_int64()));
  }
  auto s = m_store.settings_locked();
  return json::object{{"maintenance_window", s.maintenance_window},
                      {"core_batch_delay_seconds", s.core_batch_delay_seconds},
                      {"password_max_age_days", s.password_max_age_days},
                      {"support_phone", s.support_phone},
                      {"claims_epoch", s.claims_epoch.empty() ? json::value(nullptr)
                                                              : json::value(s.claims_epoch)}};
}

// ---- eligibility -------------------------------------------------------------------------------

ApiResult<json::object> Portal::check_eligibility(const json::object& body) {
  auto problems = records::validate_record("eligibility", body);
  if (!problems.empty()) return tl::unexpected(validation_error(problems));
  return sandbox::check_eligibility(*m_store.roster, body, chicago_today(now()));
}

json::object Portal::health_plans() const { return health_plans_json(*m_store.roster); }

}  // namespace portal::sandbox
