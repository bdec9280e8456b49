// The batch engine against a real HTTPS server on loopback: order and completeness of results,
// retries with Retry-After, idempotency keys, invalid rows, shards, the journal and --resume.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "portal/batch/journal.hpp"
#include "portal/batch/reader.hpp"
#include "portal/batch/rows.hpp"
#include "portal/batch/runner.hpp"
#include "provportal/exit_code.hpp"
#include "sandbox/server.hpp"
#include "sandbox/tls_certs.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::batch;

namespace {

using portal::test::TempDir;

// A portal stand-in that applies each idempotency key once, replays it afterwards, and answers
// the first attempt of every third row with 503 + Retry-After: 0.
struct FakePortal {
  std::mutex mutex;
  std::map<std::string, int> applied;         // key -> times the handler applied it
  std::map<std::string, std::string> stored;  // key -> answer
  std::map<std::string, int> attempts;
  std::atomic<int> requests{0};
  int stop_after = -1;  // set the runner's stop flag after this many applications
  // Answers spelled as a portal might: odd rows with spaces around and an escaped letter, even
  // rows pretty-printed over several lines.
  bool spelled = false;
  bool flaky = true;  // the 503 of every third row's first attempt
  // Every fourth row's first attempt answered 200 "busy" (an X12 AAA 42's shape); every first
  // attempt answered only after this long (a receiver slower than the client's timeout).
  bool busy_first = false;
  std::chrono::milliseconds slow_first{0};
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> arrivals;

  sandbox::HttpResponse handle(const sandbox::HttpRequest& req) {
    ++requests;
    sandbox::HttpResponse res;
    if (req.header("authorization") != "Bearer token-1") {
      res.status = 401;
      res.body = R"({"error":{"code":"session_invalid","message":"log in"}})";
      return res;
    }
    auto key = req.header("idempotency-key");
    auto body = json::parse(req.body).as_object();
    std::unique_lock lock(mutex);
    int n = ++attempts[key];
    arrivals[key].push_back(std::chrono::steady_clock::now());
    int row = std::stoi(std::string(body.at("member_id").as_string()).substr(3));
    if (slow_first.count() > 0 && n == 1) {
      lock.unlock();
      std::this_thread::sleep_for(slow_first);
      lock.lock();
    }
    if (busy_first && row % 4 == 0 && n == 1) {
      res.body = R"({"status":"busy"})";
      return res;
    }
    if (flaky && row % 3 == 0 && n == 1) {
      res.status = 503;
      res.headers.emplace_back("Retry-After", "0");
      res.body = R"({"error":{"code":"unavailable","message":"busy"}})";
      return res;
    }
    if (auto it = stored.find(key); it != stored.end()) {
      res.headers.emplace_back("Idempotent-Replayed", "true");
      res.body = it->second;
      return res;
    }
    ++applied[key];
    if (body.at("last_name").as_string() == "Nobody") {
      res.status = 422;
      res.body = R"({"error":{"code":"eligibility_rejected","message":"subscriber not found"}})";
    } else if (spelled && row % 2 == 1) {
      res.body = "  {\"status\":\"active\",\"member_id\":" + json::serialize(body.at("member_id")) +
                 ",\"name\":\"Jos\\u00e9\"} \r\n";
    } else if (spelled) {
      res.body = "{\n  \"status\": \"active\",\n  \"member_id\": " +
                 json::serialize(body.at("member_id")) + "\n}\n";
    } else {
      res.body =
          json::serialize(json::object{{"status", "active"}, {"member_id", body.at("member_id")}});
    }
    stored[key] = res.body;
    if (stop_after > 0 && static_cast<int>(applied.size()) == stop_after) stop_flag() = true;
    return res;
  }
};

class BatchRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    stop_flag() = false;
    auto certs = sandbox::ensure_certificates(m_dir.path() / "tls", {"127.0.0.1"});
    ASSERT_TRUE(certs) << certs.error().message;
    m_ca = certs->ca_cert.string();
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
    co.tls.ca_file = m_ca;
    m_transport.connect = [co] { return http::Client::create(co); };
  }
  void TearDown() override {
    stop_flag() = false;
    m_server->stop();
    m_thread.join();
  }

  // n rows of JSON Lines; every 7th row is invalid (bad NPI), every 10th is rejected.
  std::string rows(int n) {
    std::string out;
    for (int i = 1; i <= n; ++i) {
      json::object r{{"member_id", "ACM" + std::to_string(100000 + i)},
                     {"first_name", "Ann"},
                     {"last_name", i % 10 == 0 ? "Nobody" : "Lee"},
                     {"date_of_birth", "1970-01-01"},
                     {"health_plan", "acme-commercial"},
                     {"provider_npi", i % 7 == 0 ? "1234567890" : "1234567893"},
                     {"service_date", "2026-11-16"}};
      out += json::serialize(r) + "\n";
    }
    return out;
  }

  Operation op() {
    Operation o;
    o.name = "eligibility";
    o.schema = "eligibility";
    o.target = "/v1/eligibility";
    o.result_columns = {"status", "member_id"};
    return o;
  }

  Summary run(const std::string& input, RunOptions options, std::string* results = nullptr,
              const Operation* operation = nullptr) {
    std::istringstream in(input);
    auto reader = make_reader(Format::jsonl, in, "rows.jsonl");
    options.journal = options.journal.empty() ? m_dir.path() / "journal.db" : options.journal;
    options.input_name = "rows.jsonl";
    options.base_delay = std::chrono::milliseconds(1);
    std::ostringstream out, err;
    auto s = run_batch(operation ? *operation : op(), *reader, m_transport, options, out, err);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    if (results) *results = out.str();
    return s ? *s : Summary{};
  }

  TempDir m_dir;
  std::string m_ca;
  FakePortal m_portal;
  std::unique_ptr<sandbox::Server> m_server;
  std::thread m_thread;
  Transport m_transport;
};

