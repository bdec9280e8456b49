// Fault injection: parsing `--faults`, which paths it touches, that its choices repeat for a
// seed, and what a client sees from a real server for each kind of fault.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

#include "sandbox/faults.hpp"
#include "sandbox/server.hpp"
#include "sandbox/tls_certs.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace portal::sandbox;

namespace {

FaultSpec parse_ok(std::string_view text) {
  auto spec = parse_fault_spec(text);
  if (!spec) throw std::runtime_error(spec.error().message);
  return *spec;
}

std::string parse_error(std::string_view text) {
  auto spec = parse_fault_spec(text);
  return spec ? std::string() : spec.error().message;
}

TEST(FaultSpecParse, ReadsEverySetting) {
  auto spec =
      parse_ok("rate=0.1,kinds=429+503+reset+delay,seed=42,paths=/v1/eligibility+/v1/cases");
  EXPECT_DOUBLE_EQ(spec.rate, 0.1);
  EXPECT_EQ(spec.kinds,
            (std::vector<FaultKind>{FaultKind::too_many_requests, FaultKind::unavailable,
                                    FaultKind::reset, FaultKind::delay}));
  EXPECT_EQ(spec.seed, 42u);
  EXPECT_EQ(spec.paths, (std::vector<std::string>{"/v1/eligibility", "/v1/cases"}));
  EXPECT_EQ(fault_spec_text(spec),
            "rate=0.1,kinds=429+503+reset+delay,seed=42,paths=/v1/eligibility+/v1/cases");
  EXPECT_EQ(fault_spec_text(parse_ok(fault_spec_text(spec))), fault_spec_text(spec));
}

TEST(FaultSpecParse, DefaultsToEveryKindAndARandomSeed) {
  auto spec = parse_ok("rate=1");
  EXPECT_EQ(spec.kinds.size(), 7u);
  EXPECT_TRUE(spec.paths.empty());
  EXPECT_EQ(parse_ok(" rate = 0.5 , kinds = all ").kinds.size(), 7u);
  EXPECT_EQ(parse_ok("rate=0.2,kinds=500+truncate+reset-after+500").kinds,
            (std::vector<FaultKind>{FaultKind::internal_error, FaultKind::truncate,
                                    FaultKind::reset_after}));
}

TEST(FaultSpecParse, RefusesWhatItDoesNotKnow) {
  EXPECT_NE(parse_error("").find("NAME=VALUE"), std::string::npos);
  EXPECT_NE(parse_error("kinds=429").find("rate is required"), std::string::npos);
  EXPECT_NE(parse_error("rate=1.5").find("rate must be"), std::string::npos);
  EXPECT_NE(parse_error("rate=-0.1").find("rate must be"), std::string::npos);
  EXPECT_NE(parse_error("rate=ten").find("rate must be"), std::string::npos);
  EXPECT_NE(parse_error("rate=0.1,kinds=429+404").find("unknown fault kind \"404\""),
            std::string::npos);
  EXPECT_NE(parse_error("rate=0.1,kinds=").find("unknown fault kind"), std::string::npos);
  EXPECT_NE(parse_error("rate=0.1,seed=x").find("seed"), std::string::npos);
  EXPECT_NE(parse_error("rate=0.1,paths=v1/cases").find("paths must start with /"),
            std::string::npos);
  EXPECT_NE(parse_error("rate=0.1,color=red").find("unknown setting \"color\""), std::string::npos);
  auto e = parse_fault_spec("rate=2");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, portal::ErrorKind::usage);
  EXPECT_NE(e.error().hint.find("rate=0.1,kinds=429+503+reset,seed=42"), std::string::npos);
}

