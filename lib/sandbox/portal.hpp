// The portal's rules, enforced over the SQLite store: registration, review, email verification,
// login with a mandatory second factor, lockouts, inactivity, password expiry, profile changes,
// administration, and member eligibility over the seeded roster. Transport-free: the HTTP layer
// (api.cpp) and the `provportal-sandbox admin` command both call it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <boost/json/object.hpp>
#include <tl/expected.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/claims.hpp"
#include "sandbox/db.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/mailer.hpp"
#include "sandbox/orders.hpp"
#include "sandbox/solutions.hpp"

namespace portal::sandbox {

class Roster;
struct LetterContent;

inline constexpr auto k_lockout_threshold = 5;
inline constexpr std::chrono::minutes k_lockout_duration{15};
inline constexpr std::chrono::days k_inactivity_limit{45};
inline constexpr std::chrono::minutes k_email_code_ttl{10};
inline constexpr std::chrono::minutes k_session_idle{30};
inline constexpr std::chrono::hours k_session_absolute{12};
// A session's sliding expiry is written to the database at most this often (it is kept in
// memory between writes), so authenticating a request does not write on every request.
inline constexpr std::chrono::seconds k_session_touch_interval{5};
// How often, at most, the portal asks SQLite whether another process (`provportal-sandbox
// admin`) changed the settings, the clock or the accounts; a change shows within this time.
inline constexpr std::chrono::milliseconds k_change_check_interval{1};

struct PortalSettings {
  bool maintenance_window = true;
  int password_max_age_days = 90;  // 0: passwords never expire
  std::string support_phone = "1-800-555-0100";
  // Day 0 of the seeded claims (YYYY-MM-DD): set to the portal's date when the seed is first
  // loaded, or by `serve --claims-epoch` / `admin settings --claims-epoch`.
  std::string claims_epoch;
};

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

  // DATA_DIR/portal.db (the API layer keeps its idempotency keys there, on its own connection).
  const std::filesystem::path& database_file() const { return m_database_file; }

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
  // claims_epoch: "YYYY-MM-DD"}.
  ApiResult<boost::json::object> update_settings(const boost::json::object& body);

  // Public endpoints (bodies as in docs/api.md).
  ApiResult<boost::json::object> organizations(std::string_view npi);
  ApiResult<boost::json::object> register_account(const boost::json::object& body);
  ApiResult<boost::json::object> verify_email(const boost::json::object& body);
  ApiResult<boost::json::object> login(const boost::json::object& body);
  ApiResult<boost::json::object> mfa_email(const boost::json::object& body);
  ApiResult<boost::json::object> mfa_verify(const boost::json::object& body);
  ApiResult<boost::json::object> expired_password_change(const boost::json::object& body);
  ApiResult<boost::json::object> password_reset(const boost::json::object& body);

  // Session endpoints: `authenticate` maps a bearer token to the user id (sliding expiry).
  ApiResult<std::string> authenticate(std::string_view token);
  ApiResult<boost::json::object> refresh(std::string_view token);
  ApiResult<boost::json::object> logout(std::string_view token);
  ApiResult<boost::json::object> profile(const std::string& user_id);
  ApiResult<boost::json::object> update_profile(const std::string& user_id,
                                                const boost::json::object& body);
  ApiResult<boost::json::object> change_password(const std::string& user_id,
                                                 const boost::json::object& body);
  ApiResult<boost::json::object> totp_begin(const std::string& user_id);
  ApiResult<boost::json::object> totp_confirm(const std::string& user_id,
                                              const boost::json::object& body);
  ApiResult<boost::json::object> totp_disable(const std::string& user_id,
                                              const boost::json::object& body);

  // Eligibility (schemas/eligibility.schema.json → docs/api.md), the date of service defaulting
  // to today in America/Chicago on the portal's clock; and the health plans. Lock-free but for
  // reading the clock.
  ApiResult<boost::json::object> check_eligibility(const boost::json::object& body);
  boost::json::object health_plans() const;
  const Roster& roster() const { return *m_roster; }

  // Prior authorization (orders.cpp, order_*.cpp; the API in docs/api.md and schemas/openapi.yaml).
  // Every order, document and letter belongs to the caller's organisation: another's answer 404.
  // {additional_info_max_chars, document_max_bytes, document_content_types, document_types,
  // search_page_size_max}.
  static boost::json::object limits();
  // {"solutions": [...]}, those `health_plan` offers when given (404 plan_not_found otherwise).
  ApiResult<boost::json::object> solutions(std::string_view health_plan) const;
  // Adjudicates a case (case.schema.json without ref and attachments) and creates its order:
  // 201-style order object, 400 validation_failed, 422 case_rejected with `reasons`. With an
  // idempotency key, the order and the key are committed in one transaction, so a retry after
  // a crash is answered from the stored answer; another body under the key is a 409.
  CaseSubmission submit_case(const std::string& user_id, const boost::json::object& body,
                             std::string_view idempotency_key = {},
                             std::string_view request_hash = {});
  ApiResult<boost::json::object> get_case(const std::string& user_id, std::string_view order_id);
  // GET /v1/orders: the query parameters as given.
  ApiResult<boost::json::object> search_orders(const std::string& user_id,
                                               const std::map<std::string, std::string>& query);
  // Stores an uploaded document (the body already in `body.file`, which is moved or removed):
  // the document object plus "deduplicated" (true: the same content was already on the order).
  ApiResult<boost::json::object> upload_document(const std::string& user_id,
                                                 std::string_view order_id,
                                                 const DocumentUpload& upload,
                                                 const UploadedBody& body);
  // Whether the caller's organisation has this order (to refuse an upload before its body).
  bool order_visible(const std::string& user_id, std::string_view order_id);
  // The PDF bytes of a determination letter.
  ApiResult<std::string> letter_pdf(const std::string& user_id, std::string_view letter_id);
  // An administrator's decision on a pended or needs-documents order (409 otherwise):
  // {"decision": approve|deny|partial, "approved_units"?: {code: n}, "note"?}.
  ApiResult<boost::json::object> decide_case(std::string_view order_id,
                                             const boost::json::object& body);
  // Where uploads are streamed to before they are checked: DATA_DIR/documents/tmp.
  std::filesystem::path upload_dir() const { return m_data_dir / "documents" / "tmp"; }

