// Reading one record from a JSON or YAML file (`--file`), as the schemas name its fields.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "portal/util/error.hpp"

namespace portal::cli {

// The object in `path` (.json, or .yaml/.yml; `-` is stdin read as YAML, a superset of JSON).
// Unquoted YAML scalars stay strings except true/false/null, since every record field that is
// not a boolean is a string of digits or letters (an NPI must keep its leading zeros).
Expected<boost::json::object> read_record_file(const std::string& path);

}  // namespace portal::cli
