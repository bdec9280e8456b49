#include "sandbox/users.hpp"

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/rules.hpp"

namespace portal::sandbox {

namespace json = boost::json;

ApiError password_rejected(const std::string& why) {
  return api_error(
      422, "password_rejected", why,
      json::object{{"errors", json::array{json::object{{"field", "password"}, {"message", why}}}}});
}

std::string code_hash(std::string_view scope, std::string_view code) {
  return sha256_hex(std::string(scope) + ":" + std::string(code));
}

}  // namespace portal::sandbox
