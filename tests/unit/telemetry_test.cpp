// The audit log: which requests it records, what an entry holds and never holds (PHI), and
// whole lines when several processes append at once.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "portal/api/telemetry.hpp"
#include "portal/log/audit_log.hpp"
#include "portal/util/crypto.hpp"
#include "temp_dir.hpp"

using namespace portal;
namespace json = boost::json;
using portal::test::TempDir;

namespace {

const api::Who k_who{"nightly", "ops@clinic.example", "submit-case"};
const SysTime k_now = *parse_iso8601("2026-11-24T08:00:00Z");

http::Request request(std::string method, std::string target, std::string body) {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers = {{"Idempotency-Key", "key-1:case"}, {"Authorization", "Bearer secret-token"}};
  return r;
}

http::Response response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::vector<std::string> lines_of(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST(AuditEntry, ACaseWithItsOrderAndNoPhi) {
  auto req =
      request("POST", "/v1/cases",
              R"({"member_id":"ACM100234","first_name":"James","date_of_birth":"1958-03-14"})");
  auto res = response(201, R"({"order_id":"ORD-1","acmp_number":"ACMP-2","status":"approved",)"
                           R"("member":{"member_id":"ACM100234","last_name":"Whitaker"}})");
  http::RequestEvent e{req, &res, sha256_hex(req.body), "", false, 7, "case-7", "cases.csv"};
  auto entry = api::audit_entry(e, k_who, "0123456789abcdef", k_now);
  ASSERT_TRUE(entry);
  json::object want{{"ts", "2026-11-24T08:00:00Z"},
                    {"run_id", "0123456789abcdef"},
                    {"profile", "nightly"},
                    {"account", "ops@clinic.example"},
                    {"command", "submit-case"},
                    {"kind", "submission"},
                    {"method", "POST"},
                    {"path", "/v1/cases"},
                    {"input", "cases.csv"},
                    {"line", 7},
                    {"ref", "case-7"},
                    {"idempotency_key", "key-1:case"},
                    {"request_sha256", sha256_hex(req.body)},
                    {"http_status", 201},
                    {"outcome", "ok"},
                    {"order_id", "ORD-1"},
                    {"acmp_number", "ACMP-2"},
                    {"status", "approved"}};
  EXPECT_EQ(*entry, want) << json::serialize(*entry);
  std::string text = json::serialize(*entry);
  for (const char* phi : {"ACM100234", "James", "Whitaker", "1958-03-14", "secret-token"}) {
    EXPECT_EQ(text.find(phi), std::string::npos) << phi;
  }
}

TEST(AuditEntry, AnUploadHashesTheFileNameAndDropsTheQuery) {
  auto req = request("POST",
                     "/v1/cases/ORD-1/documents?document_type=other&filename=Whitaker-James.pdf"
                     "&description=James%20Whitaker",
                     "");
  auto res = response(201, R"({"document_id":"DOC-9","order_id":"ORD-1"})");
  http::RequestEvent e{req, &res, "ab12", "", false, 3, "", "docs.csv"};
  e.file = "/scans/Whitaker-James.pdf";
  auto entry = api::audit_entry(e, k_who, "r", k_now);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->at("path"), "/v1/cases/ORD-1/documents");
  EXPECT_EQ(entry->at("file_name_sha256"), json::value(sha256_hex("Whitaker-James.pdf")));
  EXPECT_EQ(entry->at("request_sha256"), "ab12");
  EXPECT_EQ(entry->at("document_id"), "DOC-9");
  EXPECT_EQ(json::serialize(*entry).find("Whitaker"), std::string::npos);
}

TEST(AuditEntry, AnEligibilityCheckIsAnInquiryWithNothingOfItsAnswer) {
  auto req = request("POST", "/v1/eligibility", R"({"member_id":"ACM100234"})");
  auto ok =
      response(200, R"({"status":"active","member":{"member_id":"ACM100234"},"plan":{"id":"p"}})");
  http::RequestEvent e{req, &ok, "h", "", false, 2, "r1", "-"};
  auto entry = api::audit_entry(e, k_who, "r", k_now);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->at("kind"), "inquiry");
  EXPECT_EQ(entry->at("input"), "stdin");
  EXPECT_FALSE(entry->contains("status"));
  auto refused =
      response(422, R"({"error":{"code":"name_mismatch","message":"James is not on file"}})");
  http::RequestEvent r{req, &refused, "h", "", false, 2, "r1", "-"};
  entry = api::audit_entry(r, k_who, "r", k_now);
  EXPECT_EQ(entry->at("outcome"), "rejected");
  EXPECT_EQ(entry->at("code"), "name_mismatch");
  EXPECT_EQ(json::serialize(*entry).find("James"), std::string::npos);
}

TEST(AuditEntry, NoAnswerIsFailedOrStoppedAndFiveHundredsFailed) {
  auto req = request("POST", "/v1/cases", "{}");
  http::RequestEvent none{req, nullptr, "h", "connection reset", false};
  EXPECT_EQ(api::audit_entry(none, k_who, "r", k_now)->at("outcome"), "failed");
  EXPECT_TRUE(api::audit_entry(none, k_who, "r", k_now)->at("http_status").is_null());
  EXPECT_FALSE(api::audit_entry(none, k_who, "r", k_now)->contains("input"));
  http::RequestEvent stopped{req, nullptr, "h", "", true};
  EXPECT_EQ(api::audit_entry(stopped, k_who, "r", k_now)->at("outcome"), "stopped");
  auto busy = response(503, R"({"error":{"code":"maintenance"}})");
  http::RequestEvent down{req, &busy, "h", "", false};
  EXPECT_EQ(api::audit_entry(down, k_who, "r", k_now)->at("outcome"), "failed");
}

