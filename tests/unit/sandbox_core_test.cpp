// The sandbox's CAQH CORE endpoints through the API handler, in process, with a real portal over
// SQLite: 270s and 276s built with x12::Writer sent as SOAP and MIME, their 271/277 read back
// with the typed readers and validated, TA1 and 999 for broken payloads, envelope errors,
// authentication and its cache, the core-42 fault and the trace counts (docs/core.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "caqh/envelope.hpp"
#include "sandbox/api.hpp"
#include "sandbox/core_answers.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/faults.hpp"
#include "sandbox/portal.hpp"
#include "sandbox_accounts.hpp"
#include "temp_dir.hpp"
#include "x12/ack.hpp"
#include "x12/transactions.hpp"
#include "x12/validate.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

const fs::path k_seed_dir = PORTAL_TEST_DATA_DIR "/../../examples/sandbox";
// 09:00 in Chicago on a Tuesday (outside the maintenance window); day 0 of the claims.
constexpr const char* k_epoch = "2026-11-17";
const SysTime k_now = *parse_iso8601("2026-11-17T15:00:00Z");
const std::string k_email = "alice@lakeshore.example";  // Lakeshore Family Medicine

x12::InterchangeHeader request_header() {
  x12::InterchangeHeader h;
  h.sender_qualifier = "ZZ";
  h.sender_id = "LAKESHORE";
  h.receiver_qualifier = "ZZ";
  h.receiver_id = "PROVPORTALSBX";
  h.usage = 'T';
  h.time = std::chrono::floor<std::chrono::seconds>(k_now);
  return h;
}

x12::EligibilityInquiry inquiry(const std::string& member_id, const std::string& first,
                                const std::string& last, const std::string& dob,
                                const std::string& payer_id = "ACMEC",
                                const std::string& trace = "TRACE-0001") {
  x12::EligibilityInquiry q;
  q.reference = "REF0001";
  q.payer = {"PR", '2', "ACME HEALTH", "", "", "PI", payer_id};
  q.provider = {"1P", '2', "LAKESHORE FAMILY MEDICINE", "", "", "XX", "1234567893"};
  q.trace = {"1", trace, "9123456789", ""};
  q.subscriber = {"IL", '1', last, first, "", "MI", member_id};
  q.date_of_birth = dob;
  q.dates = {{"291", "2026-11-17", ""}};
  return q;
}

std::string interchange_270(const std::vector<x12::EligibilityInquiry>& inquiries) {
  x12::Writer w;
  w.begin_interchange(request_header(), 101);
  w.begin_group("HS", "LAKESHORE", "PROVPORTALSBX", "005010X279A1", 201);
  std::uint32_t st = 1;
  for (const auto& q : inquiries) x12::write_270(w, st++, q);
  w.end_group();
  w.end_interchange();
  EXPECT_TRUE(w.status()) << x12::to_string(w.status().error());
  return w.out();
}

x12::ClaimInquiry claim_inquiry(const std::string& claim_number) {
  x12::ClaimInquiry q;
  q.reference = "REF0002";
  q.payer = {"PR", '2', "ACME HEALTH", "", "", "PI", "ACMEC"};
  q.receiver = {"41", '2', "LAKESHORE FAMILY MEDICINE", "", "", "46", "LAKESHORE"};
  q.provider = {"1P", '2', "LAKESHORE FAMILY MEDICINE", "", "", "XX", "1234567893"};
  q.subscriber = {"IL", '1', "WHITAKER", "JAMES", "", "MI", "ACM100234"};
  q.date_of_birth = "1958-03-14";
  q.trace = {"1", "CLAIM-TRACE-1", "", ""};
  q.payer_claim_number = claim_number;
  return q;
}

std::string interchange_276(const x12::ClaimInquiry& q) {
  x12::Writer w;
  w.begin_interchange(request_header(), 102);
  w.begin_group("HR", "LAKESHORE", "PROVPORTALSBX", "005010X212", 202);
  x12::write_276(w, 1, q);
  w.end_group();
  w.end_interchange();
  EXPECT_TRUE(w.status()) << x12::to_string(w.status().error());
  return w.out();
}

caqh::Envelope core_request(std::string payload_type, std::string payload) {
  caqh::Envelope e;
  e.payload_type = std::move(payload_type);
  e.payload_id = caqh::new_payload_id();
  e.timestamp = "2026-11-17T15:00:00Z";
  e.sender_id = "LAKESHORE";
  e.receiver_id = "PROVPORTALSBX";
  e.payload = std::move(payload);
  return e;
}

struct CoreReply {
  int status = 0;
  std::string content_type;
  caqh::Parsed parsed;
  const caqh::Envelope& envelope() const { return *parsed.envelope; }
};

