#include "portal/ops/profile.hpp"

#include <string>
#include <utility>

#include "portal/records/schema.hpp"

namespace portal::ops {

Expected<void> check_profile_change(const boost::json::object& changes) {
  Error invalid(ErrorKind::input, "the profile changes are not valid; nothing was sent");
  invalid.fields = records::validate_record("profile", changes);
  if (!invalid.fields.empty()) return fail(std::move(invalid));
  return {};
}

Expected<boost::json::object> change_profile(api::PortalApi& api, const wire::Wire& wire,
                                             const boost::json::object& changes) {
  constexpr auto k_function = wire::Function::profile_change;
  if (!wire.carries(k_function) || !wire.one_request(k_function)) {
    return fail(wire::not_carried(wire, "profile changes"));
  }
  auto answer = api.send(wire.request(k_function, changes, {}, {}));
  if (!answer) return fail(answer.error());
  auto result = wire.result(k_function, *answer, {});
  if (result.outcome != "ok") {
    Error e(ErrorKind::refused, "the portal refused the profile change: " + result.message);
    e.code = result.code;
    e.fields = std::move(result.errors);
    return fail(std::move(e));
  }
  return std::move(result.answer);
}

}  // namespace portal::ops
