// Rendering of command results (a JSON object or an array of objects) for people and programs.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

namespace portal::output {

enum class Format { table, json, jsonl, csv, yaml };

// "table", "json", "jsonl", "csv" or "yaml" -> the format; anything else -> nullopt.
std::optional<Format> parse_format(std::string_view name);

// The name parse_format() accepts for `format`.
const char* format_name(Format format);

struct RenderOptions {
  bool color = false;  // ANSI styling of table headers (only on a terminal without NO_COLOR)
};

// Writes `value` to `out` in `format`. Objects become one row (tables show them as KEY VALUE
// lines), arrays of objects one row each; nested objects flatten to dotted columns
// ("organization.name") and arrays of scalars join with ";" in table and CSV.
void render(std::ostream& out, const boost::json::value& value, Format format,
            const RenderOptions& options = {});

// One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF, and prefixed with a
// single quote when it starts with = + - @ TAB or CR so spreadsheets do not run it as a formula.
std::string csv_cell(std::string_view text);

// A YAML document for `value` (block style; strings quoted whenever YAML would misread them).
std::string to_yaml(const boost::json::value& value);

// `value` flattened to (column, text) pairs in member order, as tables and CSV show it.
std::vector<std::pair<std::string, std::string>> flatten(const boost::json::value& value);

}  // namespace portal::output