class SandboxCore : public ::testing::Test {
 protected:
  void SetUp() override {
    m_portal = std::make_unique<Portal>(m_dir.path());
    m_portal->load_seed(k_seed_dir);
    ASSERT_TRUE(m_portal->update_settings({{"claims_epoch", k_epoch}}));
    m_portal->clock_set(k_now);
    test::register_active(*m_portal, m_dir.path(), {.email = k_email});
    m_handler = make_api_handler(*m_portal);
  }

  HttpResponse post(const std::string& path, const std::string& content_type,
                    const std::string& body, std::optional<FaultKind> fault = std::nullopt,
                    const std::string& client_subject = {}) {
    HttpRequest req;
    req.client_subject = client_subject;
    req.method = "POST";
    req.target = req.path = path;
    req.headers.emplace_back("content-type", content_type);
    req.body = body;
    req.fault = fault;
    return m_handler(req);
  }

  CoreReply soap(const caqh::Envelope& e, const std::string& password = test::k_sandbox_password,
                 std::optional<FaultKind> fault = std::nullopt) {
    caqh::Credentials c{k_email, password};
    HttpResponse r = post("/core/soap", caqh::soap_content_type(caqh::Message::real_time_request),
                          caqh::to_soap(e, &c), fault);
    CoreReply out{r.status, r.content_type, caqh::from_soap(r.body)};
    EXPECT_TRUE(out.parsed.envelope) << r.status << " " << out.parsed.problem << "\n" << r.body;
    return out;
  }

  CoreReply mime(const caqh::Envelope& e) {
    caqh::Credentials c{k_email, test::k_sandbox_password};
    std::string boundary = caqh::new_boundary();
    HttpResponse r =
        post("/core/mime", caqh::mime_content_type(boundary), caqh::to_mime(e, boundary, &c));
    CoreReply out{r.status, r.content_type, caqh::from_mime(r.content_type, r.body)};
    EXPECT_TRUE(out.parsed.envelope) << r.status << " " << out.parsed.problem << "\n" << r.body;
    return out;
  }

  std::vector<x12::EligibilityResponse> read_271s(const std::string& payload) {
    std::vector<x12::EligibilityResponse> out;
    auto reader = x12::Reader::from_memory(payload);
    auto summary = x12::read_271(reader, [&](x12::EligibilityResponse&& r, const x12::Segment&) {
      out.push_back(std::move(r));
      return true;
    });
    EXPECT_TRUE(summary.problems.empty()) << x12::to_string(summary.problems.front());
    return out;
  }

  json::object admin_get(const std::string& path) {
    std::ifstream in(m_portal->accounts().admin_token_file());
    std::string token;
    std::getline(in, token);
    HttpRequest req;
    req.method = "GET";
    req.target = req.path = path;
    req.headers.emplace_back("authorization", "Bearer " + token);
    HttpResponse r = m_handler(req);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).as_object();
  }

  test::TempDir m_dir;
  std::unique_ptr<Portal> m_portal;
  Handler m_handler;
};

// The answer whose TRN*2 is `trace`. (x12::read_271 also hands over a payer-level AAA as an
// answer of its own, without a trace, before the subscriber's that carries it too.)
x12::EligibilityResponse answer_to(const std::vector<x12::EligibilityResponse>& responses,
                                   std::string_view trace) {
  auto it = std::find_if(responses.begin(), responses.end(),
                         [&](const auto& r) { return r.request_trace() == trace; });
  EXPECT_NE(it, responses.end()) << "no answer has the trace " << trace;
  EXPECT_EQ(std::count_if(responses.begin(), responses.end(),
                          [&](const auto& r) { return r.request_trace() == trace; }),
            1);
  return it == responses.end() ? x12::EligibilityResponse{} : *it;
}

// Every answer the sandbox writes passes the sandbox's own validator.
void expect_valid_x12(const std::string& payload) {
  x12::Report report = x12::validate(payload);
  EXPECT_TRUE(report.ok()) << (report.findings.empty() ? "dropped findings"
                                                       : x12::to_string(report.findings.front()))
                           << "\n"
                           << payload;
}

}  // namespace

