// Where a run's results go: one line per row, in input order (private to the batch runner).
#pragma once
#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serializer.hpp>

#include "portal/batch/runner.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/error.hpp"

namespace portal::batch::detail {

// The columns every result line has, before the answer's (CSV order).
inline constexpr std::array<const char*, 7> k_result_fixed = {
    "line", "ref", "outcome", "http_status", "code", "message", "errors"};

// Results: one line per row, in input order, to a file written aside (FILE.part), fsync-ed and
// renamed at the end (so the next system never reads half a file), or to stdout.
class ResultsSink {
 public:
  ResultsSink(const Operation& op, const RunOptions& options, std::ostream& fallback);

  // Opens the results file (FILE.part) or readies `fallback`, and writes the CSV header.
  Expected<void> open();

  // Whether the results are CSV (JSON Lines otherwise).
  bool csv() const { return m_csv; }

  // Writes the result `r`; `text`, when given, is `r` serialized already (JSON Lines use it).
  void write(const boost::json::object& r, const std::string* text = nullptr);

  // Makes the results file visible under its name (only when the run wrote every row).
  Expected<void> commit();

  // A run that stopped early leaves no results file: --resume writes the whole one.
  void abandon();

 private:
  // The CSV text of result `r`'s column number `column`.
  std::string cell(const boost::json::object& r, std::size_t column) const;
  // The result with only the --fields columns (JSON Lines).
  boost::json::object chosen(const boost::json::object& r) const;

  std::vector<std::string> m_fields;   // --fields (empty: every column)
  std::vector<std::string> m_columns;  // the columns written: --fields, or every one
  std::vector<int> m_fixed;            // per column: its index in k_result_fixed, or -1 (answer)
  std::string m_chosen;
  std::filesystem::path m_path;
  static constexpr std::size_t k_file_buffer = 256 * 1024;  // fewer, larger writes
  std::unique_ptr<AtomicFile> m_file;
  std::ostream* m_out;
  boost::json::serializer m_serializer;
  char m_text[4096];
  bool m_csv = false;
};

}  // namespace portal::batch::detail