  // Claim status (claim_status.cpp; the API in docs/api.md and schemas/openapi.yaml), derived from
  // the seeded timelines on the portal's clock. Only the caller's organisation's claims exist for
  // it. POST /v1/claims/status: a claim_status record plus an optional changed_since → {ref?,
  // as_of, changed_since, claims}; 422 validation_failed or claim_status_rejected.
  ApiResult<boost::json::object> claim_status(const std::string& user_id,
                                              const boost::json::object& body);
  // GET /v1/claims: the claims that changed in (changed_since, as_of], paged with tokens that pin
  // as_of → {as_of, changed_since, claims, next_page_token}; 400 on bad parameters.
  ApiResult<boost::json::object> claims_feed(const std::string& user_id,
                                             const std::map<std::string, std::string>& query);
  // GET /v1/claims/{claim_number}: one claim now; 404 not_found when it is another
  // organisation's or not received yet.
  ApiResult<boost::json::object> get_claim(const std::string& user_id,
                                           std::string_view claim_number);
  const ClaimCatalog& claims() const { return *m_claims; }

  // Administration: approve, reject, disable, unlock (also reactivates an inactive account),
  // reset-password (emails a reset code).
  ApiResult<boost::json::object> admin_action(std::string_view action, std::string_view email);
  ApiResult<boost::json::object> admin_registrations(std::string_view status);
  bool admin_token_matches(std::string_view token);
  const std::filesystem::path& admin_token_file() const { return m_admin_token_file; }

 private:
  struct User;
  std::optional<User> find_user_by_email(const std::string& email);
  std::optional<User> find_user_by_id(const std::string& id);
  boost::json::object profile_json(const User& u, SysTime now);
  SysTime now_locked();
  PortalSettings settings_locked();
  std::string setting(const std::string& key, const std::string& fallback);
  void set_setting(const std::string& key, const std::string& value);
  void refresh_locked();
  void set_clock_offset(std::chrono::milliseconds offset);
  void invalidate_sessions_locked();
  ApiError record_failure(const std::string& email, SysTime now, ApiError base);
  std::optional<ApiError> lock_error(const std::string& email, SysTime now);
  ApiResult<boost::json::object> start_session(const User& u, SysTime now);
  void send_mail(const std::string& to, const std::string& subject, const std::string& purpose,
                 const std::string& body, SysTime now);
  // Prior authorization (orders.cpp, order_*.cpp).
  std::string organization_of_locked(const std::string& user_id);
  void apply_due_reviews_locked(SysTime now);
  std::optional<boost::json::object> order_json_locked(const std::string& org_id,
                                                       std::string_view order_id, SysTime now);
  // Day 0 of the claims (the stored epoch, or today until one is stored).
  ClaimCalendar claim_calendar_locked();
  void decide_locked(const std::string& order_id, Decision decision,
                     const std::unordered_map<std::string, std::int64_t>& approved_units,
                     const std::string& note, SysTime decided_at);

  // The settings table as last read. Another process (`provportal-sandbox admin`) may change it
  // at any time: refresh_locked() re-reads it when SQLite's data_version says another
  // connection committed, asking at most every k_change_check_interval (the pragma takes file
  // locks, a few µs, and a request would otherwise ask several times).
  struct Cached {
    std::chrono::milliseconds clock_offset{0};  // the portal's clock minus the machine's
    PortalSettings settings;
    std::int64_t auth_epoch = 0;  // bumped when sessions or accounts are revoked or disabled
  };
  // A session seen recently: its sliding expiry lives here and reaches the database at most
  // every k_session_touch_interval. Dropped when the auth epoch changes.
  struct CachedSession {
    std::string user_id;
    std::int64_t expires_at = 0, stored_expires_at = 0, absolute_expires_at = 0;
  };

  std::mutex m_mutex;  // guards m_db and the caches below
  Database m_db;
  std::filesystem::path m_database_file;
  Mailer m_mailer;
  std::filesystem::path m_admin_token_file;
  std::string m_admin_token_hash;
  std::optional<Cached> m_cached;
  std::int64_t m_data_version = -1;
  std::chrono::steady_clock::time_point m_data_version_checked;
  std::unordered_map<std::string, CachedSession> m_sessions;  // by token hash
  std::shared_ptr<const Roster> m_roster;              // set by the constructor and load_seed
  std::shared_ptr<const SolutionCatalog> m_solutions;  // likewise
  std::shared_ptr<const ClaimCatalog> m_claims;        // likewise
  std::filesystem::path m_data_dir;
};

}  // namespace portal::sandbox