TEST_F(SandboxCore, ActiveMemberIsAnsweredWithEb1AndTheBenefitsOfTheCompanionGuide) {
  caqh::Envelope e =
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")}));
  CoreReply reply = soap(e);
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/soap+xml; charset=UTF-8");
  const caqh::Envelope& a = reply.envelope();
  EXPECT_EQ(a.message, caqh::Message::real_time_response);
  EXPECT_EQ(a.error_code, "Success");
  EXPECT_EQ(a.payload_type, "X12_271_Response_005010X279A1");
  EXPECT_EQ(a.payload_id, e.payload_id);
  EXPECT_EQ(a.sender_id, "PROVPORTALSBX");
  EXPECT_EQ(a.receiver_id, "LAKESHORE");
  EXPECT_EQ(a.rule_version, "2.2.0");
  // The answer's envelope: ours as sender, the request's sender as receiver, its usage.
  EXPECT_EQ(a.payload.substr(0, 54), "ISA*00*          *00*          *ZZ*PROVPORTALSBX  *ZZ*");
  EXPECT_NE(a.payload.find("*ZZ*LAKESHORE      *"), std::string::npos) << a.payload;
  EXPECT_NE(a.payload.find("*T*:~GS*HB*PROVPORTALSBX*LAKESHORE*"), std::string::npos);
  expect_valid_x12(a.payload);
  EXPECT_NE(a.payload.find("TRN*2*TRACE-0001*9123456789~"), std::string::npos) << a.payload;
  EXPECT_NE(a.payload.find("EB*1*IND*30*C1*Acme Health Commercial PPO~"), std::string::npos);
  EXPECT_NE(a.payload.find("EB*B*IND*98***27*50~MSG*SPECIALIST~"), std::string::npos);
  EXPECT_NE(a.payload.find("EB*A*IND*30*****0.2~"), std::string::npos);
  EXPECT_NE(a.payload.find("EB*D*IND*30********Y~MSG*genetic_testing~"), std::string::npos);

  auto responses = read_271s(a.payload);
  ASSERT_EQ(responses.size(), 1u);
  const auto& r = responses.front();
  EXPECT_EQ(r.request_trace(), "TRACE-0001");
  EXPECT_EQ(r.reference, "REF0001");
  EXPECT_EQ(r.payer.id, "ACMEC");
  EXPECT_EQ(r.payer.last_or_org, "Acme Health Commercial PPO");
  EXPECT_EQ(r.subscriber.id, "ACM100234");
  EXPECT_EQ(r.subscriber.first, "James");
  EXPECT_EQ(r.subscriber.last_or_org, "Whitaker");
  EXPECT_EQ(r.date_of_birth, "1958-03-14");
  EXPECT_EQ(r.group_number, "acme-commercial");
  EXPECT_TRUE(r.rejections.empty());
  ASSERT_FALSE(r.benefits.empty());
  EXPECT_EQ(r.benefits.front().info, "1");
  auto has_date = [&](std::string_view q, std::string_view v) {
    return std::any_of(r.dates.begin(), r.dates.end(),
                       [&](const x12::DatePeriod& d) { return d.qualifier == q && d.from == v; });
  };
  EXPECT_TRUE(has_date("346", "2024-01-01"));
  EXPECT_TRUE(has_date("291", "2026-11-17"));
  EXPECT_FALSE(std::any_of(r.dates.begin(), r.dates.end(), [](const x12::DatePeriod& d) {
    return d.qualifier == "347";
  })) << "open-ended coverage has no DTP*347";
  // Copays, deductibles, out-of-pocket, coinsurance, five solutions: 1 + 3 + 2 + 2 + 1 + 5.
  EXPECT_EQ(r.benefits.size(), 14u);
}

TEST_F(SandboxCore, InactiveMemberGetsEb6AndTheCoverageEnd) {
  // Michael O'Connor's coverage ended 2026-06-30.
  CoreReply reply = soap(
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100733", "MICHAEL", "O'CONNOR", "1966-09-30")})));
  ASSERT_EQ(reply.status, 200);
  const std::string& p = reply.envelope().payload;
  expect_valid_x12(p);
  EXPECT_NE(p.find("EB*6*IND*30*C1*Acme Health Commercial PPO~"), std::string::npos) << p;
  EXPECT_NE(p.find("DTP*347*D8*20260630~"), std::string::npos) << p;
}

TEST_F(SandboxCore, UnknownMemberGetsAaa75AndUnknownPayerAaa79) {
  auto one = [&](x12::EligibilityInquiry q) {
    CoreReply reply = soap(core_request("X12_270_Request_005010X279A1", interchange_270({q})));
    EXPECT_EQ(reply.status, 200);
    expect_valid_x12(reply.envelope().payload);
    return answer_to(read_271s(reply.envelope().payload), "TRACE-0001");
  };
  auto r = one(inquiry("ACM999999", "JAMES", "WHITAKER", "1958-03-14"));
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].loop, "2100C");
  EXPECT_EQ(r.rejections[0].reason, "75");
  EXPECT_EQ(r.rejections[0].follow_up, "C");
  EXPECT_TRUE(r.benefits.empty());
  EXPECT_EQ(r.subscriber.id, "ACM999999");
  EXPECT_EQ(r.request_trace(), "TRACE-0001");

  auto bad_format = one(inquiry("XYZ123", "JAMES", "WHITAKER", "1958-03-14"));
  ASSERT_EQ(bad_format.rejections.size(), 1u);
  EXPECT_EQ(bad_format.rejections[0].reason, "72");
  auto name = one(inquiry("ACM100234", "JIM", "WHITAKER", "1958-03-14"));
  ASSERT_EQ(name.rejections.size(), 1u);
  EXPECT_EQ(name.rejections[0].reason, "73");

  auto no_dob = one(inquiry("ACM100234", "JAMES", "WHITAKER", ""));
  ASSERT_EQ(no_dob.rejections.size(), 1u);
  EXPECT_EQ(no_dob.rejections[0].reason, "58");
  // An NPI whose check digit is wrong: the provider's loop.
  auto npi = inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14");
  npi.provider.id = "1234567890";
  auto bad_npi = one(npi);
  ASSERT_EQ(bad_npi.rejections.size(), 1u);
  EXPECT_EQ(bad_npi.rejections[0].loop, "2100B");
  EXPECT_EQ(bad_npi.rejections[0].reason, "43");

  auto payer = one(inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14", "NOPAYER"));
  ASSERT_EQ(payer.rejections.size(), 1u);
  EXPECT_EQ(payer.rejections[0].loop, "2100A");
  EXPECT_EQ(payer.rejections[0].reason, "79");
}

