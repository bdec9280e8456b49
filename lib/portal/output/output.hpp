// Rendering of command results (a JSON object or an array of objects) for people and programs.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

#include "portal/util/error.hpp"

namespace portal::output {

enum class Format { table, json, jsonl, csv, yaml };

// "table", "json", "jsonl", "csv" or "yaml" -> the format; anything else -> nullopt.
std::optional<Format> parse_format(std::string_view name);

// The name parse_format() accepts for `format`.
const char* format_name(Format format);

// A choice of fields (--fields a,b,c): names as table and CSV show them, dotted for nested ones
// ("organization.name"), in the order given.
struct FieldChoice {
  std::vector<std::string> names;    // as given: what JSON, JSON Lines and YAML keep
  std::vector<std::string> columns;  // table and CSV columns: a nested object's name expanded
};

// Parses `list` ("a,b,c") against `valid`, the fields a command's output has (dotted names, leaves
// of nested objects). A name is valid when it is one of them or names a nested object of them
// ("organization" for "organization.name"); repeated names count once. ErrorKind::usage naming
// the unknown name and every valid one, or for a list without names.
Expected<FieldChoice> choose_fields(std::string_view list, const std::vector<std::string>& valid);

// `record` with only `names`, in that order; a dotted name keeps its nesting ("member.first_name"
// -> {"member": {"first_name": ...}}) and a field the record lacks is null.
boost::json::object project(const boost::json::object& record,
                            const std::vector<std::string>& names);
// project() of an object, or of each object of an array (anything else is returned as it is).
boost::json::value project(const boost::json::value& value, const std::vector<std::string>& names);

// The value at a dotted path of `record` ("plan.name"), or nullptr.
const boost::json::value* at_path(const boost::json::object& record, std::string_view path);

// What a table or CSV cell shows for `value`: empty for null or absent, a list of scalars joined
// with ";", other lists and objects as JSON.
std::string cell_text(const boost::json::value* value);

struct RenderOptions {
  bool color = false;  // ANSI styling of table headers (only on a terminal without NO_COLOR)
  // --fields (not owned; null: every field): the output keeps these fields, and table and CSV
  // show exactly its columns, in order, even when a record lacks one.
  const FieldChoice* fields = nullptr;
};

// Writes `value` to `out` in `format`. Objects become one row (tables show them as KEY VALUE
// lines), arrays of objects one row each; nested objects flatten to dotted columns
// ("organization.name") and arrays of scalars join with ";" in table and CSV.
void render(std::ostream& out, const boost::json::value& value, Format format,
            const RenderOptions& options = {});

// One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF, and prefixed with a
// single quote when it starts with = + - @ TAB or CR so spreadsheets do not run it as a formula
// (a plain number such as -12.50 excepted: it is a number, not a formula).
std::string csv_cell(std::string_view text);
// The same cell appended to `out`.
void append_csv_cell(std::string& out, std::string_view text);

// A YAML document for `value` (block style; strings quoted whenever YAML would misread them).
std::string to_yaml(const boost::json::value& value);

// `value` flattened to (column, text) pairs in member order, as tables and CSV show it.
std::vector<std::pair<std::string, std::string>> flatten(const boost::json::value& value);

}  // namespace portal::output
