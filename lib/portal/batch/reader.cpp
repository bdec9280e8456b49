#include "portal/batch/reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "portal/batch/reader_detail.hpp"
#include "portal/util/strings.hpp"

namespace portal::batch {

namespace {}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  const std::string n = util::lower(name);
  if (n == "csv") return Format::csv;
  if (n == "yaml" || n == "yml") return Format::yaml;
  if (n == "jsonl" || n == "ndjson") return Format::jsonl;
  return std::nullopt;
}

Expected<Format> format_of(const std::filesystem::path& path) {
  const std::string shown = path.string();
  const std::string hint = "Pass --batch-format csv, --batch-format yaml or --batch-format jsonl.";
  if (shown == "-") {
    return fail(ErrorKind::usage, "cannot tell the format of a batch read from stdin", hint);
  }
  std::string ext = path.extension().string();
  if (!ext.empty()) ext.erase(0, 1);  // the dot
  if (auto format = parse_format(ext)) return *format;
  if (util::lower(ext) == "json") {
    return fail(ErrorKind::usage,
                "cannot tell the format of '" + shown +
                    "': a .json file is not a batch format (batches are JSON Lines: one object "
                    "per line)",
                "Rename it .jsonl if it holds one object per line, or pass --batch-format jsonl.");
  }
  return fail(ErrorKind::usage,
              "cannot tell the format of '" + shown +
                  "' from its extension (expected .csv, .yaml, .yml, .jsonl or .ndjson)",
              hint);
}

std::unique_ptr<RecordReader> make_reader(Format format, std::istream& in, std::string name,
                                          ReaderLimits limits) {
  switch (format) {
    case Format::csv:
      return detail::make_csv_reader(in, std::move(name), limits);
    case Format::yaml:
      return detail::make_yaml_reader(in, std::move(name), limits);
    case Format::jsonl:
      return detail::make_jsonl_reader(in, std::move(name), limits);
  }
  return nullptr;
}

namespace detail {

ChunkedInput::ChunkedInput(std::istream& in, std::size_t chunk_size)
    : m_in(in), m_chunk_size(chunk_size), m_buf(new char[chunk_size]) {
  m_pos = m_end = m_buf.get();
}

bool ChunkedInput::refill() {
  if (m_eof) return false;
  m_base += static_cast<std::uint64_t>(m_end - m_buf.get());
  // istream::read waits for a whole chunk (or the end): fine for files and pipes alike, and it
  // keeps the number of calls per row negligible.
  m_in.read(m_buf.get(), static_cast<std::streamsize>(m_chunk_size));
  const auto n = static_cast<std::size_t>(m_in.gcount());
  if (m_in.bad()) m_failed = true;
  if (n < m_chunk_size) m_eof = true;
  m_pos = m_buf.get();
  m_end = m_pos + n;
  if (!m_started) {
    m_started = true;
    if (n >= 3 && std::memcmp(m_pos, "\xEF\xBB\xBF", 3) == 0) m_pos += 3;
  }
  return m_pos != m_end;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Batch files are mostly ASCII: test eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i == n) break;
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The table of well-formed byte sequences of the Unicode standard (table 3-7).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = 3;
    } else if (c == 0xED) {
      len = 3, hi = 0x9F;
    } else if (c == 0xF0) {
      len = 4, lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::nullopt;
}

std::string describe_size(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string too_long_problem(std::size_t line, std::size_t limit) {
  return "line " + std::to_string(line) + ": the record is longer than " + describe_size(limit) +
         "; it was skipped";
}

}  // namespace detail

}  // namespace portal::batch