TEST_F(SandboxCore, Broken270IsAnsweredWithA999NamingTheSegment) {
  std::string payload = interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")});
  // A date of birth that is no date: DMG02 in error.
  auto at = payload.find("DMG*D8*19580314");
  ASSERT_NE(at, std::string::npos) << payload;
  payload.replace(at, 15, "DMG*D8*19581399");
  CoreReply reply = soap(core_request("X12_270_Request_005010X279A1", payload));
  ASSERT_EQ(reply.status, 200);
  const caqh::Envelope& a = reply.envelope();
  EXPECT_EQ(a.error_code, "Success");
  EXPECT_EQ(a.payload_type, "X12_999_Response_005010X231A1");
  expect_valid_x12(a.payload);
  auto acks = x12::read_acknowledgements(a.payload);
  ASSERT_EQ(acks.groups.size(), 1u) << a.payload;
  const auto& g = acks.groups.front();
  EXPECT_EQ(g.functional_id, "HS");
  EXPECT_EQ(g.control_number, "201");
  EXPECT_EQ(g.status, 'R');
  ASSERT_EQ(g.sets.size(), 1u);
  EXPECT_EQ(g.sets[0].status, 'R');
  ASSERT_FALSE(g.sets[0].segments.empty()) << a.payload;
  EXPECT_EQ(g.sets[0].segments[0].segment_id, "DMG");
  ASSERT_FALSE(g.sets[0].segments[0].elements.empty());
  EXPECT_EQ(g.sets[0].segments[0].elements[0].position, 2);
  EXPECT_EQ(g.sets[0].segments[0].elements[0].code, "8");
  EXPECT_EQ(admin_get("/v1/admin/core/traces").at("answers").as_int64(), 0)
      << "a rejected interchange answers no inquiry";
}

TEST_F(SandboxCore, ShortIsaIsAnsweredWithTa1Rejected) {
  std::string payload = interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")});
  payload.erase(20, 5);  // the ISA is no longer 106 characters
  CoreReply reply = soap(core_request("X12_270_Request_005010X279A1", payload));
  ASSERT_EQ(reply.status, 200);
  const caqh::Envelope& a = reply.envelope();
  EXPECT_EQ(a.error_code, "Success");
  EXPECT_EQ(a.payload_type, "X12_TA1_Response_00501X231A1");
  auto acks = x12::read_acknowledgements(a.payload);
  ASSERT_EQ(acks.ta1s.size(), 1u) << a.payload;
  EXPECT_EQ(acks.ta1s[0].ack_code, 'R');
  EXPECT_EQ(acks.ta1s[0].note_code, "022");
  EXPECT_FALSE(x12::ta1_reason(acks.ta1s[0].note_code).empty());

  // A trailer that does not match its header: TA1 001.
  std::string mismatch = interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")});
  auto iea = mismatch.rfind("IEA*1*000000101");
  ASSERT_NE(iea, std::string::npos);
  mismatch.replace(iea, 15, "IEA*1*000000999");
  CoreReply second = soap(core_request("X12_270_Request_005010X279A1", mismatch));
  auto acks2 = x12::read_acknowledgements(second.envelope().payload);
  ASSERT_EQ(acks2.ta1s.size(), 1u) << second.envelope().payload;
  EXPECT_EQ(acks2.ta1s[0].control_number, "000000101");
  EXPECT_EQ(acks2.ta1s[0].note_code, "001");
}

TEST_F(SandboxCore, WrongPasswordIsUnAuthorized) {
  caqh::Envelope e =
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")}));
  CoreReply reply = soap(e, "not the password");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.envelope().error_code, "UnAuthorized");
  EXPECT_EQ(reply.envelope().payload_type, "CoreEnvelopeError");
  EXPECT_TRUE(reply.envelope().payload.empty());
  // No credentials at all.
  HttpResponse bare = post("/core/soap", "application/soap+xml", caqh::to_soap(e));
  EXPECT_EQ(bare.status, 401);
  EXPECT_EQ(caqh::from_soap(bare.body).envelope->error_code, "UnAuthorized");
}

