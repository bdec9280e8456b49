// The sandbox's CORE endpoint taking the 275 that carries a 278's attachment (docs/core.md,
// section 9.2), in process through the API handler with a real portal over SQLite: the 278 for
// examples/cases.yaml's case-0003 announces its clinical notes (PWK06), the 275 carrying them
// (raw bytes over MIME, a base64 MIME entity over SOAP) attaches them to that order through the
// JSON API's upload (needs-documents becomes pended), the same 275 again attaches nothing more,
// and a 999 names a TRN02 nobody announced or a document the API refuses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "caqh/envelope.hpp"
#include "caqh/fields.hpp"
#include "sandbox/api.hpp"
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

const fs::path k_examples = PORTAL_TEST_DATA_DIR "/../../examples";
const SysTime k_now = *parse_iso8601("2026-11-17T15:00:00Z");
const std::string k_email = "alice@lakeshore.example";
constexpr const char* k_278_type = "X12_278_Request_005010X217E1_2";
constexpr const char* k_275_type = "X12_275_Request_005010X210E1_2";
constexpr const char* k_control = "CASE0003-NOTES";

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// case-0003 (radiology, needs-documents: no conservative care yet) with its notes announced.
x12::ServiceReview needs_documents_case() {
  x12::ServiceReview r;
  r.reference = "CASE0003";
  r.umo = {"X3", '2', "ACME HEALTH", "", "", "PI", "ACMEC"};
  r.requester = {"1P", '2', "LAKESHORE FAMILY MEDICINE", "", "", "XX", "1234567893"};
  r.subscriber = {"IL", '1', "CHEN", "ROBERT", "", "MI", "ACM100552"};
  r.date_of_birth = "1971-11-05";
  r.traces = {{"1", "CASE0003TRACE", "9LAKESHORE", ""}};
  r.category = "HS";
  r.certification_type = "I";
  r.dates = {{"AAH", "2026-12-01", "2027-02-28"}};
  r.diagnoses = {{"ABK", "M5416", ""}, {"ABF", "M5126", ""}};
  r.paperwork = {{"77", "EL", k_control, "CLINICAL NOTES"}};
  r.message = "solution=radiology;q1=no;q2=8;q3=no";
  r.providers = {{{"SJ", '2', "SERVICING", "", "", "XX", "1245319599"}, "", "", {}}};
  x12::ReviewService s;
  s.procedure = "72148";
  s.quantity = "1";
  r.services = {s};
  return r;
}

x12::Writer begin(std::string_view functional_id, std::string_view version, int control) {
  x12::InterchangeHeader h;
  h.sender_id = "LAKESHORE";
  h.receiver_id = "PROVPORTALSBX";
  h.time = std::chrono::floor<std::chrono::seconds>(k_now);
  x12::Writer w;
  w.begin_interchange(h, static_cast<std::uint32_t>(control));
  w.begin_group(functional_id, "LAKESHORE", "PROVPORTALSBX", version,
                static_cast<std::uint32_t>(control));
  return w;
}

std::string finish(x12::Writer& w) {
  w.end_group();
  w.end_interchange();
  EXPECT_TRUE(w.status()) << x12::to_string(w.status().error());
  return w.out();
}

std::string request_278() {
  x12::Writer w = begin("HI", "005010X217", 301);
  x12::write_278(w, 1, needs_documents_case());
  return finish(w);
}

std::string request_275(std::string_view control, std::string_view document, int isa = 302) {
  x12::Attachment a;
  a.reference = std::string(control);
  a.payer = {"PR", '2', "ACME HEALTH", "", "", "PI", "ACMEC"};
  a.provider = {"1P", '2', "LAKESHORE FAMILY MEDICINE", "", "", "XX", "1234567893"};
  a.patient = {"QC", '1', "CHEN", "ROBERT", "", "MI", "ACM100552"};
  a.control = {"1", std::string(control), "", ""};
  x12::Writer w = begin("PI", "005010X210", isa);
  x12::write_275(w, 1, a, document);
  return finish(w);
}

