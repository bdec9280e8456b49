// Helpers every part of the portal's rules shares: seed files, refusals in the API's shape,
// reading a JSON body's text members, and times as the database stores them (Unix seconds).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/util/clock.hpp"
#include "portal/util/error.hpp"
#include "sandbox/api_error.hpp"

namespace portal::sandbox {

// The text of a seed file (seeds/*.yaml): empty when there is none; std::runtime_error naming it
// when it cannot be read.
std::string read_seed_file(const std::filesystem::path& file);

// An ApiError from its parts.
ApiError api_error(int status, std::string code, std::string message,
                   boost::json::object extra = {});

// 400 validation_failed listing `problems` as {"errors": [{field, message}]}; the message names
// the first.
ApiError validation_error(const std::vector<FieldError>& problems);

// The string member `key` of `body`, or "" when it is absent or not a string.
std::string text_of(const boost::json::object& body, std::string_view key);

// A time as stored in SQLite (whole seconds since the Unix epoch), and back.
std::int64_t unix_of(SysTime t);
SysTime time_of(std::int64_t s);

}  // namespace portal::sandbox