// The listener verified a client certificate (mutual TLS): its CN, an account's email, is who
// asks when the message has no UsernameToken. A CN naming no account, or a disabled account's,
// is UnAuthorized; a UsernameToken, when sent, still decides.
TEST_F(SandboxCore, ClientCertificateSubjectIsTheIdentityWithoutAUsernameToken) {
  caqh::Envelope e =
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")}));
  const std::string bare = caqh::to_soap(e);
  auto ask = [&](const std::string& subject) {
    HttpResponse r = post("/core/soap", "application/soap+xml", bare, std::nullopt, subject);
    return std::pair{r.status, caqh::from_soap(r.body).envelope->error_message};
  };
  EXPECT_EQ(ask(k_email).first, 200);
  auto [status, message] = ask("nobody@example.com");
  EXPECT_EQ(status, 401);
  EXPECT_NE(message.find("names no portal account"), std::string::npos) << message;
  caqh::Credentials wrong{k_email, "not the password"};
  HttpResponse token_decides =
      post("/core/soap", "application/soap+xml", caqh::to_soap(e, &wrong), std::nullopt, k_email);
  EXPECT_EQ(token_decides.status, 401);
  ASSERT_TRUE(m_portal->accounts().admin_action("disable", k_email));
  EXPECT_EQ(ask(k_email).first, 401);
}

TEST_F(SandboxCore, VerifiedCredentialsAreCachedAndForgottenWithAPasswordChange) {
  caqh::Envelope e =
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")}));
  auto hits = m_portal->signin().credential_cache_hits();
  EXPECT_EQ(soap(e).status, 200);
  EXPECT_EQ(m_portal->signin().credential_cache_hits(), hits) << "the first request verifies";
  EXPECT_EQ(soap(e).status, 200);
  EXPECT_EQ(soap(e).status, 200);
  EXPECT_EQ(m_portal->signin().credential_cache_hits(), hits + 2) << "later ones hit the cache";
  // A wrong password is never answered from the cache.
  EXPECT_EQ(soap(e, "wrong").status, 401);
  // An administrator disabling the account ends the cached credentials at once.
  ASSERT_TRUE(m_portal->accounts().admin_action("disable", k_email));
  CoreReply after = soap(e);
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.envelope().error_message.find("not active"), std::string::npos)
      << after.envelope().error_message;
}

