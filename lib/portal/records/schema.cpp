#include "portal/records/schema.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>

#include <boost/json.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "portal/records/npi.hpp"
#include "portal/util/clock.hpp"

namespace portal::records {

namespace {

struct CompiledSchema {
  boost::json::value document;
  valijson::Schema schema;
};

// Schemas are parsed once per process; valijson's Schema is immutable after parsing and safe to
// share between threads for validation.
const CompiledSchema& compiled(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<CompiledSchema>, std::less<>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(name); it != cache.end()) return *it->second;
  const auto& all = embedded_schemas();
  auto it = all.find(std::string(name));
  if (it == all.end()) throw std::logic_error("unknown record schema: " + std::string(name));
  auto entry = std::make_unique<CompiledSchema>();
  entry->document = boost::json::parse(it->second);
  valijson::SchemaParser parser;
  valijson::adapters::BoostJsonAdapter adapter(entry->document);
  parser.populateSchema(adapter, entry->schema);
  return *cache.emplace(std::string(name), std::move(entry)).first->second;
}

// "npi" from valijson's context ["<root>", "[npi]"]; nested as "procedures[0].code".
std::string field_of(const std::vector<std::string>& context) {
  std::string out;
  for (std::size_t i = 1; i < context.size(); ++i) {
    std::string part = context[i];
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']') {
      part = part.substr(1, part.size() - 2);
    }
    if (!part.empty() && part.front() == '"' && part.back() == '"') {
      part = part.substr(1, part.size() - 2);
    }
    bool index = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    if (index) out += "[" + part + "]";
    else out += (out.empty() ? "" : ".") + part;
  }
  return out;
}

// The sub-schema that describes a top-level property, or nullptr.
const boost::json::object* property_schema(const boost::json::value& doc, const std::string& field) {
  auto top = field.substr(0, field.find_first_of(".["));
  const auto* props = doc.as_object().if_contains("properties");
  if (!props || !props->is_object()) return nullptr;
  const auto* p = props->as_object().if_contains(top);
  return p && p->is_object() ? &p->as_object() : nullptr;
}

std::string quoted_name(const std::string& description) {
  auto last = description.rfind('\'');
  auto first = last == std::string::npos ? last : description.rfind('\'', last - 1);
  if (first == std::string::npos || last == std::string::npos) return {};
  return description.substr(first + 1, last - first - 1);
}

// Turns valijson's wording into what a person fixing a CSV row needs to read.
FieldError explain(const boost::json::value& doc, const valijson::ValidationResults::Error& e) {
  std::string field = field_of(e.context);
  const std::string& d = e.description;
  if (d.find("Missing required property") != std::string::npos) {
    std::string name = quoted_name(d);
    return {field.empty() ? name : field + "." + name, "is required"};
  }
  if (d.find("could not be validated using 'properties'") != std::string::npos ||
      d.find("additionalProperties") != std::string::npos) {
    std::string name = quoted_name(d);
    return {field.empty() ? name : field + "." + name, "is not a field of this record"};
  }
  const auto* ps = property_schema(doc, field);
  std::string described;
  if (ps) {
    if (const auto* desc = ps->if_contains("description"); desc && desc->is_string()) {
      described = std::string(desc->as_string());
    }
  }
  if (d.find("'pattern'") != std::string::npos || d.find("regex") != std::string::npos) {
    return {field, described.empty() ? "has the wrong format" : "has the wrong format: " + described};
  }
  if (d.find("enumerated values") != std::string::npos && ps) {
    if (const auto* en = ps->if_contains("enum"); en && en->is_array()) {
      std::string list;
      for (const auto& v : en->as_array()) {
        list += (list.empty() ? "" : ", ") + (v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v));
      }
      return {field, "must be one of: " + list};
    }
  }
  if (d.find("maxLength") != std::string::npos || d.find("longer than") != std::string::npos) {
    if (const auto* m = ps ? ps->if_contains("maxLength") : nullptr; m && m->is_int64()) {
      return {field, "is too long: at most " + std::to_string(m->as_int64()) + " characters"};
    }
  }
  if (d.find("minLength") != std::string::npos || d.find("shorter than") != std::string::npos) {
    return {field, "must not be empty"};
  }
  if (d.find("type") != std::string::npos && d.find("constraint") != std::string::npos) {
    return {field, "has the wrong type: " + d};
  }
  return {field, d};
}

bool is_npi_field(std::string_view name) {
  return name == "npi" || (name.size() > 4 && name.substr(name.size() - 4) == "_npi");
}

bool is_date_field(std::string_view name) {
  return name == "date_of_birth" || name == "service_date" || name == "service_start" ||
         name == "service_end" || name == "service_from" || name == "service_to";
}

}  // namespace

std::vector<FieldError> validate_record(std::string_view schema_name, const boost::json::value& record) {
  const CompiledSchema& cs = compiled(schema_name);
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter target(record);
  std::vector<FieldError> problems;
  std::set<std::string> flagged;
  if (!validator.validate(cs.schema, target, &results)) {
    // valijson reports each failure and then each enclosing schema that failed because of it;
    // keep only the most specific message per field.
    valijson::ValidationResults::Error e;
    std::vector<FieldError> all;
    while (results.popError(e)) {
      if (e.description.find("Failed to validate against schema associated with property") !=
              std::string::npos ||
          e.description.find("Failed to validate item") != std::string::npos ||
          e.description.find("Failed to validate against child schema") != std::string::npos ||
          e.description.find("Failed to validate against") == 0) {
        continue;
      }
      all.push_back(explain(cs.document, e));
    }
    for (auto& fe : all) {
      if (flagged.insert(fe.field).second) problems.push_back(std::move(fe));
    }
  }
  if (record.is_object()) {
    for (const auto& [key, value] : record.as_object()) {
      if (!value.is_string() || flagged.count(key)) continue;
      std::string_view text = value.as_string();
      if (is_npi_field(key) && text.size() == 10 && !npi_is_valid(text)) {
        problems.push_back({std::string(key),
                            "check digit is wrong: this is not a valid NPI (look for a mistyped digit)"});
      } else if (is_date_field(key) && text.size() == 10 && !parse_date(text)) {
        problems.push_back({std::string(key), "is not a real calendar date (YYYY-MM-DD)"});
      }
    }
  }
  return problems;
}

}  // namespace portal::records
