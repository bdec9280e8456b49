#include "portal/log/metrics.hpp"

#include "portal/util/atomic_file.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace portal::metrics {

namespace {

constexpr double k_fine_min = 1e-4;  // seconds
constexpr double k_fine_ratio = 1.02;
constexpr std::size_t k_fine_count = 940;  // 1e-4 s * 1.02^940 is about 1.2 * 10^4 s

std::size_t fine_index(double seconds) {
  if (!(seconds > k_fine_min)) return 0;
  auto i = static_cast<std::size_t>(std::log(seconds / k_fine_min) / std::log(k_fine_ratio)) + 1;
  return std::min(i, k_fine_count - 1);
}

// The value a fine bucket stands for: the geometric middle of its bounds.
double fine_value(std::size_t i) {
  if (i == 0) return k_fine_min;
  return k_fine_min * std::pow(k_fine_ratio, static_cast<double>(i) - 0.5);
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

std::string number(std::uint64_t v) { return std::to_string(v); }

constexpr const char* k_outcomes[] = {"ok", "rejected", "invalid", "failed"};
constexpr const char* k_codes[] = {"2xx", "4xx", "5xx", "error"};

}  // namespace

Latencies::Latencies() : m_fine(k_fine_count, 0), m_buckets(bucket_bounds().size(), 0) {}

const std::vector<double>& Latencies::bucket_bounds() {
  static const std::vector<double> k_bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                               1,     2.5,  5,     10,   30,  60,   120};
  return k_bounds;
}

void Latencies::add(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  ++m_count;
  m_sum += seconds;
  ++m_fine[fine_index(seconds)];
  const auto& bounds = bucket_bounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (seconds <= bounds[i]) {
      ++m_buckets[i];
      break;
    }
  }
}

std::uint64_t Latencies::cumulative(std::size_t i) const {
  std::uint64_t n = 0;
  for (std::size_t j = 0; j <= i && j < m_buckets.size(); ++j) n += m_buckets[j];
  return n;
}

double Latencies::quantile(double q) const {
  if (m_count == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(m_count)));
  rank = std::clamp<std::uint64_t>(rank, 1, m_count);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < m_fine.size(); ++i) {
    seen += m_fine[i];
    if (seen >= rank) return fine_value(i);
  }
  return fine_value(m_fine.size() - 1);
}

void Registry::request(double seconds, int status) {
  std::lock_guard lock(m_mutex);
  m_latencies.add(seconds);
  std::size_t c = status >= 200 && status < 300   ? 0
                  : status >= 400 && status < 500 ? 1
                  : status >= 500 && status < 600 ? 2
                                                  : 3;
  ++m_codes[c];
}

void Registry::rows(std::string_view outcome, std::uint64_t n) {
  std::lock_guard lock(m_mutex);
  for (std::size_t i = 0; i < 4; ++i) {
    if (outcome == k_outcomes[i]) m_rows[i] += n;
  }
}

void Registry::waited(double seconds) {
  std::lock_guard lock(m_mutex);
  m_waited += seconds;
}

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Registry::render(const RunInfo& run) const {
  std::lock_guard lock(m_mutex);
  const std::string base =
      "profile=\"" + escape_label(run.profile) + "\",command=\"" + escape_label(run.command) + "\"";
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto sample = [&](const std::string& name, const std::string& extra, const std::string& value) {
    out += name + "{" + base + (extra.empty() ? "" : "," + extra) + "} " + value + "\n";
  };

  family("provportal_rows_total", "counter",
         "Rows of this run (batch rows and single records) by outcome.");
  for (std::size_t i = 0; i < 4; ++i) {
    sample("provportal_rows_total", std::string("outcome=\"") + k_outcomes[i] + "\"",
           number(m_rows[i]));
  }
  family("provportal_requests_total", "counter",
         "HTTP attempts of this run by status class (error: no answer).");
  for (std::size_t i = 0; i < 4; ++i) {
    sample("provportal_requests_total", std::string("code=\"") + k_codes[i] + "\"",
           number(m_codes[i]));
  }
  family("provportal_retries_total", "counter",
         "Requests sent again after a 429, a 5xx, a connection fault or a wait (--wait).");
  sample("provportal_retries_total", "", number(m_retries.load()));

  family("provportal_request_duration_seconds", "histogram", "Duration of each HTTP attempt.");
  const auto& bounds = Latencies::bucket_bounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    sample("provportal_request_duration_seconds_bucket", "le=\"" + number(bounds[i]) + "\"",
           number(m_latencies.cumulative(i)));
  }
  sample("provportal_request_duration_seconds_bucket", "le=\"+Inf\"", number(m_latencies.count()));
  sample("provportal_request_duration_seconds_sum", "", number(m_latencies.sum()));
  sample("provportal_request_duration_seconds_count", "", number(m_latencies.count()));

  family("provportal_request_latency_seconds", "summary",
         "Quantiles of the duration of each HTTP attempt in this run (within 2 %).");
  for (double q : {0.5, 0.9, 0.99}) {
    sample("provportal_request_latency_seconds", "quantile=\"" + number(q) + "\"",
           number(m_latencies.quantile(q)));
  }
  sample("provportal_request_latency_seconds_sum", "", number(m_latencies.sum()));
  sample("provportal_request_latency_seconds_count", "", number(m_latencies.count()));

  family("provportal_wait_seconds_total", "counter",
         "Time this run spent waiting for the portal to come back (--wait).");
  sample("provportal_wait_seconds_total", "", number(m_waited));
  family("provportal_run_duration_seconds", "gauge", "How long the last run took.");
  sample("provportal_run_duration_seconds", "", number(run.duration_seconds));
  family("provportal_last_run_exit_code", "gauge",
         "Exit code of the last run (see provportal --help).");
  sample("provportal_last_run_exit_code", "", number(static_cast<double>(run.exit_code)));
  family("provportal_last_run_timestamp_seconds", "gauge", "When the last run ended (Unix time).");
  sample("provportal_last_run_timestamp_seconds", "", number(run.end_timestamp));
  family("provportal_last_success_timestamp_seconds", "gauge",
         "When a run last finished its work, exit code 0 or 1 (Unix time; 0: never).");
  sample("provportal_last_success_timestamp_seconds", "", number(run.last_success.value_or(0.0)));
  family("provportal_run_info", "gauge",
         "The last run's ID (as in its JSON logs and audit entries) and version.");
  sample(
      "provportal_run_info",
      "run_id=\"" + escape_label(run.run_id) + "\",version=\"" + escape_label(run.version) + "\"",
      "1");
  return out;
}

std::optional<double> last_success_in(const std::filesystem::path& path, std::string_view profile,
                                      std::string_view command) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const std::string prefix = "provportal_last_success_timestamp_seconds{profile=\"" +
                             escape_label(profile) + "\",command=\"" + escape_label(command) +
                             "\"}";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string_view value(line);
    value.remove_prefix(prefix.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    double v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec == std::errc() && v > 0) return v;
    return std::nullopt;
  }
  return std::nullopt;
}

Expected<void> write_file(const std::filesystem::path& path, std::string_view text) {
  auto written = write_file_atomically(path, text, {.mode = 0644});
  if (!written) {
    return fail(ErrorKind::input,
                "cannot write the metrics file " + path.string() + ": " + written.error().message);
  }
  return {};
}

}  // namespace portal::metrics
