// --metrics: quantiles in fixed memory, the exposition text, the last success kept across runs
// and the atomic write.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "portal/log/metrics.hpp"
#include "temp_dir.hpp"

using namespace portal;
using portal::test::TempDir;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

metrics::RunInfo run_info() {
  metrics::RunInfo r;
  r.profile = "night\"ly";
  r.command = "check-eligibility";
  r.run_id = "0123456789abcdef";
  r.version = "0.1.0";
  r.duration_seconds = 12.5;
  r.exit_code = 1;
  r.end_timestamp = 1795000000.25;
  r.last_success = 1795000000.25;
  return r;
}

}  // namespace

TEST(Latencies, QuantilesAreWithinTwoPercent) {
  metrics::Latencies l;
  EXPECT_EQ(l.quantile(0.5), 0.0);
  std::mt19937 rng(1);
  std::vector<double> values;
  std::lognormal_distribution<double> dist(-3.0, 1.0);
  for (int i = 0; i < 20000; ++i) {
    values.push_back(dist(rng));
    l.add(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99}) {
    double exact = values[static_cast<std::size_t>(std::ceil(q * values.size())) - 1];
    EXPECT_NEAR(l.quantile(q), exact, exact * 0.021) << "q=" << q;
  }
  EXPECT_EQ(l.count(), 20000u);
  // The histogram buckets are exact and cumulative.
  const auto& bounds = metrics::Latencies::bucket_bounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    auto want = std::upper_bound(values.begin(), values.end(), bounds[i]) - values.begin();
    EXPECT_EQ(l.cumulative(i), static_cast<std::uint64_t>(want)) << "le=" << bounds[i];
  }
}

TEST(Latencies, ExtremesStayInRange) {
  metrics::Latencies l;
  l.add(0);
  l.add(-1);
  l.add(1e9);
  EXPECT_EQ(l.count(), 3u);
  EXPECT_GT(l.quantile(1.0), 1000.0);
  EXPECT_LE(l.quantile(0.1), 1e-4);
}

TEST(MetricsRegistry, RendersEveryFamilyWithHelpTypeAndLabels) {
  metrics::Registry reg;
  reg.request(0.020, 200);
  reg.request(0.040, 201);
  reg.request(0.5, 503);
  reg.request(1.5, 0);
  reg.request(0.1, 422);
  reg.retry();
  reg.retry();
  reg.rows("ok", 3);
  reg.rows("invalid", 1);
  reg.rows("nonsense", 9);
  reg.waited(61.5);
  std::string text = reg.render(run_info());
  const std::string labels = R"(profile="night\"ly",command="check-eligibility")";
  for (const char* line :
       {"provportal_rows_total{%L,outcome=\"ok\"} 3",
        "provportal_rows_total{%L,outcome=\"invalid\"} 1",
        "provportal_rows_total{%L,outcome=\"failed\"} 0",
        "provportal_requests_total{%L,code=\"2xx\"} 2",
        "provportal_requests_total{%L,code=\"5xx\"} 1",
        "provportal_requests_total{%L,code=\"4xx\"} 1",
        "provportal_requests_total{%L,code=\"error\"} 1", "provportal_retries_total{%L} 2",
        "provportal_request_duration_seconds_bucket{%L,le=\"0.025\"} 1",
        "provportal_request_duration_seconds_bucket{%L,le=\"+Inf\"} 5",
        "provportal_request_duration_seconds_count{%L} 5",
        "provportal_request_latency_seconds_count{%L} 5", "provportal_wait_seconds_total{%L} 61.5",
        "provportal_run_duration_seconds{%L} 12.5", "provportal_last_run_exit_code{%L} 1",
        "provportal_last_run_timestamp_seconds{%L} 1795000000.25",
        "provportal_last_success_timestamp_seconds{%L} 1795000000.25",
        "provportal_run_info{%L,run_id=\"0123456789abcdef\",version=\"0.1.0\"} 1"}) {
    std::string want = std::regex_replace(line, std::regex("%L"), labels);
    EXPECT_NE(text.find(want + "\n"), std::string::npos) << want << "\n" << text;
  }
  // HELP and TYPE once per family, TYPE right after HELP.
  std::istringstream in(text);
  std::string prev;
  int families = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      ++families;
      EXPECT_EQ(prev.rfind("# HELP " + line.substr(7, line.find(' ', 7) - 7) + " ", 0), 0u) << line;
    }
    prev = line;
  }
  EXPECT_EQ(families, 11);
  EXPECT_NE(text.find("# TYPE provportal_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE provportal_request_latency_seconds summary\n"), std::string::npos);
  EXPECT_NE(text.find("quantile=\"0.99\""), std::string::npos);
}

TEST(MetricsRegistry, NeverSucceededIsZero) {
  metrics::Registry reg;
  auto run = run_info();
  run.last_success.reset();
  EXPECT_NE(reg.render(run).find("provportal_last_success_timestamp_seconds{"), std::string::npos);
  EXPECT_NE(reg.render(run).find("check-eligibility\"} 0\n"), std::string::npos);
}

TEST(MetricsFile, WrittenAtomicallyAndTheLastSuccessReadBack) {
  TempDir dir;
  auto path = dir.path() / "provportal.prom";
  metrics::Registry reg;
  auto run = run_info();
  ASSERT_TRUE(metrics::write_file(path, reg.render(run)));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "provportal.prom.part"));
  EXPECT_EQ(read(path), reg.render(run));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0644));
  auto got = metrics::last_success_in(path, "night\"ly", "check-eligibility");
  ASSERT_TRUE(got);
  EXPECT_DOUBLE_EQ(*got, 1795000000.25);
  EXPECT_FALSE(metrics::last_success_in(path, "night\"ly", "whoami"));
  EXPECT_FALSE(metrics::last_success_in(path, "other", "check-eligibility"));
  EXPECT_FALSE(metrics::last_success_in(dir.path() / "missing.prom", "p", "c"));
  EXPECT_FALSE(metrics::write_file(dir.path() / "no" / "such" / "dir.prom", "x"));
}

TEST(MetricsLabels, AreEscaped) {
  EXPECT_EQ(metrics::escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}
