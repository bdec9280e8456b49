// --metrics FILE: what one run measured, in the Prometheus text exposition format, for
// node-exporter's textfile collector. Memory stays fixed whatever the number of requests.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::metrics {

// Request latencies: exact counts for Prometheus's histogram buckets, plus 2 %-wide log-spaced
// buckets from 0.1 ms to about 3 h for quantiles accurate within 2 % in fixed memory.
class Latencies {
 public:
  Latencies();
  void add(double seconds);
  std::uint64_t count() const { return m_count; }
  double sum() const { return m_sum; }
  // The q-quantile (0 < q <= 1) within 2 %; 0 when nothing was measured.
  double quantile(double q) const;
  // The upper bounds of the histogram buckets (seconds), +Inf excepted.
  static const std::vector<double>& bucket_bounds();
  // Observations at most bucket_bounds()[i], cumulative.
  std::uint64_t cumulative(std::size_t i) const;

 private:
  std::vector<std::uint64_t> m_fine;
  std::vector<std::uint64_t> m_buckets;
  std::uint64_t m_count = 0;
  double m_sum = 0;
};

// The labels and end of one run.
struct RunInfo {
  std::string profile;
  std::string command;
  std::string run_id;
  std::string version;
  double duration_seconds = 0;
  int exit_code = 0;
  double end_timestamp = 0;  // Unix seconds
  // When a run last finished its work (exit 0 or 1); nullopt: never (written as 0).
  std::optional<double> last_success;
};

// The counters of one run. Thread-safe.
class Registry {
 public:
  // One HTTP attempt and how long it took; status 0 when there was no answer.
  void request(double seconds, int status);
  void retry() { ++m_retries; }
  // Rows of a batch (or single records) that came to `outcome` (ok, rejected, invalid, failed).
  void rows(std::string_view outcome, std::uint64_t n);
  void waited(double seconds);

  // The exposition text: HELP and TYPE before each family, every sample labelled with the
  // profile and command.
  std::string render(const RunInfo& run) const;

 private:
  mutable std::mutex m_mutex;
  Latencies m_latencies;
  std::array<std::uint64_t, 4> m_codes{};  // 2xx, 4xx, 5xx, error (others count as error)
  std::array<std::uint64_t, 4> m_rows{};   // ok, rejected, invalid, failed
  std::atomic<std::uint64_t> m_retries{0};
  double m_waited = 0;
};

// `value` escaped for a label value in the exposition format (\\, \", \n).
std::string escape_label(std::string_view value);

// The provportal_last_success_timestamp_seconds that an earlier file at `path` gave for this
// profile and command; nullopt when there is none.
std::optional<double> last_success_in(const std::filesystem::path& path, std::string_view profile,
                                      std::string_view command);

// Writes `text` to `path` atomically: PATH.part (0644, readable by the collector), fsync, rename.
Expected<void> write_file(const std::filesystem::path& path, std::string_view text);

}  // namespace portal::metrics