TEST(FaultPaths, AccountEndpointsAreSparedByDefault) {
  FaultInjector all(parse_ok("rate=1,seed=1"));
  for (const char* p : {"/v1/health", "/v1/auth/login", "/v1/auth/mfa/verify", "/v1/admin/clock",
                        "/v1/admin/accounts/approve", "/v1/registrations",
                        "/v1/email-verifications", "/v1/password-resets", "/v1/organizations"}) {
    EXPECT_FALSE(all.applies_to(p)) << p;
    EXPECT_FALSE(all.next(p)) << p;
  }
  for (const char* p :
       {"/v1/eligibility", "/v1/health-plans", "/v1/profile", "/v1/cases/ORD1/documents"}) {
    EXPECT_TRUE(all.applies_to(p)) << p;
  }
  FaultInjector some(parse_ok("rate=1,paths=/v1/eligibility+/v1/cases/"));
  EXPECT_TRUE(some.applies_to("/v1/eligibility"));
  EXPECT_TRUE(some.applies_to("/v1/cases"));
  EXPECT_TRUE(some.applies_to("/v1/cases/ORD1/documents"));
  EXPECT_FALSE(some.applies_to("/v1/casesearch"));
  EXPECT_FALSE(some.applies_to("/v1/profile"));
  // Explicit paths may include account endpoints.
  EXPECT_TRUE(FaultInjector(parse_ok("rate=1,paths=/v1/auth")).applies_to("/v1/auth/login"));
}

TEST(FaultDecisions, RepeatForASeedAndFollowTheRate) {
  auto spec = parse_ok("rate=0.25,kinds=all,seed=42");
  FaultInjector a(spec), b(spec);
  FaultInjector other(parse_ok("rate=0.25,kinds=all,seed=43"));
  std::map<FaultKind, int> kinds;
  int faults = 0, differences = 0;
  constexpr int k_requests = 20000;
  for (int i = 0; i < k_requests; ++i) {
    auto da = a.next("/v1/eligibility");
    auto db = b.next("/v1/eligibility");
    ASSERT_EQ(da.has_value(), db.has_value()) << i;
    auto dother = other.next("/v1/eligibility");
    if (da.has_value() != dother.has_value()) ++differences;
    if (!da) continue;
    ASSERT_EQ(da->kind, db->kind);
    ASSERT_EQ(da->delay, db->delay);
    ++faults;
    ++kinds[da->kind];
    if (da->kind == FaultKind::delay) {
      EXPECT_GE(da->delay.count(), 200);
      EXPECT_LE(da->delay.count(), 1500);
    } else {
      EXPECT_EQ(da->delay.count(), 0);
    }
  }
  EXPECT_NEAR(faults, k_requests / 4, k_requests / 50);
  EXPECT_EQ(kinds.size(), 7u);
  for (const auto& [kind, n] : kinds)
    EXPECT_NEAR(n, faults / 7, faults / 20) << fault_kind_name(kind);
  EXPECT_GT(differences, k_requests / 10);
  // Requests to spared paths do not move the sequence.
  FaultInjector c(spec);
  c.next("/v1/auth/login");
  for (std::uint64_t n = 0; n < 100; ++n)
    EXPECT_EQ(c.next("/v1/eligibility").has_value(), a.decide(n).has_value());
}

TEST(FaultDecisions, RateZeroNeverRateOneAlways) {
  FaultInjector never(parse_ok("rate=0,seed=7"));
  FaultInjector always(parse_ok("rate=1,kinds=503,seed=7"));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(never.next("/v1/eligibility"));
    auto d = always.next("/v1/eligibility");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, FaultKind::unavailable);
  }
}

// ---- against a real server -----------------------------------------------------------------

using portal::test::TempDir;

struct Exchange {
  std::string answer;             // everything read until the connection ended
  boost::system::error_code end;  // how it ended (eof when cleanly)
  std::chrono::milliseconds elapsed{0};
};

class FaultyServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new TempDir();
    auto paths = ensure_certificates(s_dir->path(), {"localhost", "127.0.0.1"});
    ASSERT_TRUE(paths) << paths.error().message;
    s_paths = *paths;
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }

  void start(const std::string& spec) {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.cert_file = s_paths.server_cert.string();
    o.key_file = s_paths.server_key.string();
    o.threads = 2;
    o.faults = std::make_shared<FaultInjector>(parse_ok(spec));
    auto server = Server::create(o, [this](const HttpRequest&) {
      ++m_calls;
      HttpResponse r;
      r.body = R"({"applied":true,"padding":")" + std::string(200, 'x') + "\"}";
      return r;
    });
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
    m_thread = std::thread([this] { m_server->run(); });
  }

  void TearDown() override {
    if (m_server) {
      m_server->stop();
      m_thread.join();
    }
  }

  // One POST over verified TLS with Connection: close, read until the server ends it.
  Exchange post(const std::string& path) {
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(s_paths.ca_cert.string());
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<asio::ip::tcp::socket> stream(ioc, ctx);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), m_server->port()});
    stream.handshake(asio::ssl::stream_base::client);
    auto t0 = std::chrono::steady_clock::now();
    std::string request = "POST " + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
    asio::write(stream, asio::buffer(request));
    Exchange x;
    asio::read(stream, asio::dynamic_buffer(x.answer), x.end);
    x.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    return x;
  }

  static bool has(const std::string& text, std::string_view what) {
    return text.find(what) != std::string::npos;
  }

  static inline TempDir* s_dir = nullptr;
  static inline CertificatePaths s_paths;
  std::unique_ptr<Server> m_server;
  std::thread m_thread;
  std::atomic<int> m_calls{0};
};

