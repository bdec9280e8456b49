// The portal's account rules, enforced over the SQLite store: registration, review, email
// verification, login with a mandatory second factor, lockouts, inactivity, password expiry,
// profile changes and administration. Transport-free: the HTTP layer (api.cpp) and the
// `provportal-sandbox admin` command both call it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <tl/expected.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/db.hpp"
#include "sandbox/mailer.hpp"

namespace portal::sandbox {

// A refusal as the API reports it: HTTP status, stable code, message and extra members.
struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  boost::json::object extra;
};

template <typename T>
using ApiResult = tl::expected<T, ApiError>;

inline constexpr auto k_lockout_threshold = 5;
inline constexpr std::chrono::minutes k_lockout_duration{15};
inline constexpr std::chrono::days k_inactivity_limit{45};
inline constexpr std::chrono::minutes k_email_code_ttl{10};
inline constexpr std::chrono::minutes k_session_idle{30};
inline constexpr std::chrono::hours k_session_absolute{12};

struct PortalSettings {
  bool maintenance_window = true;
  int password_max_age_days = 90;  // 0: passwords never expire
  std::string support_phone = "1-800-555-0100";
};

class Portal {
 public:
  // Opens (creating and migrating) DATA_DIR/portal.db and the outbox.
  explicit Portal(const std::filesystem::path& data_dir);

  // Upserts organisations from SEED_DIR/organizations.yaml (no-op when the file is absent).
  void load_seed(const std::filesystem::path& seed_dir);

  // The portal's clock: the machine's clock plus the stored offset (see clock_*).
  SysTime now();
  boost::json::object clock_show();
  boost::json::object clock_set(SysTime t);
  boost::json::object clock_advance(std::chrono::seconds d);
  boost::json::object clock_reset();

  PortalSettings settings();
  // Applies {maintenance_window: bool, password_max_age_days: int, support_phone: string}.
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
  ApiResult<boost::json::object> update_profile(const std::string& user_id, const boost::json::object& body);
  ApiResult<boost::json::object> change_password(const std::string& user_id, const boost::json::object& body);
  ApiResult<boost::json::object> totp_begin(const std::string& user_id);
  ApiResult<boost::json::object> totp_confirm(const std::string& user_id, const boost::json::object& body);
  ApiResult<boost::json::object> totp_disable(const std::string& user_id, const boost::json::object& body);

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
  ApiError record_failure(const std::string& email, SysTime now, ApiError base);
  std::optional<ApiError> lock_error(const std::string& email, SysTime now);
  ApiResult<boost::json::object> start_session(const User& u, SysTime now);
  void send_mail(const std::string& to, const std::string& subject, const std::string& purpose,
                 const std::string& body, SysTime now);

  std::mutex m_mutex;  // guards m_db
  Database m_db;
  Mailer m_mailer;
  std::filesystem::path m_admin_token_file;
  std::string m_admin_token_hash;
};

}  // namespace portal::sandbox
