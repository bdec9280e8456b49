#include "portal/batch/rows.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <vector>

#include <boost/json.hpp>

#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"

namespace portal::batch {

namespace json = boost::json;

std::string Shard::to_string() const { return std::to_string(index) + "/" + std::to_string(count); }

Expected<Shard> parse_shard(std::string_view text) {
  auto slash = text.find('/');
  auto number = [](std::string_view s, std::size_t& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  Shard shard;
  if (slash == std::string_view::npos || !number(text.substr(0, slash), shard.index) ||
      !number(text.substr(slash + 1), shard.count)) {
    return fail(ErrorKind::usage,
                "--shard must be K/N, e.g. 0/4 (got \"" + std::string(text) + "\")",
                "K counts from 0 to N-1, like a Kubernetes Indexed Job's JOB_COMPLETION_INDEX");
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    return fail(ErrorKind::usage, "--shard " + std::string(text) +
                                      " is out of range: K must be 0 to N-1 and N at least 1");
  }
  return shard;
}

namespace {

void write_canonical(const json::value& v, std::string& out) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    std::vector<const json::key_value_pair*> members;
    members.reserve(o.size());
    for (const auto& kv : o) members.push_back(&kv);
    std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out += '{';
    bool first = true;
    for (const auto* kv : members) {
      if (!first) out += ',';
      first = false;
      out += json::serialize(json::value(kv->key()));
      out += ':';
      write_canonical(kv->value(), out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first) out += ',';
      first = false;
      write_canonical(e, out);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

// A schema's "type", read once so that every cell does not compare type names again.
enum class Type { other, string, integer, number, boolean, array, object };  // other: not one type

// What a schema declares about one property, as far as coercion needs it.
struct FieldType {
  Type type = Type::other;
  Type item_type = Type::other;  // for arrays: the items' type
  // For arrays of objects: the items' properties and their types, in the schema's order
  // ("code", string), ("units", integer); for objects: their declared properties.
  std::vector<std::pair<std::string, Type>> properties;
};

Type type_of(const json::value& schema) {
  const auto* type = schema.is_object() ? schema.get_object().if_contains("type") : nullptr;
  if (!type || !type->is_string()) return Type::other;
  const std::string_view name = type->get_string();
  if (name == "string") return Type::string;
  if (name == "integer") return Type::integer;
  if (name == "number") return Type::number;
  if (name == "boolean") return Type::boolean;
  if (name == "array") return Type::array;
  if (name == "object") return Type::object;
  return Type::other;
}

std::vector<std::pair<std::string, Type>> properties_of(const json::value& schema) {
  std::vector<std::pair<std::string, Type>> out;
  const auto* props = schema.is_object() ? schema.get_object().if_contains("properties") : nullptr;
  if (!props || !props->is_object()) return out;
  for (const auto& [name, prop] : props->get_object())
    out.emplace_back(std::string(name), type_of(prop));
  return out;
}

// The declared properties in the schema's order.
using FieldTypes = std::vector<std::pair<std::string, FieldType>>;

// The type of the property called `name`, trying the one at `hint` first (rows usually list
// their fields in the schema's order); nullptr if the schema does not declare it.
const FieldType* find_type(const FieldTypes& types, std::string_view name, std::size_t hint) {
  if (hint < types.size() && types[hint].first == name) return &types[hint].second;
  for (const auto& [n, ft] : types) {
    if (n == name) return &ft;
  }
  return nullptr;
}

// The declared top-level properties of a schema, read once per schema.
const FieldTypes& declared_types(std::string_view schema_name) {
  // A batch coerces every row with one schema: remember the last one without locking.
  thread_local const FieldTypes* last = nullptr;
  thread_local std::string last_name;
  if (last && last_name == schema_name) return *last;
  static std::mutex mutex;
  static std::map<std::string, FieldTypes, std::less<>> cache;
  std::lock_guard lock(mutex);
  last_name = schema_name;
  if (auto it = cache.find(schema_name); it != cache.end()) return *(last = &it->second);
  FieldTypes types;
  const auto& all = records::embedded_schemas();
  if (auto it = all.find(std::string(schema_name)); it != all.end()) {
    auto doc = json::parse(it->second);
    if (const auto* props = doc.as_object().if_contains("properties");
        props && props->is_object()) {
      for (const auto& [name, prop] : props->get_object()) {
        FieldType ft;
        ft.type = type_of(prop);
        if (ft.type == Type::array && prop.is_object()) {
          if (const auto* items = prop.get_object().if_contains("items")) {
            ft.item_type = type_of(*items);
            ft.properties = properties_of(*items);
          }
        } else if (ft.type == Type::object) {
          ft.properties = properties_of(prop);
        }
        types.emplace_back(std::string(name), std::move(ft));
      }
    }
  }
  return *(last = &cache.emplace(std::string(schema_name), std::move(types)).first->second);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Converts one scalar to `type` where it converts; leaves it as it is otherwise.
void coerce_scalar(json::value& value, Type type) {
  if (type == Type::string) {
    // YAML and JSON give numbers for unquoted digits (an NPI, a member ID): the schema says text.
    if (value.is_int64() || value.is_uint64() || value.is_bool()) {
      value = json::string(json::serialize(value));
    }
    return;
  }
  if (!value.is_string()) return;
  std::string_view text = value.get_string();
  if (type == Type::integer) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) value = n;
  } else if (type == Type::number) {
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc() && end == text.data() + text.size()) value = d;
  } else if (type == Type::boolean) {
    if (text == "true" || text == "TRUE" || text == "True")
      value = true;
    else if (text == "false" || text == "FALSE" || text == "False")
      value = false;
  }
}

// The members of an object to the types of its declared properties.
void coerce_members(json::object& object, const std::vector<std::pair<std::string, Type>>& props) {
  for (const auto& [name, type] : props) {
    if (auto* v = object.if_contains(name)) coerce_scalar(*v, type);
  }
}

// One array item: "70551:1" becomes {"code": "70551", "units": 1} when the items are objects
// (the parts fill the item schema's properties in its order); scalars get the items' type.
void coerce_item(json::value& item, const FieldType& ft) {
  if (ft.item_type == Type::object) {
    if (item.is_string() && !ft.properties.empty()) {
      std::string_view text = item.get_string();
      std::vector<std::string_view> parts;
      while (true) {
        auto colon = text.find(':');
        parts.push_back(trim(text.substr(0, colon)));
        if (colon == std::string_view::npos) break;
        text.remove_prefix(colon + 1);
      }
      if (parts.size() > ft.properties.size()) return;  // validation names the item
      json::object o;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].empty()) continue;
        json::value v = json::string(parts[i]);
        coerce_scalar(v, ft.properties[i].second);
        o[ft.properties[i].first] = std::move(v);
      }
      item = std::move(o);
    } else if (item.is_object()) {
      coerce_members(item.get_object(), ft.properties);
    }
    return;
  }
  coerce_scalar(item, ft.item_type);
}

}  // namespace

