// JSON Schema validation of records against the schemas in schemas/ (compiled in).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "portal/util/error.hpp"

namespace portal::records {

// The schemas of schemas/*.schema.json by name ("registration", "profile", ...).
const std::map<std::string, std::string_view>& embedded_schemas();

// Validates `record` against the named schema, then the domain rules that JSON Schema cannot
// express (NPI check digit, real calendar dates). Returns every problem with its field name;
// empty means valid. An unknown schema name is a programming error (throws std::logic_error).
std::vector<FieldError> validate_record(std::string_view schema_name,
                                        const boost::json::value& record);
// The same for a record held as an object: a batch row is not copied into a value unless it
// needs valijson's full report.
std::vector<FieldError> validate_record(std::string_view schema_name,
                                        const boost::json::object& record);

// The maxLength of a top-level string property of the named schema ("case", "additional_info"):
// the generic maximum where a portal states its own, smaller limits; 0 when it sets none.
std::size_t property_max_length(std::string_view schema_name, std::string_view property);

}  // namespace portal::records
