// Reading one record from a JSON or YAML file (`--file`), as the schemas name its fields.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/object.hpp>

#include "portal/util/error.hpp"

namespace portal::cli {

// Sets in `record` each field of `fields` whose value is not empty: the flags of one record
// (which override the fields of its --file).
void put_flags(boost::json::object& record,
               std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

// The object in `path` (.json, or .yaml/.yml; `-` is stdin read as YAML, a superset of JSON).
// Unquoted YAML scalars stay strings except true/false/null, since every record field that is
// not a boolean is a string of digits or letters (an NPI must keep its leading zeros).
Expected<boost::json::object> read_record_file(const std::string& path);

}  // namespace portal::cli