TEST_F(SandboxCore, ConcurrentFirstRequestsVerifyAPairOnce) {
  // A batch opens its connections at once: their first requests bring the same pair together,
  // and one Argon2 check answers them all.
  auto hits = m_portal->signin().credential_cache_hits();
  constexpr int k_requests = 8;
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int i = 0; i < k_requests; ++i) {
    threads.emplace_back([&] {
      if (m_portal->signin().verify_credentials(k_email, test::k_sandbox_password)) ++verified;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(verified.load(), k_requests);
  EXPECT_EQ(m_portal->signin().credential_cache_hits(), hits + k_requests - 1);
  // Wrong passwords brought together are each checked, and each answered 401.
  threads.clear();
  std::atomic<int> refused{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      if (!m_portal->signin().verify_credentials(k_email, "not the password")) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 3);
}

TEST_F(SandboxCore, MimeTransportAnswersTheSame) {
  caqh::Envelope e =
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")}));
  CoreReply reply = mime(e);
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type.rfind("multipart/form-data; boundary=", 0), 0u);
  EXPECT_EQ(reply.envelope().error_code, "Success");
  EXPECT_NE(reply.envelope().payload.find("EB*1*IND*30*C1*"), std::string::npos);
  // text/xml with a SOAPAction header is SOAP too, answered as text/xml.
  caqh::Credentials c{k_email, test::k_sandbox_password};
  HttpRequest req;
  req.method = "POST";
  req.target = req.path = "/core/soap";
  req.headers = {{"content-type", "text/xml; charset=utf-8"},
                 {"soapaction", "\"RealTimeTransaction\""}};
  req.body = caqh::to_soap(e, &c);
  HttpResponse r = m_handler(req);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/xml; charset=UTF-8");
  req.headers.pop_back();
  EXPECT_EQ(m_handler(req).status, 400) << "text/xml needs its SOAPAction";
}

TEST_F(SandboxCore, EnvelopeErrorsAreCoreResponses) {
  std::string payload = interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")});
  auto code_of = [&](caqh::Envelope e) {
    CoreReply r = soap(e);
    EXPECT_EQ(r.status, 200);
    return r.parsed.envelope ? r.envelope().error_code : std::string();
  };
  caqh::Envelope e = core_request("X12_270_Request_005010X279A1", payload);
  e.payload_id.clear();
  EXPECT_EQ(code_of(e), "PayloadIDRequired");
  e = core_request("X12_270_Request_005010X279A1", payload);
  e.rule_version = "2.1.0";
  EXPECT_EQ(code_of(e), "VersionMismatch");
  e = core_request("X12_278_Request_005010X217E1_2", payload);  // a 270 under the 278's type
  EXPECT_EQ(code_of(e), "PayloadTypeIllegal");
  e = core_request("X12_835_Request_005010X221A1", payload);  // a type the endpoint does not take
  EXPECT_EQ(code_of(e), "PayloadTypeIllegal");
  e = core_request("X12_276_Request_005010X212", payload);  // a 270 under the 276's type
  EXPECT_EQ(code_of(e), "PayloadTypeIllegal");
  e = core_request("X12_270_Request_005010X279A1", payload);
  e.payload_id = "not-a-uuid";
  EXPECT_EQ(code_of(e), "PayloadIDIllegal");
  // Not a CORE envelope at all: a SOAP fault, HTTP 400.
  HttpResponse r = post("/core/soap", "application/soap+xml",
                        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>");
  EXPECT_EQ(r.status, 400);
  auto fault = caqh::from_soap(r.body);
  ASSERT_TRUE(fault.fault);
  EXPECT_EQ(fault.fault->code, "env:Sender");
  EXPECT_NE(fault.fault->reason.find("DOCTYPE"), std::string::npos);
  EXPECT_EQ(post("/core/soap", "application/json", "{}").status, 415);
}

TEST_F(SandboxCore, ClaimStatusByClaimNumberIsA277) {
  CoreReply reply = soap(
      core_request("X12_276_Request_005010X212", interchange_276(claim_inquiry("C71000000101"))));
  ASSERT_EQ(reply.status, 200);
  const caqh::Envelope& a = reply.envelope();
  EXPECT_EQ(a.payload_type, "X12_277_Response_005010X212");
  expect_valid_x12(a.payload);
  std::vector<x12::ClaimStatusResponse> responses;
  auto reader = x12::Reader::from_memory(a.payload);
  x12::read_277(reader, [&](x12::ClaimStatusResponse&& r, const x12::Segment&) {
    responses.push_back(std::move(r));
    return true;
  });
  ASSERT_EQ(responses.size(), 1u) << a.payload;
  ASSERT_EQ(responses[0].claims.size(), 1u);
  const auto& claim = responses[0].claims[0];
  EXPECT_EQ(claim.trace.number, "CLAIM-TRACE-1");
  EXPECT_EQ(claim.payer_claim_number, "C71000000101");
  ASSERT_FALSE(claim.statuses.empty());
  EXPECT_EQ(claim.statuses[0].total_charge, "247");  // 185.00 + 62.00
  EXPECT_EQ(claim.statuses[0].status, status_code_of(claim.statuses[0].category).status);
  EXPECT_EQ(claim.lines.size(), 2u);
  EXPECT_EQ(claim.service.qualifier, "472");

  // Another organisation's claim, or none: A4:35.
  CoreReply none = soap(
      core_request("X12_276_Request_005010X212", interchange_276(claim_inquiry("C99999999999"))));
  EXPECT_NE(none.envelope().payload.find("STC*A4:35*"), std::string::npos)
      << none.envelope().payload;
}

TEST_F(SandboxCore, CannotRespondNowFaultIsAaa42AndNotCounted) {
  caqh::Envelope e =
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")}));
  CoreReply reply = soap(e, test::k_sandbox_password, FaultKind::core_unavailable);
  ASSERT_EQ(reply.status, 200);
  expect_valid_x12(reply.envelope().payload);
  auto r = answer_to(read_271s(reply.envelope().payload), "TRACE-0001");
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].loop, "2000A");
  EXPECT_EQ(r.rejections[0].reason, "42");
  EXPECT_EQ(r.rejections[0].follow_up, "R");
  EXPECT_TRUE(r.benefits.empty());
  auto totals = admin_get("/v1/admin/core/traces");
  EXPECT_EQ(totals.at("answers").as_int64(), 0);
  // The retry is answered, and counted once.
  EXPECT_EQ(soap(e).status, 200);
  totals = admin_get("/v1/admin/core/traces");
  EXPECT_EQ(totals.at("traces").as_int64(), 1);
  EXPECT_EQ(totals.at("answers").as_int64(), 1);
  EXPECT_EQ(totals.at("repeated").as_int64(), 0);
  // The same trace answered again is a repeat.
  EXPECT_EQ(soap(e).status, 200);
  totals = admin_get("/v1/admin/core/traces");
  EXPECT_EQ(totals.at("repeated").as_int64(), 1);
}

