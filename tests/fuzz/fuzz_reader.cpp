// libFuzzer target for the batch readers: the input is a whole batch file in the format named
// by PORTAL_FUZZ_FORMAT (csv, yaml or jsonl; one binary per format). Every record read is
// coerced to the eligibility schema and validated, as the batch runner does, and to one of the
// other schemas (picked from the input's hash) so that every coercion and schema is reached.
// The documented contract of RecordReader (reader.hpp) is checked as well: an abort here is a
// finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/json/value.hpp>

#include "portal/batch/reader.hpp"
#include "portal/batch/reader_detail.hpp"  // k_chunk_size: white-box, to aim at chunk boundaries
#include "portal/batch/rows.hpp"
#include "portal/records/schema.hpp"

#ifndef PORTAL_FUZZ_FORMAT
#error "define PORTAL_FUZZ_FORMAT as csv, yaml or jsonl"
#endif

namespace {

namespace batch = portal::batch;

constexpr batch::Format k_format = batch::Format::PORTAL_FUZZ_FORMAT;

[[noreturn]] void contract_broken(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_reader: contract broken: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

// The embedded schemas besides "eligibility", so that coercion to integer, number and boolean
// and the other schemas' rules are reached too.
const std::vector<std::string>& other_schemas() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, text] : portal::records::embedded_schemas()) {
      if (name != "eligibility") out.push_back(name);
    }
    return out;
  }();
  return names;
}

// validate_record builds a new valijson::Validator per call, so it compiles every `pattern` of
// the schema with std::regex each time (instrumented, a few ms per record). Mutated inputs keep
// most records of their parent, so each distinct (schema, record) is validated once per process;
// a reproducer, run in a fresh process, validates every record it holds.
bool first_time(const std::string& schema, const boost::json::object& fields) {
  static std::unordered_set<std::string> seen;
  if (seen.size() > 50'000) seen.clear();
  return seen.insert(schema + '\n' + batch::canonical_json(fields)).second;
}

void validate(const std::string& schema, const boost::json::object& fields) {
  if (!first_time(schema, fields)) return;
  for (const auto& p : portal::records::validate_record(schema, fields)) {
    if (p.message.empty())
      contract_broken("a field error without a message", schema + ": " + p.field);
  }
}

void check_record_fields(const batch::Record& record, std::uint32_t salt) {
  boost::json::object fields = record.fields;
  batch::coerce_to_schema("eligibility", fields);
  validate("eligibility", fields);
  (void)batch::idempotency_key("eligibility", fields);
  const auto& others = other_schemas();
  if (!others.empty()) {
    const std::string& schema = others[(record.index + salt) % others.size()];
    boost::json::object copy = record.fields;
    batch::coerce_to_schema(schema, copy);
    validate(schema, copy);
  }
}

std::string without_numbers(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (out.empty() || out.back() != '#') out += '#';
    } else {
      out += c;
    }
  }
  return out;
}

// What a reader made of a file, for comparing two readings of the same records.
struct Outcome {
  struct Item {
    std::size_t line = 0;
    std::string problem;  // with its numbers blanked out (line numbers differ between readings)
    std::string fields;   // canonical JSON
  };
  std::vector<Item> records;
  std::optional<std::string> error;       // after its location, numbers blanked out
  std::optional<std::size_t> error_line;  // the N of an error located at "line N"
};

// "NAME: line 12, column 3: what" -> "what" (and 12). The location itself may differ between two
// readings: the YAML reader cannot give a column, or even a line, for a byte whose line began in
// a chunk it no longer holds.
void set_error(Outcome& outcome, const std::string& name, std::string_view message) {
  message.remove_prefix(std::min(message.size(), name.size() + 2));
  if (starts_with(message, "line ")) {
    std::size_t line = 0;
    for (std::size_t i = 5; i < message.size() && message[i] >= '0' && message[i] <= '9'; ++i) {
      line = line * 10 + static_cast<std::size_t>(message[i] - '0');
    }
    outcome.error_line = line;
  }
  if (auto colon = message.find(": "); colon != std::string_view::npos)
    message.remove_prefix(colon + 2);
  outcome.error = without_numbers(message);
}

