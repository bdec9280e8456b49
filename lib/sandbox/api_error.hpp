// How the sandbox's rules refuse a request: exactly what goes on the wire as a JSON error.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <tl/expected.hpp>

#include "portal/util/strings.hpp"

namespace portal::sandbox {

// A refusal as the API reports it: HTTP status, stable code, message and extra members
// (encoded as {"error": {"code", "message", ...extra}}).
struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  boost::json::object extra;
};

template <typename T>
using ApiResult = tl::expected<T, ApiError>;

// Client-supplied text (a path, an action name) as a message may quote it: printable ASCII as
// it is, every other byte (and '%') percent-encoded, so the message is always valid UTF-8 and
// JSON whatever bytes were sent.
inline std::string quotable(std::string_view text) {
  return util::percent_encode(text,
                              [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '%'; });
}

}  // namespace portal::sandbox
