// A change of the account's profile (update-profile's name, phone, fax and email), checked
// against schemas/profile.schema.json and sent over the profile's wire. The password and the
// authenticator app change through the portal's sign-in flows (api::PortalApi), not a wire.
#pragma once

#include <boost/json/object.hpp>

#include "portal/api/portal_api.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// ErrorKind::input with each field's problem when `changes` are not a valid profile change
// (schemas/profile.schema.json), before anything is asked or sent.
Expected<void> check_profile_change(const boost::json::object& changes);

// The profile after `changes` (checked with check_profile_change()). ErrorKind::usage when the
// wire does not carry profile changes; the portal's refusal as its Error.
Expected<boost::json::object> change_profile(api::PortalApi& api, const wire::Wire& wire,
                                             const boost::json::object& changes);

}  // namespace portal::ops
