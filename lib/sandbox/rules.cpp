#include "sandbox/rules.hpp"

#include <cstdio>
#include <stdexcept>

#include <boost/json.hpp>

namespace portal::sandbox {

std::string read_seed_file(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return {};
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot read " + file.string());
  std::string text;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  return text;
}

namespace json = boost::json;

ApiError api_error(int status, std::string code, std::string message, json::object extra) {
  return ApiError{status, std::move(code), std::move(message), std::move(extra)};
}

ApiError validation_error(const std::vector<FieldError>& problems) {
  json::array errors;
  for (const auto& p : problems)
    errors.push_back(json::object{{"field", p.field}, {"message", p.message}});
  std::string msg = "the record is not valid";
  if (!problems.empty()) msg += ": " + problems.front().field + " " + problems.front().message;
  return api_error(400, "validation_failed", msg, json::object{{"errors", std::move(errors)}});
}

std::string text_of(const json::object& body, std::string_view key) {
  const auto* v = body.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t unix_of(SysTime t) { return t.time_since_epoch().count(); }
SysTime time_of(std::int64_t s) { return SysTime{std::chrono::seconds{s}}; }

}  // namespace portal::sandbox