TEST_F(SandboxCore, ControlNumbersOfAnswersNeverRepeat) {
  caqh::Envelope e =
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14")}));
  std::set<std::string> isa13s;
  for (int i = 0; i < 3; ++i) {
    std::string p = soap(e).envelope().payload;
    isa13s.insert(p.substr(90, 9));
  }
  // A new handler (a restart) continues after the block the last one reserved.
  m_handler = make_api_handler(*m_portal);
  isa13s.insert(soap(e).envelope().payload.substr(90, 9));
  EXPECT_EQ(isa13s.size(), 4u);
}

TEST_F(SandboxCore, ClaimStatusByMemberAndDatesAndItsRefusals) {
  x12::ClaimInquiry q = claim_inquiry("");
  q.service = {"472", "2026-10-01", "2026-10-05"};
  CoreReply reply = mime(core_request("X12_276_Request_005010X212", interchange_276(q)));
  ASSERT_EQ(reply.status, 200);
  const std::string& p = reply.envelope().payload;
  expect_valid_x12(p);
  EXPECT_NE(p.find("REF*1K*C71000000101~"), std::string::npos) << p;

  x12::ClaimInquiry unknown = q;
  unknown.subscriber.id = "ACM999999";
  CoreReply refused = mime(core_request("X12_276_Request_005010X212", interchange_276(unknown)));
  expect_valid_x12(refused.envelope().payload);
  EXPECT_NE(refused.envelope().payload.find("STC*E0:33:IL*"), std::string::npos)
      << refused.envelope().payload;

  x12::ClaimInquiry born = q;
  born.date_of_birth = "1960-01-01";
  CoreReply wrong_dob = mime(core_request("X12_276_Request_005010X212", interchange_276(born)));
  EXPECT_NE(wrong_dob.envelope().payload.find("STC*E0:158:IL*"), std::string::npos)
      << wrong_dob.envelope().payload;
}

TEST(SandboxCoreFaults, CoreKindsAreNamedOnTheirOwnAndActOnCorePathsOnly) {
  auto spec = parse_fault_spec("rate=1,kinds=core-42+core-slow,seed=3,paths=/core");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->kinds,
            (std::vector<FaultKind>{FaultKind::core_unavailable, FaultKind::core_slow}));
  EXPECT_EQ(fault_spec_text(*spec), "rate=1,kinds=core-42+core-slow,seed=3,paths=/core");
  auto all = parse_fault_spec("rate=1,kinds=all");
  ASSERT_TRUE(all);
  EXPECT_TRUE(std::none_of(all->kinds.begin(), all->kinds.end(), is_core_fault))
      << "kinds=all keeps meaning the HTTP kinds";
  EXPECT_TRUE(is_core_path("/core/soap"));
  EXPECT_TRUE(is_core_path("/core/mime"));
  EXPECT_FALSE(is_core_path("/v1/eligibility"));
  EXPECT_FALSE(is_core_path("/corey"));
  FaultInjector injector(*spec);
  bool slow_seen = false;
  for (std::uint64_t n = 0; n < 50; ++n) {
    auto d = injector.decide(n);
    ASSERT_TRUE(d);
    if (d->kind == FaultKind::core_slow) {
      slow_seen = true;
      // Past CORE's 20-second real-time budget, within its 60-second connection hold.
      EXPECT_GE(d->delay, std::chrono::seconds(21));
      EXPECT_LE(d->delay, std::chrono::seconds(25));
    }
  }
  EXPECT_TRUE(slow_seen);
}

TEST(SandboxCoreNames, AccentsAreRemovedForX12AndCaseKept) {
  EXPECT_EQ(ascii_name("Zoë Brontë-Hall"), "Zoe Bronte-Hall");
  EXPECT_EQ(ascii_name("José Ángel Núñez"), "Jose Angel Nunez");
  EXPECT_EQ(ascii_name("Françoise Dubois-Lefèvre"), "Francoise Dubois-Lefevre");
  EXPECT_EQ(ascii_name("Łukasz Straße Ŷ ŷ"), "Lukasz Strasse Y y");
  EXPECT_EQ(ascii_name("O’Neil\xC2\xA0Jr"), "O'Neil Jr");
}

TEST_F(SandboxCore, AccentedRosterNamesTravelWithoutAccents) {
  CoreReply reply = soap(
      core_request("X12_270_Request_005010X279A1",
                   interchange_270({inquiry("ACM100962", "ZOE", "BRONTE-HALL", "1988-04-09")})));
  ASSERT_EQ(reply.status, 200);
  expect_valid_x12(reply.envelope().payload);
  EXPECT_NE(reply.envelope().payload.find("NM1*IL*1*Bronte-Hall*Zoe****MI*ACM100962~"),
            std::string::npos)
      << reply.envelope().payload;
}