Outcome read_all(const std::string& text, const batch::ReaderLimits& limits, std::uint32_t salt) {
  Outcome outcome;
  std::istringstream in(text);
  const std::string name = "fuzz-batch";
  auto reader = batch::make_reader(k_format, in, name, limits);
  if (!reader) contract_broken("make_reader returned null");
  std::size_t expected_index = 0;
  std::size_t last_line = 0;
  // Each record needs at least one byte of its own, so more records than bytes means a loop.
  const std::size_t max_records = text.size() + 2;
  for (;;) {
    auto next = reader->next();
    if (!next) {
      const auto& error = next.error();
      if (error.kind != portal::ErrorKind::input)
        contract_broken("an error that is not ErrorKind::input");
      if (!starts_with(error.message, name + ":"))
        contract_broken("an error that does not name the file", error.message);
      auto again = reader->next();
      if (again || again.error().message != error.message) {
        contract_broken("next() after an error did not repeat it", error.message);
      }
      set_error(outcome, name, error.message);
      return outcome;
    }
    if (!*next) {
      if (auto after = reader->next(); !after || *after) contract_broken("a record after the end");
      return outcome;
    }
    const batch::Record& record = **next;
    if (record.index != expected_index++) contract_broken("record indexes are not 0, 1, 2, ...");
    if (record.line == 0 || record.line < last_line) {
      contract_broken("record lines do not start at 1 and never go back",
                      std::to_string(last_line) + " then " + std::to_string(record.line));
    }
    last_line = record.line;
    if (expected_index > max_records) contract_broken("more records than input bytes");
    outcome.records.push_back({record.line, without_numbers(record.problem.value_or("")),
                               batch::canonical_json(record.fields)});
    if (record.problem) {
      // A refused record keeps only the cells that could be read (so its result carries its
      // ref): each one text, valid UTF-8 without a NUL byte.
      for (const auto& kv : record.fields) {
        if (!kv.value().is_string()) contract_broken("a refused record's cell is not text");
        std::string_view text = kv.value().get_string();
        if (text.find('\0') != std::string_view::npos || batch::detail::find_invalid_utf8(text)) {
          contract_broken("a refused record carries a cell that could not be read");
        }
      }
      if (!starts_with(*record.problem, "line "))
        contract_broken("a problem not starting with \"line N\"", *record.problem);
      continue;
    }
    check_record_fields(record, salt);
  }
}

// The same records, `shift` lines further down the file.
void compare(const Outcome& plain, const Outcome& padded, std::size_t shift) {
  const std::size_t n = std::min(plain.records.size(), padded.records.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& a = plain.records[i];
    const auto& b = padded.records[i];
    if (b.line != a.line + shift) {
      contract_broken("a chunk boundary changed a record's line",
                      "record " + std::to_string(i) + ": line " + std::to_string(a.line) + " vs " +
                          std::to_string(b.line) + " - " + std::to_string(shift));
    }
    if (a.problem != b.problem)
      contract_broken("a chunk boundary changed a record's problem", a.problem + " | " + b.problem);
    if (a.fields != b.fields)
      contract_broken("a chunk boundary changed a record's fields", "record " + std::to_string(i));
  }
  if (plain.error.has_value() != padded.error.has_value()) {
    contract_broken(
        "a chunk boundary changed whether the file can be read",
        plain.error.value_or("(no error)") + " | " + padded.error.value_or("(no error)"));
  }
  // libyaml decodes and checks its input ahead of the events it returns, so in a YAML file with
  // several faults, which one stops the reading (and after how many records) depends on where
  // the chunks end. Both readings must still fail, and agree on the records both returned.
  if (k_format == batch::Format::yaml && plain.error) return;
  if (plain.records.size() != padded.records.size()) {
    contract_broken(
        "a chunk boundary changed the number of records",
        std::to_string(plain.records.size()) + " vs " + std::to_string(padded.records.size()));
  }
  if (plain.error != padded.error) {
    contract_broken("a chunk boundary changed the error",
                    plain.error.value_or("(none)") + " | " + padded.error.value_or("(none)"));
  }
  if (plain.error_line && padded.error_line && *padded.error_line != *plain.error_line + shift) {
    contract_broken("a chunk boundary changed the error's line",
                    std::to_string(*plain.error_line) + " vs " +
                        std::to_string(*padded.error_line) + " - " + std::to_string(shift));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::uint32_t salt = fnv1a(input);
  // Small limits, smaller still for some inputs, so that a fuzz input (at most 4 KiB unless
  // -max_len says otherwise) can go past each of them.
  batch::ReaderLimits limits;
  limits.max_record_bytes = (salt & 3) == 0 ? 200 : 4096;
  limits.max_yaml_nodes = (salt & 12) == 0 ? 50 : 1000;
  limits.max_depth = (salt & 48) == 0 ? 6 : 32;
  const Outcome plain = read_all(std::string(input), limits, salt);

  // The readers take their input in 64 KiB chunks, which fuzz inputs never fill. For one input
  // length in eight, read the input again after blank lines (no record in any of the formats)
  // that put a chunk boundary inside it, at an offset picked from its bytes; the records must
  // be the same, each that many lines further down. (Not for a file that starts with a byte
  // order mark: only the first bytes of a file are taken for one.)
  if (size > 1 && size % 8 == 0 && !starts_with(input, "\xEF\xBB\xBF")) {
    const std::size_t cut = 1 + salt % (size - 1);
    const std::size_t pad = batch::detail::k_chunk_size - cut;
    std::string padded(pad, '\n');
    padded.append(input);
    compare(plain, read_all(padded, limits, salt), pad);
  }
  return 0;
}