class SandboxCore275 : public ::testing::Test {
 protected:
  void SetUp() override {
    m_portal = std::make_unique<Portal>(m_dir.path());
    m_portal->load_seed(k_examples / "sandbox");
    m_portal->clock_set(k_now);
    test::register_active(*m_portal, m_dir.path(), {.email = k_email});
    m_handler = make_api_handler(*m_portal);
  }

  caqh::Envelope envelope(const char* type, const std::string& payload) {
    caqh::Envelope e;
    e.payload_type = type;
    e.payload_id = caqh::new_payload_id();
    e.timestamp = "2026-11-17T15:00:00Z";
    e.sender_id = "LAKESHORE";
    e.receiver_id = "PROVPORTALSBX";
    e.payload = payload;
    return e;
  }

  caqh::Envelope soap(const char* type, const std::string& payload) {
    caqh::Credentials c{k_email, test::k_sandbox_password};
    HttpRequest req;
    req.method = "POST";
    req.target = req.path = "/core/soap";
    req.headers.emplace_back("content-type",
                             caqh::soap_content_type(caqh::Message::real_time_request));
    req.body = caqh::to_soap(envelope(type, payload), &c);
    HttpResponse r = m_handler(req);
    EXPECT_EQ(r.status, 200) << r.body;
    caqh::Parsed parsed = caqh::from_soap(r.body);
    EXPECT_TRUE(parsed.envelope) << parsed.problem << "\n" << r.body;
    return parsed.envelope ? *parsed.envelope : caqh::Envelope{};
  }

  caqh::Envelope mime(const char* type, const std::string& payload) {
    caqh::Credentials c{k_email, test::k_sandbox_password};
    const std::string boundary = caqh::new_boundary();
    HttpRequest req;
    req.method = "POST";
    req.target = req.path = "/core/mime";
    req.headers.emplace_back("content-type", caqh::mime_content_type(boundary));
    req.body = caqh::to_mime(envelope(type, payload), boundary, &c);
    HttpResponse r = m_handler(req);
    EXPECT_EQ(r.status, 200) << r.body;
    caqh::Parsed parsed = caqh::from_mime(r.content_type, r.body);
    EXPECT_TRUE(parsed.envelope) << parsed.problem << "\n" << r.body;
    return parsed.envelope ? *parsed.envelope : caqh::Envelope{};
  }

  // The order case-0003's 278 made (needs-documents), by its HCR02.
  std::string submit_278() {
    const caqh::Envelope a = soap(k_278_type, request_278());
    std::vector<x12::ServiceReview> responses;
    auto reader = x12::Reader::from_memory(a.payload);
    x12::read_278(reader, [&](x12::ServiceReview&& r, const x12::Segment&) {
      responses.push_back(std::move(r));
      return true;
    });
    EXPECT_EQ(responses.size(), 1u) << a.payload;
    if (responses.empty()) return {};
    EXPECT_EQ(responses[0].decision.action, "A4") << a.payload;
    EXPECT_EQ(responses[0].decision.reason, "0U") << a.payload;
    return responses[0].decision.certification;
  }

  json::object order(const std::string& order_id) {
    if (m_token.empty()) m_token = test::sign_in(*m_portal, m_dir.path(), k_email);
    HttpRequest req;
    req.method = "GET";
    req.target = req.path = "/v1/cases/" + order_id;
    req.headers.emplace_back("authorization", "Bearer " + m_token);
    HttpResponse r = m_handler(req);
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = json::parse(r.body);
    return v.is_object() ? v.as_object() : json::object{};
  }

  // The set verdicts of a 999 answer.
  std::vector<x12::SetAck> sets_of(const caqh::Envelope& answer) {
    EXPECT_EQ(answer.payload_type, "X12_999_Response_005010X231A1") << answer.payload;
    const x12::Acknowledgements acks = x12::read_acknowledgements(answer.payload);
    EXPECT_EQ(acks.groups.size(), 1u) << answer.payload;
    if (acks.groups.empty()) return {};
    EXPECT_EQ(acks.groups[0].functional_id, "PI");
    return acks.groups[0].sets;
  }