TEST_F(FaultyServer, StatusFaultsAnswerWithoutApplying) {
  start("rate=1,kinds=429,seed=1");
  auto x = post("/v1/eligibility");
  EXPECT_TRUE(has(x.answer, "HTTP/1.1 429")) << x.answer;
  EXPECT_TRUE(has(x.answer, "Retry-After: 1"));
  EXPECT_TRUE(has(x.answer, "X-Sandbox-Fault: 429"));
  EXPECT_TRUE(has(x.answer, "\"code\":\"rate_limited\""));
  EXPECT_EQ(m_calls.load(), 0);
  // Spared paths are served.
  auto login = post("/v1/auth/login");
  EXPECT_TRUE(has(login.answer, "HTTP/1.1 200")) << login.answer;
  EXPECT_EQ(m_calls.load(), 1);
}

TEST_F(FaultyServer, ServiceUnavailableAndInternalError) {
  start("rate=1,kinds=503,seed=1");
  auto x = post("/v1/cases");
  EXPECT_TRUE(has(x.answer, "HTTP/1.1 503")) << x.answer;
  EXPECT_TRUE(has(x.answer, "Retry-After: 1"));
  EXPECT_EQ(m_calls.load(), 0);
}

TEST_F(FaultyServer, InternalErrorIsA500) {
  start("rate=1,kinds=500,seed=1");
  auto x = post("/v1/cases");
  EXPECT_TRUE(has(x.answer, "HTTP/1.1 500")) << x.answer;
  EXPECT_FALSE(has(x.answer, "Retry-After"));
  EXPECT_EQ(m_calls.load(), 0);
}

TEST_F(FaultyServer, ResetDropsTheConnectionBeforeApplying) {
  start("rate=1,kinds=reset,seed=1");
  auto x = post("/v1/eligibility");
  EXPECT_EQ(x.answer, "");
  EXPECT_TRUE(x.end) << "the connection should end in an error";
  EXPECT_NE(x.end, boost::asio::error::eof);
  EXPECT_EQ(m_calls.load(), 0);
}

TEST_F(FaultyServer, ResetAfterAppliesThenDropsTheConnection) {
  start("rate=1,kinds=reset-after,seed=1");
  auto x = post("/v1/eligibility");
  EXPECT_EQ(x.answer, "");
  EXPECT_TRUE(x.end);
  EXPECT_EQ(m_calls.load(), 1);
}

TEST_F(FaultyServer, DelayAnswersLate) {
  start("rate=1,kinds=delay,seed=1");
  auto x = post("/v1/eligibility");
  EXPECT_TRUE(has(x.answer, "HTTP/1.1 200")) << x.answer;
  EXPECT_TRUE(has(x.answer, "\"applied\":true"));
  EXPECT_GE(x.elapsed.count(), 200);
  EXPECT_EQ(m_calls.load(), 1);
}

TEST_F(FaultyServer, TruncateSendsHalfAnAnswer) {
  start("rate=1,kinds=truncate,seed=1");
  auto x = post("/v1/eligibility");
  EXPECT_TRUE(has(x.answer, "HTTP/1.1 200")) << x.answer;
  auto header_end = x.answer.find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos);
  auto length_at = x.answer.find("Content-Length: ");
  ASSERT_NE(length_at, std::string::npos);
  auto declared = std::stoul(x.answer.substr(length_at + 16));
  auto received = x.answer.size() - header_end - 4;
  EXPECT_GT(received, 0u);
  EXPECT_LT(received, declared);
  EXPECT_TRUE(x.end);  // no TLS close_notify: the stream was cut
  EXPECT_EQ(m_calls.load(), 1);
}

}  // namespace
