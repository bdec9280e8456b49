#include "portal/records/schema.hpp"

#include <algorithm>
#include <cstring>
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
#include "portal/records/quick_check.hpp"
#include "portal/util/clock.hpp"

namespace portal::records {

namespace {

struct CompiledSchema {
  boost::json::value document;
  valijson::Schema schema;
  std::unique_ptr<QuickCheck> quick;  // null when the schema uses keywords it does not know
};

// Schemas are parsed once per process; valijson's Schema is immutable after parsing and safe to
// share between threads for validation.
const CompiledSchema& compiled(std::string_view name) {
  // A batch validates every row against one schema: remember the last one without locking.
  thread_local const CompiledSchema* last = nullptr;
  thread_local std::string last_name;
  if (last && last_name == name) return *last;
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<CompiledSchema>, std::less<>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(name); it != cache.end()) {
    last_name = name;
    return *(last = it->second.get());
  }
  const auto& all = embedded_schemas();
  auto it = all.find(std::string(name));
  if (it == all.end()) throw std::logic_error("unknown record schema: " + std::string(name));
  auto entry = std::make_unique<CompiledSchema>();
  entry->document = boost::json::parse(it->second);
  valijson::SchemaParser parser;
  valijson::adapters::BoostJsonAdapter adapter(entry->document);
  parser.populateSchema(adapter, entry->schema);
  entry->quick = QuickCheck::compile(entry->document);
  last_name = name;
  return *(last = cache.emplace(std::string(name), std::move(entry)).first->second.get());
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
    if (index)
      out += "[" + part + "]";
    else
      out += (out.empty() ? "" : ".") + part;
  }
  return out;
}

// The sub-schema that describes a field path such as "procedures[0].code", or nullptr.
const boost::json::object* field_schema(const boost::json::value& doc, const std::string& field) {
  const boost::json::object* node = &doc.as_object();
  std::size_t pos = 0;
  while (node && pos < field.size()) {
    if (field[pos] == '[') {
      auto close = field.find(']', pos);
      const auto* items = node->if_contains("items");
      node = items && items->is_object() ? &items->as_object() : nullptr;
      pos = close == std::string::npos ? field.size() : close + 1;
      continue;
    }
    if (field[pos] == '.') ++pos;
    auto stop = field.find_first_of(".[", pos);
    std::string name =
        field.substr(pos, stop == std::string::npos ? std::string::npos : stop - pos);
    const auto* props = node->if_contains("properties");
    const auto* p = props && props->is_object() ? props->as_object().if_contains(name) : nullptr;
    node = p && p->is_object() ? &p->as_object() : nullptr;
    pos = stop == std::string::npos ? field.size() : stop;
  }
  return node;
}

std::string quoted_name(const std::string& description) {
  auto last = description.rfind('\'');
  auto first = last == std::string::npos || last == 0 ? std::string::npos
                                                      : description.rfind('\'', last - 1);
  if (first == std::string::npos || last == std::string::npos) return {};
  return description.substr(first + 1, last - first - 1);
}

// The first sentence of a schema description: enough to say what the field should look like.
std::string first_sentence(const std::string& text) {
  auto end = text.find(". ");
  return end == std::string::npos ? text : text.substr(0, end + 1);
}

std::string number_of(const boost::json::object* ps, const char* key) {
  const auto* v = ps ? ps->if_contains(key) : nullptr;
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  return boost::json::serialize(*v);
}