TEST_F(SandboxCore, BatchSubmissionIsKeptOnceAndItsAckAndResultsAreRetrieved) {
  std::string payload =
      interchange_270({inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14", "ACMEC", "TRB1"),
                       inquiry("ACM100234", "JAMES", "WHITAKER", "1958-03-14", "ACMEC", "TRB2")});
  // The second set's date of birth is no date: the 999 rejects that set alone.
  const auto at = payload.rfind("DMG*D8*19580314");
  ASSERT_NE(at, std::string::npos) << payload;
  payload.replace(at, 15, "DMG*D8*19581399");
  auto send = [&](const caqh::Envelope& e) {
    caqh::Credentials c{k_email, test::k_sandbox_password};
    HttpResponse r = post("/core/soap", caqh::soap_content_type(e.message), caqh::to_soap(e, &c));
    EXPECT_EQ(r.status, 200) << r.body;
    caqh::Parsed p = caqh::from_soap(r.body);
    EXPECT_TRUE(p.envelope) << p.problem << "\n" << r.body;
    return p.envelope ? *p.envelope : caqh::Envelope{};
  };
  caqh::Envelope sub = core_request("X12_270_Request_005010X279A1", payload);
  sub.message = caqh::Message::batch_submission;
  sub.processing_mode = "Batch";
  sub.payload_length = static_cast<long long>(payload.size());
  sub.checksum = caqh::checksum(payload);
  caqh::Envelope got = send(sub);
  EXPECT_EQ(got.error_code, "Success") << got.error_message;
  EXPECT_EQ(got.message, caqh::Message::batch_submission_response);
  EXPECT_EQ(got.processing_mode, "Batch");
  // The same PayloadID and payload again: answered, not processed again.
  EXPECT_EQ(send(sub).error_code, "Success");
  // Another payload under it: refused.
  caqh::Envelope other = sub;
  other.payload = payload + " ";
  other.payload_length = static_cast<long long>(other.payload.size());
  other.checksum = caqh::checksum(other.payload);
  EXPECT_EQ(send(other).error_code, "PayloadIDIllegal");
  // Real-time mode on a batch message is refused.
  caqh::Envelope mode = sub;
  mode.processing_mode = "RealTime";
  EXPECT_EQ(send(mode).error_code, "ProcessingModeIllegal");

  auto retrieval = [&](caqh::Message m, std::string_view type) {
    caqh::Envelope e = core_request(std::string(type), "");
    e.message = m;
    e.processing_mode = "Batch";
    e.payload_id = sub.payload_id;
    return send(e);
  };
  caqh::Envelope ack = retrieval(caqh::Message::batch_ack_request, caqh::k_batch_ack_retrieval);
  ASSERT_EQ(ack.error_code, "Success") << ack.error_message;
  EXPECT_EQ(ack.payload_type, "X12_999_Response_005010X231A1");
  EXPECT_NE(ack.payload.find("AK2*270*0002"), std::string::npos) << ack.payload;
  EXPECT_NE(ack.payload.find("IK4*2**8*19581399"), std::string::npos) << ack.payload;

  ASSERT_TRUE(m_portal->update_settings({{"core_batch_delay_seconds", 600}}));
  EXPECT_EQ(retrieval(caqh::Message::batch_results_request, caqh::k_batch_results_271).error_code,
            "ResultsNotReady");
  m_portal->clock_set(k_now + std::chrono::minutes(11));
  caqh::Envelope results =
      retrieval(caqh::Message::batch_results_request, caqh::k_batch_results_271);
  ASSERT_EQ(results.error_code, "Success") << results.error_message;
  EXPECT_EQ(results.payload_type, "X12_271_Response_005010X279A1");
  auto answers = read_271s(results.payload);
  EXPECT_EQ(answer_to(answers, "TRB1").benefits.empty(), false);
  for (const auto& a : answers) EXPECT_NE(a.request_trace(), "TRB2") << "the rejected set";
  EXPECT_EQ(retrieval(caqh::Message::batch_results_ack, caqh::k_batch_ack_submission).error_code,
            "Success");
  // Another account's or an unknown PayloadID names no submission.
  caqh::Envelope unknown = core_request(std::string(caqh::k_batch_ack_retrieval), "");
  unknown.message = caqh::Message::batch_ack_request;
  unknown.processing_mode = "Batch";
  EXPECT_EQ(send(unknown).error_code, "PayloadIDIllegal");

  auto totals = admin_get("/v1/admin/core/batches");
  EXPECT_EQ(totals.at("submissions").as_int64(), 1);
  EXPECT_EQ(totals.at("resubmitted").as_int64(), 1);
  EXPECT_EQ(totals.at("acked").as_int64(), 1);
  EXPECT_EQ(admin_get("/v1/admin/core/traces").at("repeated").as_int64(), 0);
}