std::vector<json::object> lines_of(const std::string& text) {
  std::vector<json::object> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line).as_object());
  return out;
}

}  // namespace

TEST_F(BatchRunner, EveryRowGetsOneResultInInputOrder) {
  RunOptions o;
  o.concurrency = 6;
  std::string results;
  auto s = run(rows(300), o, &results);
  auto lines = lines_of(results);
  ASSERT_EQ(lines.size(), 300u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].at("line").to_number<std::size_t>(), i + 1);
    int row = static_cast<int>(i + 1);
    std::string want = row % 7 == 0 ? "invalid" : row % 10 == 0 ? "rejected" : "ok";
    EXPECT_EQ(lines[i].at("outcome").as_string(), want) << "row " << row;
  }
  EXPECT_EQ(s.invalid, 42u);
  EXPECT_EQ(s.rejected, 300u / 10 - 300u / 70);
  EXPECT_EQ(s.ok + s.rejected + s.invalid, 300u);
  EXPECT_GT(s.retried, 0u);  // every third row met a 503 first
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &s}), 1);
  // Invalid rows were never sent; every sent row was applied exactly once.
  for (const auto& [key, times] : m_portal.applied) EXPECT_EQ(times, 1);
  EXPECT_EQ(m_portal.applied.size(), 300u - 42u);
}

TEST_F(BatchRunner, AVerbatimAnswerIsWrittenAsThePortalSpelledIt) {
  m_portal.spelled = true;
  Operation verbatim = op();
  verbatim.answer_verbatim = true;
  for (const Operation* operation :
       {static_cast<const Operation*>(&verbatim), static_cast<const Operation*>(nullptr)}) {
    m_portal.stored.clear();  // each pass is answered anew, not replayed
    RunOptions o;
    o.concurrency = 3;
    o.journal = m_dir.path() / (operation ? "verbatim.db" : "parsed.db");
    std::string results;
    run(rows(40), o, &results, operation);
    std::istringstream in(results);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      auto r = json::parse(line).as_object();  // one whole line each, valid JSON
      if (r.at("outcome") != "ok") continue;
      EXPECT_EQ(r.at("answer").at("status"), "active") << line;
      if (n % 2 == 1) {
        // The body's own text (trimmed) when the operation says its answer is the body parsed;
        // serialized again otherwise.
        EXPECT_EQ(r.at("answer").at("name"), "Jos\u00e9") << line;
        EXPECT_EQ(line.find(R"("name":"Jos\u00e9"}})") != std::string::npos, operation != nullptr)
            << line;
      }
    }
    EXPECT_EQ(n, 40u);
  }
}

TEST_F(BatchRunner, TheRateSpacesRequestsWithoutKeepingAnswersWaiting) {
  // A turn of --rate (250 ms) longer than the request timeout (200 ms): the answers of rows
  // in flight must still be read on time while the next row waits for its turn.
  m_portal.flaky = false;
  http::ClientOptions co;
  co.base_url = "https://127.0.0.1:" + std::to_string(m_server->port());
  co.tls.ca_file = m_ca;
  co.request_timeout = std::chrono::milliseconds(200);
  m_transport.connect = [co] { return http::Client::create(co); };
  RunOptions o;
  o.concurrency = 4;
  o.rate = 4;
  auto s = run(rows(8), o);  // row 7 is invalid: 7 requests
  EXPECT_EQ(s.ok, 7u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.retried, 0u) << "an answer was read after its deadline and its row sent again";
  EXPECT_EQ(m_portal.requests.load(), 7);
  EXPECT_GE(s.elapsed.count(), 6 * 0.25 - 0.05);  // 7 turns, 250 ms apart
}

