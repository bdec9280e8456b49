// The runner's hooks for unattended runs, against a real HTTPS server on loopback: the observer
// sees every attempt and every request, --wait pauses the run through a long Retry-After instead
// of stopping it, and a token another job renewed is taken up after a 401.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "portal/api/outage_wait.hpp"
#include "portal/batch/reader.hpp"
#include "portal/batch/runner.hpp"
#include "provportal/exit_code.hpp"
#include "sandbox/server.hpp"
#include "sandbox/tls_certs.hpp"
#include "temp_dir.hpp"

namespace json = boost::json;
using namespace portal;
using namespace portal::batch;
using namespace std::chrono_literals;

namespace {

using portal::test::TempDir;

// Answers 200 to the accepted token; 503 with Retry-After: 2 while `down_until` is ahead.
struct Portal {
  std::mutex mutex;
  std::string accepted = "token-1";
  std::chrono::steady_clock::time_point down_until{};
  std::atomic<int> requests{0}, refusals{0};

  sandbox::HttpResponse handle(const sandbox::HttpRequest& req) {
    ++requests;
    sandbox::HttpResponse res;
    std::lock_guard lock(mutex);
    if (req.header("authorization") != "Bearer " + accepted) {
      res.status = 401;
      res.body = R"({"error":{"code":"session_invalid","message":"log in"}})";
      return res;
    }
    if (std::chrono::steady_clock::now() < down_until) {
      ++refusals;
      res.status = 503;
      res.headers.emplace_back("Retry-After", "2");
      res.body = R"({"error":{"code":"maintenance","message":"down for maintenance"}})";
      return res;
    }
    res.body = R"({"status":"active"})";
    return res;
  }
};

struct Recorder final : http::Observer {
  std::mutex mutex;
  int exchanges = 0, retries = 0;
  std::vector<std::string> requests;  // "line ref input status sha"
  void exchange(const http::ExchangeEvent& e) override {
    std::lock_guard lock(mutex);
    ++exchanges;
    EXPECT_GE(e.elapsed.count(), 0.0);
  }
  void retried() override {
    std::lock_guard lock(mutex);
    ++retries;
  }
  void request_done(const http::RequestEvent& e) override {
    std::lock_guard lock(mutex);
    requests.push_back(
        std::to_string(e.line) + " " + std::string(e.ref) + " " + std::string(e.input) + " " +
        std::to_string(e.response ? e.response->status : 0) + " " + e.body_sha256.substr(0, 8));
  }
};

class RunnerHooks : public ::testing::Test {
 protected:
  void SetUp() override {
    stop_flag() = false;
    auto certs = sandbox::ensure_certificates(m_dir.path() / "tls", {"127.0.0.1"});
    ASSERT_TRUE(certs) << certs.error().message;
    sandbox::ServerOptions o;
    o.cert_file = certs->server_cert.string();
    o.key_file = certs->server_key.string();
    auto server = sandbox::Server::create(
        o, [this](const sandbox::HttpRequest& r) { return m_portal.handle(r); });
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
    m_thread = std::thread([this] { m_server->run(); });
    m_transport.token = "token-1";
    http::ClientOptions co;
    co.base_url = "https://127.0.0.1:" + std::to_string(m_server->port());
    co.tls.ca_file = certs->ca_cert.string();
    m_transport.connect = [co] { return http::Client::create(co); };
  }
  void TearDown() override {
    stop_flag() = false;
    m_server->stop();
    m_thread.join();
  }

  Summary run(int n, RunOptions options) {
    std::string input;
    for (int i = 1; i <= n; ++i) {
      input += json::serialize(json::object{{"ref", "r" + std::to_string(i)},
                                            {"member_id", "ACM" + std::to_string(100000 + i)},
                                            {"first_name", "Ann"},
                                            {"last_name", "Lee"},
                                            {"date_of_birth", "1970-01-01"},
                                            {"health_plan", "acme-commercial"},
                                            {"provider_npi", "1234567893"},
                                            {"service_date", "2026-11-16"}}) +
               "\n";
    }
    std::istringstream in(input);
    auto reader = make_reader(Format::jsonl, in, "rows.jsonl");
    Operation op;
    op.name = "eligibility";
    op.schema = "eligibility";
    op.target = "/v1/eligibility";
    options.journal = m_dir.path() / ("journal" + std::to_string(++m_runs) + ".db");
    options.input_name = "rows.jsonl";
    options.base_delay = 1ms;
    std::ostringstream out, err;
    auto s = run_batch(op, *reader, m_transport, options, out, err);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    m_results = out.str();
    return s ? *s : Summary{};
  }

