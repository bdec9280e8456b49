// Streaming readers for batch input: CSV (RFC 4180), YAML (a list of mappings) and JSON Lines.
// A reader holds at most one record (capped in size) in memory, whatever the file's length, and
// reports where each record starts so every message can name the file and line.
#pragma once
#include <cstddef>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "portal/util/error.hpp"

namespace portal::batch {

enum class Format { csv, yaml, jsonl };

// "csv", "yaml"/"yml", "jsonl"/"ndjson" (case-insensitive); nullopt otherwise.
std::optional<Format> parse_format(std::string_view name);
// The format named by a path's extension (".csv", ".yaml", ".yml", ".jsonl", ".ndjson");
// ErrorKind::usage naming the path and --batch-format when it cannot tell.
Expected<Format> format_of(const std::filesystem::path& path);

struct ReaderLimits {
  std::size_t max_record_bytes = 1u << 20;  // one CSV record, JSON line or YAML item
  std::size_t max_depth = 64;               // nesting of JSON/YAML values
  std::size_t max_yaml_nodes = 100'000;     // nodes of one YAML item after alias expansion
};

// One record of the batch. `fields` is a JSON object: CSV cells are strings (empty cells are
// left out, so "not given" and "empty" read the same); YAML scalars are strings, except that
// plain (unquoted) true/false/null/integers/floats keep their YAML 1.2 core-schema types; JSON
// keeps its types. When the record itself cannot be read (a malformed JSON line, invalid UTF-8,
// a record over max_record_bytes, a YAML item that is not a mapping) `problem` says why and
// `fields` is empty: that row is invalid, and the reader goes on with the next one. A problem
// starts with "line N" (the line at fault, which may come after `line`), names the column or
// key where there is one, never quotes a value (values are PHI), and leaves the file's name to
// the caller.
struct Record {
  std::size_t index = 0;  // 0-based position among the records of the file
  std::size_t line = 0;   // 1-based line of the file where the record starts
  boost::json::object fields;
  std::optional<std::string> problem;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // The next record; nullopt at the end of the input. An error (ErrorKind::input) means the
  // file as a whole cannot be read from here on: an unreadable or duplicated CSV header, a YAML
  // document that is not a list, a YAML syntax error, a single YAML value over max_record_bytes
  // or nesting libyaml cannot skip, an I/O error. Its message names the file and line; every
  // later call returns the same error.
  virtual Expected<std::optional<Record>> next() = 0;
};

// `name` is what messages call the input ("eligibility.csv", or "stdin"). The stream must outlive
// the reader. A UTF-8 byte order mark at the start is skipped for every format.
std::unique_ptr<RecordReader> make_reader(Format format, std::istream& in, std::string name,
                                          ReaderLimits limits = {});

}  // namespace portal::batch