std::string canonical_json(const json::value& value) {
  std::string out;
  write_canonical(value, out);
  return out;
}

void assign_idempotency_key(std::string& key, std::string_view operation,
                            const json::object& record) {
  // The text hashed, kept per thread: a batch computes one key per row.
  thread_local std::string material;
  material.assign(operation);
  material += '\n';
  if (const auto* ref = record.if_contains("ref");
      ref && ref->is_string() && !ref->get_string().empty()) {
    material += "ref:";
    material += ref->get_string();
  } else {
    material += "content:";
    material += canonical_json(record);
  }
  assign_sha256_hex(key, material);
}

std::string idempotency_key(std::string_view operation, const json::object& record) {
  std::string key;
  assign_idempotency_key(key, operation, record);
  return key;
}

void coerce_to_schema(std::string_view schema_name, json::object& record) {
  // A null (YAML's ~ or an empty value) means "not given", as an empty CSV cell does.
  std::vector<std::string> nulls;
  for (const auto& [key, value] : record) {
    if (value.is_null()) nulls.emplace_back(key);
  }
  for (const auto& key : nulls) record.erase(key);
  const auto& types = declared_types(schema_name);
  if (types.empty()) return;
  // CSV spells a map as one column per key: answers.q1, answers.q2 -> answers: {q1, q2}.
  std::vector<std::string> dotted;
  for (const auto& [key, value] : record) {
    auto dot = key.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == key.size()) continue;
    const FieldType* ft = find_type(types, std::string_view(key).substr(0, dot), types.size());
    if (ft && ft->type == Type::object) dotted.emplace_back(key);
  }
  for (const auto& key : dotted) {
    auto dot = key.find('.');
    std::string parent = key.substr(0, dot);
    json::value value = record.at(key);
    record.erase(key);
    auto& slot = record[parent];
    if (slot.is_null()) slot = json::object();
    if (slot.is_object()) slot.get_object()[key.substr(dot + 1)] = std::move(value);
  }
  std::size_t position = 0;
  for (auto& [key, value] : record) {
    const FieldType* found = find_type(types, key, position++);
    if (!found) continue;
    const FieldType& ft = *found;
    if (ft.type == Type::array) {
      if (value.is_string()) {
        // CSV spells a list as one cell with ';' between items.
        json::array items;
        std::string_view text = value.get_string();
        while (true) {
          auto semi = text.find(';');
          auto part = trim(text.substr(0, semi));
          if (!part.empty()) items.emplace_back(json::string(part));
          if (semi == std::string_view::npos) break;
          text.remove_prefix(semi + 1);
        }
        value = std::move(items);
      }
      if (value.is_array()) {
        for (auto& item : value.get_array()) coerce_item(item, ft);
      }
    } else if (ft.type == Type::object) {
      if (value.is_object()) coerce_members(value.get_object(), ft.properties);
    } else {
      coerce_scalar(value, ft.type);
    }
  }
}

}  // namespace portal::batch
