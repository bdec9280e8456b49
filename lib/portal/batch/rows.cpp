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
    return fail(ErrorKind::usage, "--shard must be K/N, e.g. 0/4 (got \"" + std::string(text) + "\")",
                "K counts from 0 to N-1, like a Kubernetes Indexed Job's JOB_COMPLETION_INDEX");
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    return fail(ErrorKind::usage,
                "--shard " + std::string(text) + " is out of range: K must be 0 to N-1 and N at least 1");
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
    std::sort(members.begin(), members.end(),
              [](auto* a, auto* b) { return a->key() < b->key(); });
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

// The declared top-level types of a schema: property -> "string" | "integer" | "number" | ...
const std::map<std::string, std::string>& declared_types(std::string_view schema_name) {
  static std::mutex mutex;
  static std::map<std::string, std::map<std::string, std::string>, std::less<>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(schema_name); it != cache.end()) return it->second;
  std::map<std::string, std::string> types;
  const auto& all = records::embedded_schemas();
  if (auto it = all.find(std::string(schema_name)); it != all.end()) {
    auto doc = json::parse(it->second);
    if (const auto* props = doc.as_object().if_contains("properties"); props && props->is_object()) {
      for (const auto& [name, prop] : props->get_object()) {
        const auto* type = prop.is_object() ? prop.get_object().if_contains("type") : nullptr;
        if (type && type->is_string()) {
          types[std::string(name)] = std::string(type->get_string());
        }
      }
    }
  }
  return cache.emplace(std::string(schema_name), std::move(types)).first->second;
}

}  // namespace

std::string canonical_json(const json::value& value) {
  std::string out;
  write_canonical(value, out);
  return out;
}

std::string idempotency_key(std::string_view operation, const json::object& record) {
  std::string material(operation);
  material += '\n';
  if (const auto* ref = record.if_contains("ref"); ref && ref->is_string() && !ref->get_string().empty()) {
    material += "ref:";
    material += ref->get_string();
  } else {
    material += "content:";
    material += canonical_json(record);
  }
  return sha256_hex(material);
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
  for (auto& [key, value] : record) {
    auto it = types.find(std::string(key));
    if (it == types.end()) continue;
    if (it->second == "string") {
      // YAML and JSON give numbers for unquoted digits (an NPI, a member ID): the schema says text.
      if (value.is_int64() || value.is_uint64() || value.is_bool()) {
        value = json::string(json::serialize(value));
      }
      continue;
    }
    if (!value.is_string()) continue;
    std::string_view text = value.get_string();
    if (it->second == "integer") {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && end == text.data() + text.size()) value = n;
    } else if (it->second == "number") {
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc() && end == text.data() + text.size()) value = d;
    } else if (it->second == "boolean") {
      if (text == "true" || text == "TRUE" || text == "True") value = true;
      else if (text == "false" || text == "FALSE" || text == "False") value = false;
    }
  }
}

}  // namespace portal::batch
