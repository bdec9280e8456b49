// The signed-in user's own account: the profile, the password, and the authenticator app (TOTP
// enrolment and removal).
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "sandbox/api_error.hpp"
#include "sandbox/store.hpp"

namespace portal::sandbox {

class Profiles {
 public:
  explicit Profiles(Store& store) : m_store(store) {}

  // GET/PATCH /v1/profile (an email change is told to the old address).
  ApiResult<boost::json::object> profile(const std::string& user_id);
  ApiResult<boost::json::object> update_profile(const std::string& user_id,
                                                const boost::json::object& body);
  // Needs the current password; the new one must pass the password policy.
  ApiResult<boost::json::object> change_password(const std::string& user_id,
                                                 const boost::json::object& body);
  // Enrolment: begin (a new secret), confirm (a code from it); disabling needs the password.
  ApiResult<boost::json::object> totp_begin(const std::string& user_id);
  ApiResult<boost::json::object> totp_confirm(const std::string& user_id,
                                              const boost::json::object& body);
  ApiResult<boost::json::object> totp_disable(const std::string& user_id,
                                              const boost::json::object& body);

 private:
  Store& m_store;
};

}  // namespace portal::sandbox
