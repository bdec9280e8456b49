// How the sandbox's rules refuse a request: exactly what goes on the wire as a JSON error.
#pragma once

#include <string>

#include <boost/json/object.hpp>
#include <tl/expected.hpp>

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

}  // namespace portal::sandbox