TEST_F(BatchRunner, AnAnswerTheWireCallsTransientIsRetriedLikeA503) {
  m_portal.flaky = false;
  m_portal.busy_first = true;
  Operation busy = op();
  busy.transient = [](const http::Response& r) -> std::optional<std::string> {
    if (r.body.find("busy") != std::string::npos) return "the payer cannot answer now";
    return std::nullopt;
  };
  RunOptions o;
  o.concurrency = 3;
  std::string results;
  auto s = run(rows(20), o, &results, &busy);
  for (const auto& line : lines_of(results)) {
    if (line.at("outcome") == "ok") EXPECT_EQ(line.at("answer").at("status"), "active");
  }
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.retried, 20u / 4 - 20u / 28);  // rows 4, 8, 12, 16, 20 (none invalid)
  for (const auto& [key, n] : m_portal.attempts) EXPECT_LE(n, 2) << key;
}

TEST_F(BatchRunner, ARequestThatTimedOutIsSentAgainOnlyAfterTheProtocolsWait) {
  // CAQH CORE: what got no answer within the connection's hold is sent again no sooner than
  // 90 s after it was first sent; here 1 s against a 200 ms timeout.
  m_portal.flaky = false;
  m_portal.slow_first = std::chrono::milliseconds(400);
  http::ClientOptions co;
  co.base_url = "https://127.0.0.1:" + std::to_string(m_server->port());
  co.tls.ca_file = m_ca;
  co.request_timeout = std::chrono::milliseconds(200);
  m_transport.connect = [co] { return http::Client::create(co); };
  Operation core = op();
  core.resend_after_timeout = std::chrono::seconds(1);
  RunOptions o;
  o.concurrency = 2;
  auto s = run(rows(2), o, nullptr, &core);
  EXPECT_EQ(s.ok, 2u);
  ASSERT_EQ(m_portal.arrivals.size(), 2u);
  for (const auto& [key, times] : m_portal.arrivals) {
    ASSERT_EQ(times.size(), 2u) << key;
    EXPECT_GE(times[1] - times[0], std::chrono::milliseconds(950)) << key;
  }
}

TEST_F(BatchRunner, DryRunSendsNothing) {
  RunOptions o;
  o.dry_run = true;
  auto s = run(rows(50), o);
  EXPECT_EQ(m_portal.requests.load(), 0);
  EXPECT_EQ(s.invalid, 7u);
  EXPECT_EQ(s.ok, 43u);
}

TEST_F(BatchRunner, ShardsCoverEveryRowExactlyOnce) {
  std::set<std::size_t> seen;
  for (std::size_t k = 0; k < 4; ++k) {
    RunOptions o;
    o.shard = Shard{k, 4};
    o.journal = m_dir.path() / ("shard" + std::to_string(k) + ".db");
    std::string results;
    run(rows(101), o, &results);
    for (const auto& l : lines_of(results)) {
      EXPECT_TRUE(seen.insert(l.at("line").to_number<std::size_t>()).second);
    }
  }
  EXPECT_EQ(seen.size(), 101u);
}

TEST_F(BatchRunner, InterruptedRunResumesWithoutResendingOrLosingRows) {
  m_portal.stop_after = 60;
  RunOptions o;
  o.concurrency = 4;
  auto first = run(rows(200), o);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &first}), 130);
  stop_flag() = false;
  m_portal.stop_after = -1;

  // Without --resume the journal is not thrown away silently.
  {
    std::istringstream in(rows(200));
    auto reader = make_reader(Format::jsonl, in, "rows.jsonl");
    RunOptions again;
    again.journal = m_dir.path() / "journal.db";
    again.input_name = "rows.jsonl";
    std::ostringstream out, err;
    auto refused = run_batch(op(), *reader, m_transport, again, out, err);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("interrupted run"), std::string::npos);
  }

  int requests_before = m_portal.requests.load();
  RunOptions resume;
  resume.resume = true;
  resume.concurrency = 4;
  std::string results;
  auto second = run(rows(200), resume, &results);
  EXPECT_FALSE(second.interrupted);
  EXPECT_GE(second.resumed, 50u);
  EXPECT_EQ(lines_of(results).size(), 200u);
  // Every row that can be sent was applied exactly once over the two runs.
  EXPECT_EQ(m_portal.applied.size(), 200u - 28u);
  for (const auto& [key, times] : m_portal.applied) EXPECT_EQ(times, 1);
  // The journaled rows were not asked again.
  EXPECT_LT(m_portal.requests.load() - requests_before, 200 - 28);
}