bool has(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

// Turns valijson's wording into what a person fixing a CSV row needs to read.
FieldError explain(const boost::json::value& doc, const valijson::ValidationResults::Error& e) {
  std::string field = field_of(e.context);
  const std::string& d = e.description;
  if (has(d, "Missing required property")) {
    std::string name = quoted_name(d);
    return {field.empty() ? name : field + "." + name, "is required"};
  }
  if (has(d, "could not be validated using 'properties'")) {
    std::string name = quoted_name(d);
    return {field.empty() ? name : field + "." + name, "is not a field of this record"};
  }
  const auto* ps = field_schema(doc, field);
  std::string described;
  if (const auto* desc = ps ? ps->if_contains("description") : nullptr; desc && desc->is_string()) {
    described = first_sentence(std::string(desc->as_string()));
  }
  if (has(d, "'pattern'") || has(d, "valid date")) {
    return {field,
            described.empty() ? "has the wrong format" : "has the wrong format: " + described};
  }
  if (has(d, "enum values") || has(d, "'const'")) {
    const auto* en = ps ? ps->if_contains("enum") : nullptr;
    if (en && en->is_array()) {
      std::string list;
      for (const auto& v : en->as_array()) {
        list += (list.empty() ? "" : ", ") +
                (v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v));
      }
      return {field, "must be one of: " + list};
    }
    const auto* c = ps ? ps->if_contains("const") : nullptr;
    if (c) return {field, "must be " + boost::json::serialize(*c)};
    return {field, described.empty() ? "is not an allowed value"
                                     : "is not an allowed value: " + described};
  }
  if (has(d, "String should be no more than")) {
    return {field, "is too long: at most " + number_of(ps, "maxLength") + " characters"};
  }
  if (has(d, "String should be no fewer than")) {
    auto min = number_of(ps, "minLength");
    if (min == "1" || min.empty()) return {field, "must not be empty"};
    return {field, "is too short: at least " + min + " characters"};
  }
  if (has(d, "Expected number greater than")) {
    auto min = number_of(ps, "minimum");
    if (min.empty()) min = number_of(ps, "exclusiveMinimum");
    return {field, "is too small: the least allowed is " + min};
  }
  if (has(d, "Expected number less than")) {
    auto max = number_of(ps, "maximum");
    if (max.empty()) max = number_of(ps, "exclusiveMaximum");
    return {field, "is too large: the most allowed is " + max};
  }
  if (has(d, "Array should contain no more than")) {
    return {field, "has too many entries: at most " + number_of(ps, "maxItems")};
  }
  if (has(d, "Array should contain no fewer than")) {
    return {field, "needs at least " + number_of(ps, "minItems") + " entr" +
                       (number_of(ps, "minItems") == "1" ? "y" : "ies")};
  }
  if (has(d, "Object should have no fewer than")) return {field, "must not be empty"};
  if (has(d, "Object should have no more than")) return {field, "has too many entries"};
  if (has(d, "'type' constraint")) {
    std::string want = number_of(ps, "type");
    if (!want.empty() && want.front() == '"') want = want.substr(1, want.size() - 2);
    return {field, want.empty() ? "has the wrong type" : "has the wrong type: expected " + want};
  }
  if (has(d, "multiple of")) return {field, "must be a whole number"};
  return {field, d};
}

// valijson reports a failure and then every enclosing schema that failed because of it.
bool is_enclosing(const std::string& d) {
  return has(d, "Failed to validate against schema associated with property") ||
         has(d, "Failed to validate item") || has(d, "Failed to validate against child schema") ||
         has(d, "Failed to validate against any") ||
         has(d, "Failed to validate against exactly one") || has(d, "conditional schema") ||
         has(d, "additional properties schema") || has(d, "Cannot validate item");
}

bool is_npi_field(std::string_view name) {
  return name == "npi" || (name.size() > 4 && name.substr(name.size() - 4) == "_npi");
}

bool is_date_field(std::string_view name) {
  return name == "date_of_birth" || name == "service_date" || name == "service_start" ||
         name == "service_end" || name == "service_from" || name == "service_to";
}

