#include "x12/guide_check.hpp"

#include "x12/segment.hpp"
#include "x12/text.hpp"

namespace x12::detail {
namespace {

bool is_integer(std::string_view v) {
  if (!v.empty() && v[0] == '-') v.remove_prefix(1);
  return all_digits(v);
}

bool is_decimal(std::string_view v) {
  if (!v.empty() && v[0] == '-') v.remove_prefix(1);
  const std::size_t dot = v.find('.');
  if (dot == std::string_view::npos) return all_digits(v);
  const std::string_view a = v.substr(0, dot), b = v.substr(dot + 1);
  return (a.empty() || all_digits(a)) && (b.empty() || all_digits(b)) && !(a.empty() && b.empty());
}

// Guides nest a handful of loops; the bound only keeps a malformed table from recursing forever.
constexpr int k_max_depth = 12;

const Loop* find_loop_at(const Loop& loop, std::string_view name, int depth) {
  if (loop.name == name) return &loop;
  if (depth > k_max_depth) return nullptr;
  for (const SegmentRule& row : loop.segments)
    if (row.loop != nullptr)
      if (const Loop* found = find_loop_at(*row.loop, name, depth + 1)) return found;
  return nullptr;
}

}  // namespace

std::size_t value_length(std::string_view v, Type t) {
  if (t != Type::n0 && t != Type::r) return v.size();
  std::size_t n = 0;
  for (char c : v) n += (c >= '0' && c <= '9') ? 1 : 0;
  return n;
}

std::optional<ValueProblem> check_value(const ElementRule& e, std::string_view v,
                                        std::string_view format, char component) {
  if (e.type == Type::composite) {
    const std::string_view first = Segment::nth_part(v, component, 1);
    if (!e.codes.empty() && !has_code(e.codes, first))
      return ValueProblem{ErrorCode::invalid_code, "'" + clip(first) + "' is not an allowed code"};
    return std::nullopt;
  }
  // Binary data is bytes of any value; the reader already held it to its BIN01 length.
  if (e.type == Type::binary) return std::nullopt;
  const std::size_t len = value_length(v, e.type);
  if (e.type != Type::dated) {
    if (len < e.min)
      return ValueProblem{ErrorCode::element_too_short, "is shorter than " + std::to_string(e.min)};
    if (len > e.max)
      return ValueProblem{ErrorCode::element_too_long, "is longer than " + std::to_string(e.max)};
  }
  switch (e.type) {
    case Type::id:
      if (!e.codes.empty() && !has_code(e.codes, v))
        return ValueProblem{ErrorCode::invalid_code,
                            "'" + clip(v) + "' is not one of: " + std::string(e.codes)};
      break;
    case Type::dt:
      if (!valid_date8(v)) return ValueProblem{ErrorCode::invalid_date, "is not a CCYYMMDD date"};
      break;
    case Type::tm:
      if (!valid_time(v)) return ValueProblem{ErrorCode::invalid_time, "is not an HHMM[SS] time"};
      break;
    case Type::n0:
      if (!is_integer(v)) return ValueProblem{ErrorCode::invalid_character, "is not an integer"};
      break;
    case Type::r:
      if (!is_decimal(v))
        return ValueProblem{ErrorCode::invalid_character, "is not a decimal number"};
      break;
    case Type::dated:
      if (format == "D8") {
        if (!valid_date8(v))
          return ValueProblem{ErrorCode::invalid_date, "is not a D8 date (CCYYMMDD)"};
      } else if (format == "RD8") {
        const std::size_t dash = v.find('-');
        const bool ok = dash == 8 && v.size() == 17 && valid_date8(v.substr(0, 8)) &&
                        valid_date8(v.substr(9)) && v.substr(0, 8) <= v.substr(9);
        if (!ok)
          return ValueProblem{ErrorCode::invalid_date,
                              "is not an RD8 range (CCYYMMDD-CCYYMMDD, in order)"};
      }
      break;
    case Type::an:
    case Type::composite:
    case Type::binary:
      break;
  }
  return std::nullopt;
}

const Loop* find_loop(const Loop& root, std::string_view name) {
  return find_loop_at(root, name, 0);
}

}  // namespace x12::detail