TEST(AuditEntry, ReadsAndSignInAreNotAudited) {
  auto ok = response(200, "{}");
  for (auto [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/orders?member_id=ACM1"},
                                                        {"GET", "/v1/profile"},
                                                        {"POST", "/v1/auth/login"},
                                                        {"POST", "/v1/auth/mfa/verify"},
                                                        {"POST", "/v1/auth/refresh"},
                                                        {"POST", "/v1/auth/logout"}}) {
    auto req = request(method, target, "");
    http::RequestEvent e{req, &ok, "", "", false};
    EXPECT_FALSE(api::audit_entry(e, k_who, "r", k_now)) << method << " " << target;
  }
  for (auto [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"PATCH", "/v1/profile"},
                                                        {"POST", "/v1/registrations"},
                                                        {"POST", "/v1/profile/password"},
                                                        {"POST", "/v1/profile/mfa/totp/confirm"}}) {
    auto req = request(method, target, "");
    http::RequestEvent e{req, &ok, "", "", false};
    EXPECT_TRUE(api::audit_entry(e, k_who, "r", k_now)) << method << " " << target;
  }
}

TEST(AuditLog, IsPrivateAndTakesWholeLinesFromSeveralProcesses) {
  TempDir dir;
  auto path = dir.path() / "state" / "audit.jsonl";
  constexpr int k_procs = 4, k_lines = 300;
  std::vector<pid_t> children;
  for (int p = 0; p < k_procs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      log::AuditLog audit(path);
      std::string pad(2000 + 500 * p, 'x');  // long lines: a torn write would show
      for (int i = 0; i < k_lines; ++i) {
        if (!audit.append(json::object{{"proc", p}, {"i", i}, {"pad", pad}})) ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(k_procs * k_lines));
  std::set<std::pair<int, int>> seen;
  for (const auto& line : lines) {
    json::error_code ec;
    auto v = json::parse(line, ec);
    ASSERT_FALSE(ec) << line.substr(0, 80);
    seen.insert(
        {static_cast<int>(v.at("proc").as_int64()), static_cast<int>(v.at("i").as_int64())});
  }
  EXPECT_EQ(seen.size(), lines.size());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(AuditLog, DeferredEntriesWaitForFlushAndAreNotLostAtTheEnd) {
  TempDir dir;
  auto path = dir.path() / "audit.jsonl";
  {
    log::AuditLog audit(path);
    ASSERT_TRUE(audit.set_deferred(true));
    ASSERT_TRUE(audit.append(json::object{{"i", 1}}));
    ASSERT_TRUE(audit.append(json::object{{"i", 2}}));
    EXPECT_TRUE(lines_of(path).empty()) << "held back until flush()";
    ASSERT_TRUE(audit.flush());
    EXPECT_EQ(lines_of(path).size(), 2u);
    ASSERT_TRUE(audit.append(json::object{{"i", 3}}));
    ASSERT_TRUE(audit.set_deferred(false));  // turning it off flushes
    EXPECT_EQ(lines_of(path).size(), 3u);
    ASSERT_TRUE(audit.append(json::object{{"i", 4}}));
    EXPECT_EQ(lines_of(path).size(), 4u) << "not deferred: written at once";
    ASSERT_TRUE(audit.set_deferred(true));
    ASSERT_TRUE(audit.append(json::object{{"i", 5}}));
  }
  // The destructor writes what was still held back.
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[4], R"({"i":5})");
}

TEST(AuditLog, DeferredEntriesBeyondTheBoundAreWrittenWithoutAFlush) {
  TempDir dir;
  auto path = dir.path() / "audit.jsonl";
  log::AuditLog audit(path);
  ASSERT_TRUE(audit.set_deferred(true));
  std::string pad(1000, 'x');
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(audit.append(json::object{{"i", i}, {"pad", pad}}));
  auto written = lines_of(path).size();
  EXPECT_GT(written, 0u) << "memory held back is bounded";
  EXPECT_LT(written, 400u);
  ASSERT_TRUE(audit.flush());
  EXPECT_EQ(lines_of(path).size(), 400u);
}

TEST(AuditLog, AnUnusablePathIsAnInputError) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  log::AuditLog audit(dir.path() / "file" / "audit.jsonl");
  auto r = audit.open();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::input);
  EXPECT_NE(r.error().hint.find("nothing was sent"), std::string::npos);
}

TEST(Telemetry, FeedsMetricsAndSkipsRequestsNeverSent) {
  TempDir dir;
  metrics::Registry reg;
  log::AuditLog audit(dir.path() / "audit.jsonl");
  api::Telemetry t(&reg, &audit);
  t.set_who(k_who);
  auto req = request("POST", "/v1/cases", "{}");
  auto res = response(201, R"({"order_id":"ORD-1"})");
  // A request a stopping run never sent: no attempt, no entry.
  t.request_done({req, nullptr, "h", "", true});
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "audit.jsonl") &&
               !lines_of(dir.path() / "audit.jsonl").empty());
  t.exchange({req, nullptr, std::chrono::milliseconds(30)});
  t.retried();
  t.exchange({req, &res, std::chrono::milliseconds(20)});
  t.request_done({req, &res, "h", "", false});
  auto lines = lines_of(dir.path() / "audit.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"order_id\":\"ORD-1\""), std::string::npos);
  metrics::RunInfo run;
  auto text = reg.render(run);
  EXPECT_NE(text.find("code=\"2xx\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("code=\"error\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("provportal_retries_total{profile=\"\",command=\"\"} 1\n"),
            std::string::npos);
}