  TempDir m_dir;
  Portal m_portal;
  std::unique_ptr<sandbox::Server> m_server;
  std::thread m_thread;
  Transport m_transport;
  std::string m_results;
  int m_runs = 0;
};

}  // namespace

TEST_F(RunnerHooks, TheObserverSeesEveryAttemptAndEveryRequest) {
  Recorder rec;
  RunOptions o;
  o.concurrency = 3;
  o.observer = &rec;
  auto s = run(5, o);
  EXPECT_EQ(s.ok, 5u);
  EXPECT_EQ(rec.exchanges, 5);
  EXPECT_EQ(rec.retries, 0);
  ASSERT_EQ(rec.requests.size(), 5u);
  std::sort(rec.requests.begin(), rec.requests.end());
  EXPECT_EQ(rec.requests[0].substr(0, 20), "1 r1 rows.jsonl 200 ") << rec.requests[0];
  EXPECT_EQ(rec.requests[0].size(), 28u) << "a SHA-256 of the body";
}

TEST_F(RunnerHooks, WithoutWaitALongRetryAfterStopsTheRun) {
  m_portal.down_until = std::chrono::steady_clock::now() + 60s;
  RunOptions o;
  o.max_delay = 500ms;  // Retry-After: 2 is "long"
  auto s = run(4, o);
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &s}), 5);
  EXPECT_NE(s.fatal->hint.find("--resume"), std::string::npos) << s.fatal->hint;
}

TEST_F(RunnerHooks, WithWaitEveryConnectionPausesAndTheRowsGoOn) {
  m_portal.down_until = std::chrono::steady_clock::now() + 1500ms;
  api::WaitOptions wo;
  wo.max_wait = 60s;
  api::OutageWait wait(wo);
  Recorder rec;
  RunOptions o;
  o.concurrency = 4;
  o.max_delay = 500ms;
  o.max_attempts = 1;  // waiting must not use up an attempt
  o.outage = &wait;
  o.observer = &rec;
  auto t = std::chrono::steady_clock::now();
  auto s = run(12, o);
  EXPECT_FALSE(s.fatal) << s.fatal->message;
  EXPECT_EQ(s.ok, 12u);
  EXPECT_GE(std::chrono::steady_clock::now() - t, 1900ms);
  EXPECT_GE(wait.waited().count(), 1.9);
  // One wait for the run: the connections that met the outage joined it, the others paused.
  EXPECT_LE(m_portal.refusals.load(), 4);
  EXPECT_EQ(rec.retries, m_portal.refusals.load());
}

TEST_F(RunnerHooks, WithWaitAnOutageBeyondTheBoundStopsAtOnce) {
  m_portal.down_until = std::chrono::steady_clock::now() + 60s;
  api::WaitOptions wo;
  wo.max_wait = 1s;
  api::OutageWait wait(wo);
  RunOptions o;
  o.max_delay = 500ms;
  o.outage = &wait;
  auto t = std::chrono::steady_clock::now();
  auto s = run(4, o);
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &s}), 5);
  EXPECT_NE(s.fatal->message.find("--max-wait"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t, 3s);  // not the 60 s the portal announced
}

TEST_F(RunnerHooks, ATokenRenewedByAnotherJobIsTakenUpAfterA401) {
  m_portal.accepted = "token-2";  // another job refreshed the session: token-1 is revoked
  std::atomic<int> renewals{0};
  RunOptions o;
  o.concurrency = 4;
  auto s = run(8, o);
  ASSERT_TRUE(s.fatal) << "without renew, a 401 stops the run";
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &s}), 4);

  m_transport.renew = [&](const std::string& rejected) -> std::optional<std::string> {
    ++renewals;
    EXPECT_EQ(rejected, "token-1");
    return std::string("token-2");
  };
  s = run(8, o);
  EXPECT_FALSE(s.fatal);
  EXPECT_EQ(s.ok, 8u);
  EXPECT_EQ(renewals.load(), 1) << "one renewal for every connection";

  // A cache that holds the same rejected token: nothing to go on with.
  m_portal.accepted = "token-3";
  m_transport.renew = [](const std::string& rejected) -> std::optional<std::string> {
    return rejected;
  };
  m_transport.token = "token-2";
  s = run(3, o);
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &s}), 4);
}