// valijson's verdict on `record`: the most specific problem of each field, in its order.
std::vector<FieldError> schema_problems(const CompiledSchema& cs,
                                        const boost::json::value& record) {
  // One validator per thread: it caches the compiled regular expressions of the patterns, which
  // otherwise dominate the cost of validating a row (~200 µs -> a few µs).
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter target(record);
  std::vector<FieldError> problems;
  if (validator.validate(cs.schema, target, &results)) return problems;
  // valijson reports each failure and then each enclosing schema that failed because of it;
  // keep only the most specific message per field.
  valijson::ValidationResults::Error e;
  std::vector<FieldError> all;
  while (results.popError(e)) {
    if (!is_enclosing(e.description)) all.push_back(explain(cs.document, e));
  }
  if (all.empty()) {
    // Only an enclosing rule failed (an if/then or oneOf with nothing more specific to say).
    all.push_back({"",
                   "the record as a whole does not meet its schema's rules (check the fields that "
                   "depend on each other)"});
  }
  std::set<std::string> fields;
  for (auto& fe : all) {
    if (fields.insert(fe.field).second) problems.push_back(std::move(fe));
  }
  return problems;
}

bool flagged(const std::vector<FieldError>& problems, std::string_view field) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const FieldError& p) { return p.field == field; });
}

// The rules JSON Schema cannot express (NPI check digit, real calendar dates), for the fields
// that have no problem yet.
// Whether a string anywhere in `v` holds a NUL byte. valijson reads strings only up to their
// first NUL, so "Ja\u0000!" would pass a name's schema and reach the portal.
bool has_nul(const boost::json::value& v) {
  if (v.is_string()) return std::memchr(v.get_string().data(), 0, v.get_string().size()) != nullptr;
  if (v.is_array()) return std::any_of(v.get_array().begin(), v.get_array().end(), has_nul);
  if (v.is_object()) {
    return std::any_of(v.get_object().begin(), v.get_object().end(),
                       [](const auto& kv) { return has_nul(kv.value()); });
  }
  return false;
}

void domain_problems(const boost::json::object& record, std::vector<FieldError>& problems) {
  for (const auto& [key, value] : record) {
    if (!value.is_number() && !value.is_bool() && !value.is_null() && has_nul(value) &&
        !flagged(problems, key)) {
      problems.push_back(
          {std::string(key), "contains a NUL byte (\\u0000): remove it; no field may hold one"});
      continue;
    }
    // Both rules are about 10-character values (an NPI, YYYY-MM-DD): test the size first.
    if (!value.is_string() || value.get_string().size() != 10 || flagged(problems, key)) continue;
    std::string_view text = value.as_string();
    if (is_npi_field(key) && !npi_is_valid(text)) {
      problems.push_back(
          {std::string(key),
           "check digit is wrong: this is not a valid NPI (look for a mistyped digit)"});
    } else if (is_date_field(key) && !parse_date(text)) {
      problems.push_back({std::string(key), "is not a real calendar date (YYYY-MM-DD)"});
    }
  }
}

}  // namespace

std::vector<FieldError> validate_record(std::string_view schema_name,
                                        const boost::json::value& record) {
  const CompiledSchema& cs = compiled(schema_name);
  // The quick check accepts only what valijson accepts; anything else gets valijson's own
  // verdict and wording.
  std::vector<FieldError> problems;
  if (!cs.quick || !cs.quick->accepts(record)) problems = schema_problems(cs, record);
  if (record.is_object()) domain_problems(record.get_object(), problems);
  return problems;
}

std::vector<FieldError> validate_record(std::string_view schema_name,
                                        const boost::json::object& record) {
  const CompiledSchema& cs = compiled(schema_name);
  std::vector<FieldError> problems;
  if (!cs.quick || !cs.quick->accepts(record)) {
    problems = schema_problems(cs, boost::json::value(record));  // valijson reads values only
  }
  domain_problems(record, problems);
  return problems;
}

std::size_t property_max_length(std::string_view schema_name, std::string_view property) {
  const boost::json::value& doc = compiled(schema_name).document;
  const auto* props = doc.is_object() ? doc.get_object().if_contains("properties") : nullptr;
  const auto* p = props && props->is_object() ? props->get_object().if_contains(property) : nullptr;
  const auto* max = p && p->is_object() ? p->get_object().if_contains("maxLength") : nullptr;
  return max && max->is_int64() && max->get_int64() > 0 ? static_cast<std::size_t>(max->get_int64())
                                                        : 0;
}

}  // namespace portal::records