TEST_F(BatchRunner, ResumeRefusesAChangedInput) {
  m_portal.stop_after = 30;
  RunOptions o;
  run(rows(100), o);
  stop_flag() = false;
  m_portal.stop_after = -1;
  std::string changed = rows(100);
  changed.replace(changed.find("Ann"), 3, "Bea");
  std::istringstream in(changed);
  auto reader = make_reader(Format::jsonl, in, "rows.jsonl");
  RunOptions resume;
  resume.resume = true;
  resume.journal = m_dir.path() / "journal.db";
  resume.input_name = "rows.jsonl";
  std::ostringstream out, err;
  auto s = run_batch(op(), *reader, m_transport, resume, out, err);
  // The first row already differs: nothing is sent, and the error names the line.
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::input);
  EXPECT_NE(s.error().message.find("line 1 "), std::string::npos) << s.error().message;
}

TEST_F(BatchRunner, AnExpiredSessionStopsTheRunWithAnAuthError) {
  m_transport.token = "expired";
  auto s = run(rows(20), RunOptions{});
  ASSERT_TRUE(s.fatal);
  EXPECT_EQ(s.fatal->kind, ErrorKind::auth);
  EXPECT_NE(s.fatal->hint.find("--resume"), std::string::npos);
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &s}), 4);
}

TEST_F(BatchRunner, CsvResultsAreSpreadsheetSafe) {
  std::string input =
      R"({"ref":"-cmd","member_id":"ACM100001","first_name":"Ann","last_name":"Lee","date_of_birth":"1970-01-01","health_plan":"acme-commercial","provider_npi":"1234567893","service_date":"2026-11-16"})"
      "\n";
  RunOptions o;
  o.results = m_dir.path() / "out.csv";
  run(input, o);
  std::ifstream f(o.results);
  std::string header, row;
  std::getline(f, header);
  std::getline(f, row);
  EXPECT_EQ(header, "line,ref,outcome,http_status,code,message,errors,status,member_id");
  EXPECT_EQ(row.rfind("1,'-cmd,ok,200,", 0), 0u) << row;
  EXPECT_FALSE(fs::exists(o.results.string() + ".part"));
}

TEST(BatchRows, ShardParsing) {
  EXPECT_TRUE(parse_shard("0/1"));
  EXPECT_TRUE(parse_shard("3/4"));
  EXPECT_FALSE(parse_shard("4/4"));
  EXPECT_FALSE(parse_shard("1/0"));
  EXPECT_FALSE(parse_shard("a/b"));
  EXPECT_FALSE(parse_shard("1"));
  EXPECT_EQ(parse_shard("2/5")->to_string(), "2/5");
}

TEST(BatchRows, IdempotencyKeysComeFromRefOrContent) {
  json::object a{{"b", "2"}, {"a", "1"}};
  json::object b{{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(idempotency_key("eligibility", a), idempotency_key("eligibility", b));
  EXPECT_NE(idempotency_key("eligibility", a), idempotency_key("case", a));
  json::object c{{"ref", "r1"}, {"a", "1"}};
  json::object d{{"ref", "r1"}, {"a", "corrected"}};
  EXPECT_EQ(idempotency_key("eligibility", c), idempotency_key("eligibility", d));
  EXPECT_EQ(idempotency_key("eligibility", a).size(), 64u);
  EXPECT_EQ(canonical_json(json::parse(R"({"z":[{"y":1,"x":2}],"a":null})")),
            R"({"a":null,"z":[{"x":2,"y":1}]})");
}

TEST(BatchRows, CoercionFollowsTheSchema) {
  json::object r{{"units", "3"}, {"member_id", "ACM1"}};
  coerce_to_schema("eligibility", r);
  EXPECT_TRUE(r.at("member_id").is_string());
}

TEST(BatchJournal, IsLockedWhileInUseAndKeepsRows) {
  TempDir dir;
  auto path = dir.path() / "j" / "a.db";
  {
    auto j = Journal::open(path);
    ASSERT_TRUE(j) << j.error().message;
    (*j)->start("fp");
    auto second = Journal::open(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind, ErrorKind::usage);
    (*j)->record(5, {"k5", "ok", "{}"});
  }  // closing flushes
  auto j = Journal::open(path);
  ASSERT_TRUE(j);
  auto info = (*j)->info();
  EXPECT_EQ(info.fingerprint, "fp");
  EXPECT_EQ(info.rows_done, 1u);
  EXPECT_FALSE(info.complete);
  ASSERT_TRUE((*j)->find(5));
  EXPECT_EQ((*j)->find(5)->key, "k5");
  EXPECT_FALSE((*j)->find(6));
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::group_all, fs::perms::none);
}