  test::TempDir m_dir;
  std::unique_ptr<Portal> m_portal;
  Handler m_handler;
  std::string m_token;
};

}  // namespace

TEST_F(SandboxCore275, TheDocumentReachesThe278sOrderAsAnUploadWouldOnce) {
  const std::string order_id = submit_278();
  ASSERT_TRUE(order_id.starts_with("ORD-")) << order_id;
  EXPECT_EQ(order(order_id).at("status").as_string(), "needs-documents");

  // The PDF's bytes as they are, over MIME (binary-safe).
  const std::string pdf = file_bytes(k_examples / "documents" / "clinical-notes.pdf");
  ASSERT_TRUE(pdf.starts_with("%PDF-"));
  const std::string payload = request_275(k_control, pdf);
  ASSERT_TRUE(x12::validate(payload).ok());
  const std::vector<x12::SetAck> sets = sets_of(mime(k_275_type, payload));
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].status, 'A');
  EXPECT_EQ(sets[0].set_id, "275");

  json::object o = order(order_id);
  EXPECT_EQ(o.at("status").as_string(), "pended") << json::serialize(o);
  ASSERT_EQ(o.at("documents").as_array().size(), 1u) << json::serialize(o);
  const json::object& doc = o.at("documents").as_array()[0].as_object();
  EXPECT_EQ(doc.at("document_type").as_string(), "clinical_notes");
  EXPECT_EQ(doc.at("content_type").as_string(), "application/pdf");
  EXPECT_EQ(doc.at("size").as_int64(), static_cast<std::int64_t>(pdf.size()));

  // The same 275 again (and the document as a base64 MIME entity over SOAP) attaches nothing
  // more.
  EXPECT_EQ(sets_of(mime(k_275_type, payload))[0].status, 'A');
  const std::string entity =
      "Content-Type: application/pdf\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n" +
      caqh::detail::base64_encode(pdf) + "\r\n";
  EXPECT_EQ(sets_of(soap(k_275_type, request_275(k_control, entity, 303)))[0].status, 'A');
  o = order(order_id);
  EXPECT_EQ(o.at("documents").as_array().size(), 1u) << json::serialize(o);
  EXPECT_EQ(o.at("status").as_string(), "pended");
}

TEST_F(SandboxCore275, A999NamesAnUnknownControlNumberOrARefusedDocument) {
  const std::string order_id = submit_278();
  // Nobody announced this control number.
  std::vector<x12::SetAck> sets = sets_of(mime(k_275_type, request_275("NOBODY-1", "%PDF-1.4")));
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].status, 'R');
  ASSERT_FALSE(sets[0].segments.empty());
  EXPECT_EQ(sets[0].segments[0].segment_id, "TRN");
  ASSERT_FALSE(sets[0].segments[0].elements.empty());
  EXPECT_EQ(sets[0].segments[0].elements[0].position, 2);

  // Not a PDF, TIFF, JPEG or PNG (judged by content), with delimiters, NUL and 0xFF in it.
  std::string odd = "hello*~^:";
  odd += '\0';
  odd += "\xFF";
  sets = sets_of(mime(k_275_type, request_275(k_control, odd)));
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].status, 'R');
  ASSERT_FALSE(sets[0].segments.empty());
  EXPECT_EQ(sets[0].segments[0].segment_id, "BIN");
  EXPECT_EQ(order(order_id).at("status").as_string(), "needs-documents");
  EXPECT_TRUE(order(order_id).at("documents").as_array().empty());

  // A 275 that breaks the guide gets the 999 of its finding, like any payload.
  std::string bad = request_275(k_control, "%PDF-1.4");
  bad.replace(bad.find("CAT*AE*"), 7, "CAT*ZZ*");
  sets = sets_of(mime(k_275_type, bad));
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].status, 'R');
  EXPECT_TRUE(order(order_id).at("documents").as_array().empty());
}
