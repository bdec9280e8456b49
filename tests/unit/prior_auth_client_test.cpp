// The client side of prior authorization: CSV coercion of nested fields, document files (type by
// content, symlinks, size), the checks of a case before sending, and the runner's row actions
// (several requests per row, each retried, streamed uploads) against a real HTTPS server.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "portal/api/prior_auth.hpp"
#include "portal/batch/reader.hpp"
#include "portal/batch/rows.hpp"
#include "portal/batch/runner.hpp"
#include "portal/ops/prior_auth.hpp"
#include "portal/records/content_type.hpp"
#include "portal/records/schema.hpp"
#include "portal/util/crypto.hpp"
#include "sandbox/server.hpp"
#include "sandbox/tls_certs.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;

namespace {

using portal::test::TempDir;

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

const std::string k_pdf =
    "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
// The PNG signature and an IHDR chunk (1 x 1 pixel), without its CRC: enough for libmagic.
constexpr char k_png_bytes[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x00\0\0\0";
const std::string k_png(k_png_bytes, sizeof k_png_bytes - 1);

json::object case_row() {
  return json::object{{"health_plan", "acme-commercial"}, {"solution", "radiology"},
                      {"member_id", "ACM100234"},         {"first_name", "James"},
                      {"last_name", "Whitaker"},          {"date_of_birth", "1958-03-14"},
                      {"ordering_npi", "1234567893"},     {"servicing_npi", "1245319599"},
                      {"procedures", "70551:1"},          {"diagnoses", "M54.16"},
                      {"service_start", "2026-12-01"},    {"service_end", "2027-02-28"}};
}

}  // namespace

// ---- CSV coercion of nested fields ------------------------------------------------------------

TEST(CaseCoercion, ListsSplitOnSemicolonsAndTrimTheirItems) {
  json::object r = case_row();
  r["diagnoses"] = " M54.16 ;M51.26; ";
  r["attachments"] = "a.pdf; notes/b.png";
  batch::coerce_to_schema("case", r);
  EXPECT_EQ(json::serialize(r.at("diagnoses")), R"(["M54.16","M51.26"])");
  EXPECT_EQ(json::serialize(r.at("attachments")), R"(["a.pdf","notes/b.png"])");
}

TEST(CaseCoercion, ObjectItemsComeFromColonSeparatedPartsInTheSchemasOrder) {
  json::object r = case_row();
  r["procedures"] = "70551:1;70553:2";
  batch::coerce_to_schema("case", r);
  EXPECT_EQ(json::serialize(r.at("procedures")),
            R"([{"code":"70551","units":1},{"code":"70553","units":2}])");
  EXPECT_TRUE(records::validate_record("case", r).empty());

  // A YAML list of such strings, and objects whose units are text, convert the same way.
  json::object y = case_row();
  y["procedures"] = json::array{"E0601:1", json::object{{"code", "70551"}, {"units", "3"}}};
  batch::coerce_to_schema("case", y);
  EXPECT_EQ(json::serialize(y.at("procedures")),
            R"([{"code":"E0601","units":1},{"code":"70551","units":3}])");

  // Units that are not a number stay text, so validation names the field.
  json::object bad = case_row();
  bad["procedures"] = "70551:one";
  batch::coerce_to_schema("case", bad);
  auto problems = records::validate_record("case", bad);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.front().field, "procedures[0].units");
}

TEST(CaseCoercion, DottedColumnsBecomeAMapWhoseValuesStayText) {
  json::object r = case_row();
  r["answers.q1"] = "yes";
  r["answers.q2"] = "6";
  r["answers.q3"] = "no";
  batch::coerce_to_schema("case", r);
  EXPECT_FALSE(r.contains("answers.q1"));
  EXPECT_EQ(json::serialize(r.at("answers")), R"({"q1":"yes","q2":"6","q3":"no"})");
  EXPECT_TRUE(records::validate_record("case", r).empty());
}

TEST(CaseCoercion, DottedColumnsOfAFieldThatIsNotAMapAreLeftForValidation) {
  json::object r = case_row();
  r["member_id.x"] = "1";
  batch::coerce_to_schema("case", r);
  EXPECT_TRUE(r.contains("member_id.x"));
  EXPECT_FALSE(records::validate_record("case", r).empty());
}

TEST(CaseCoercion, EligibilityRowsAreUnchanged) {
  json::object r{{"member_id", "ACM100234"}, {"provider_npi", 1234567893}};
  batch::coerce_to_schema("eligibility", r);
  EXPECT_EQ(r.at("provider_npi").as_string(), "1234567893");
}

// ---- document files ---------------------------------------------------------------------------

TEST(DocumentFiles, TypesComeFromContentNotNames) {
  EXPECT_EQ(records::content_type_of(k_pdf), "application/pdf");
  EXPECT_EQ(records::content_type_of(k_png), "image/png");
  EXPECT_EQ(records::content_type_of("just some text\n"), "text/plain");
  EXPECT_EQ(records::describe_content_types(records::k_document_content_types),
            "PDF, TIFF, JPEG or PNG");
}

TEST(DocumentFiles, ChecksRefuseTextNamedPdfSymlinksMissingAndOversizedFiles) {
  TempDir dir;
  const auto& allowed = records::k_document_content_types;
  write_file(dir.path() / "ok.pdf", k_pdf);
  write_file(dir.path() / "fake.pdf", "not a pdf at all\n");
  fs::create_symlink(dir.path() / "ok.pdf", dir.path() / "link.pdf");

  auto ok = records::check_document_file(dir.path() / "ok.pdf", 1 << 20, allowed);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->content_type, "application/pdf");
  EXPECT_EQ(ok->size, k_pdf.size());

  auto fake = records::check_document_file(dir.path() / "fake.pdf", 1 << 20, allowed);
  ASSERT_FALSE(fake);
  EXPECT_NE(fake.error().message.find("text/plain"), std::string::npos) << fake.error().message;

  auto link = records::check_document_file(dir.path() / "link.pdf", 1 << 20, allowed);
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message.find("symbolic link"), std::string::npos);

  EXPECT_FALSE(records::check_document_file(dir.path() / "missing.pdf", 1 << 20, allowed));
  EXPECT_FALSE(records::check_document_file(dir.path(), 1 << 20, allowed));

  auto big = records::check_document_file(dir.path() / "ok.pdf", 10, allowed);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("at most 10 bytes"), std::string::npos) << big.error().message;
}

TEST(DocumentFiles, Sha256OfAFileMatchesTheDigestOfItsBytes) {
  TempDir dir;
  std::string bytes(3 * 1024 * 1024 + 17, 'x');
  write_file(dir.path() / "f", bytes);
  auto sha = records::sha256_of_file(dir.path() / "f");
  ASSERT_TRUE(sha);
  EXPECT_EQ(*sha, sha256_hex(bytes));
}

// ---- checks of a case before sending ----------------------------------------------------------

TEST(CaseChecks, DatesInfoAndAttachmentsRelativeToTheBatchFile) {
  TempDir dir;
  fs::create_directories(dir.path() / "docs");
  write_file(dir.path() / "docs" / "notes.pdf", k_pdf);
  write_file(dir.path() / "docs" / "fake.pdf", "text\n");
  json::object r = case_row();
  r["attachments"] = json::array{"docs/notes.pdf", "docs/fake.pdf", "docs/none.pdf"};
  r["service_end"] = "2026-11-30";
  api::PortalLimits limits;
  limits.announced = true;
  limits.additional_info_max_chars = 5;
  r["additional_info"] = "ééééé";  // 5 characters, 10 bytes: within the limit
  batch::coerce_to_schema("case", r);
  auto problems = ops::check_case(r, dir.path(), limits);
  std::map<std::string, std::string> by_field;
  for (const auto& p : problems) by_field[p.field] = p.message;
  EXPECT_EQ(by_field.count("attachments[0]"), 0u);
  EXPECT_NE(by_field["attachments[1]"].find("text/plain"), std::string::npos);
  EXPECT_EQ(by_field["attachments[2]"], "no such file");
  EXPECT_EQ(by_field["service_end"], "is before service_start");
  EXPECT_EQ(by_field.count("additional_info"), 0u);
  r["additional_info"] = "123456";
  problems = ops::check_case(r, dir.path(), limits);
  bool named = false;
  for (const auto& p : problems)
    named |= p.field == "additional_info" && p.message.find("at most 5") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(CaseChecks, TheSchemaNamesTheGenericAdditionalInfoMaximum) {
  EXPECT_EQ(api::schema_additional_info_max_chars(), 4000u);
  json::object r = case_row();
  batch::coerce_to_schema("case", r);
  r["additional_info"] = std::string(4001, 'a');
  auto problems = records::validate_record("case", r);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "additional_info");
  EXPECT_NE(problems[0].message.find("4000"), std::string::npos);
}

TEST(CaseChecks, AdditionalInfoWithinTheLimitThePortalAnnouncedForTheSolution) {
  auto limits = api::parse_limits(json::parse(R"({"additional_info_max_chars": 3000,
      "per_solution": {"sleep": {"additional_info_max_chars": 1000},
                       "radiology": {"additional_info_max_chars": 2000}}})")
                                      .as_object());
  json::object r = case_row();
  batch::coerce_to_schema("case", r);
  auto info_problem = [&](std::string solution, std::size_t chars) {
    r["solution"] = solution;
    r["additional_info"] = std::string(chars, 'a');
    for (const auto& p : ops::check_case(r, {}, limits)) {
      if (p.field == "additional_info") return p.message;
    }
    return std::string();
  };
  EXPECT_EQ(info_problem("sleep", 1000), "");
  EXPECT_EQ(info_problem("sleep", 1001),
            "is too long: 1001 characters, the portal accepts at most 1000 for the sleep solution");
  EXPECT_EQ(info_problem("radiology", 1001), "");
  EXPECT_NE(info_problem("radiology", 2001).find("at most 2000 for the radiology"),
            std::string::npos);
  // A solution the portal states nothing for: its generic limit.
  EXPECT_EQ(info_problem("cardiology", 3000), "");
  EXPECT_EQ(info_problem("cardiology", 3001),
            "is too long: 3001 characters, the portal accepts at most 3000");
  // Nothing announced: the schema's maxLength (validation's) is the only bound.
  limits = api::PortalLimits{};
  EXPECT_EQ(info_problem("sleep", 3999), "");
}

TEST(PortalLimitsTest, ParsedFromTheAnswerWithDefaultsForWhatIsMissing) {
  auto l = api::parse_limits(
      json::parse(R"({"document_max_bytes": 1000, "document_content_types": ["application/pdf"]})")
          .as_object());
  EXPECT_TRUE(l.announced);
  EXPECT_EQ(l.document_max_bytes, 1000u);
  EXPECT_EQ(l.document_content_types, std::vector<std::string>{"application/pdf"});
  EXPECT_EQ(l.additional_info_max_chars, api::schema_additional_info_max_chars());
  EXPECT_TRUE(l.additional_info_max_chars_by_solution.empty());
  EXPECT_FALSE(api::PortalLimits{}.announced);
}

TEST(PortalLimitsTest, PerSolutionLimitsSurviveTheCacheForm) {
  auto l = api::parse_limits(json::parse(R"({"additional_info_max_chars": 4000,
      "per_solution": {"sleep": {"additional_info_max_chars": 1000}, "odd": 7,
                       "bad": {"additional_info_max_chars": -3}},
      "document_max_bytes": 1000})")
                                 .as_object());
  EXPECT_EQ(l.additional_info_max_for("sleep"), 1000u);
  EXPECT_EQ(l.additional_info_max_for("odd"), 4000u);
  EXPECT_EQ(l.additional_info_max_for("bad"), 4000u);
  auto again = api::parse_limits(api::limits_json(l));
  EXPECT_EQ(again.additional_info_max_chars_by_solution, l.additional_info_max_chars_by_solution);
  EXPECT_EQ(again.additional_info_max_chars, 4000u);
  EXPECT_EQ(again.document_max_bytes, 1000u);
  EXPECT_EQ(again.document_content_types, l.document_content_types);
}

TEST(CaseOperation, APortalRefusalForTheLimitIsTold) {
  wire::Result r;
  r.outcome = "rejected";
  r.errors = {{"additional_info",
               "additional_info_too_long: additional_info has 1001 characters; the sleep solution "
               "accepts at most 1000"}};
  EXPECT_TRUE(ops::refused_for_limit(r));
  r.errors = {{"answers.q1", "answer_missing: q1 is required"}};
  EXPECT_FALSE(ops::refused_for_limit(r));
  r.outcome = "ok";
  EXPECT_FALSE(ops::refused_for_limit(r));
}

// ---- row actions in the runner -----------------------------------------------------------------

namespace {

// Cases and documents: the first attempt of every request gets 503, a document whose bytes do
// not match X-Content-SHA256 gets 422; every request is recorded by its idempotency key.
struct FakeCasePortal {
  std::mutex mutex;
  std::map<std::string, int> attempts;              // key -> attempts
  std::map<std::string, std::string> uploaded_sha;  // key -> sha of the body received
  std::vector<std::string> filenames;
  int orders = 0;

  sandbox::HttpResponse handle(const sandbox::HttpRequest& req) {
    sandbox::HttpResponse res;
    std::lock_guard lock(mutex);
    auto key = req.header("idempotency-key");
    if (req.method == "GET") {
      res.body = R"({"order_id":"ORD-1","status":"pended"})";
      return res;
    }
    if (++attempts[key] == 1) {
      res.status = 503;
      res.headers.emplace_back("Retry-After", "0");
      res.body = R"({"error":{"code":"unavailable","message":"busy"}})";
      return res;
    }
    if (req.path == "/v1/cases") {
      auto body = json::parse(req.body).as_object();
      EXPECT_FALSE(body.contains("attachments"));
      EXPECT_FALSE(body.contains("ref"));
      res.status = 201;
      res.body =
          R"({"order_id":"ORD-1","status":"needs-documents","documents_required":[{"document_type":"clinical_notes","description":"notes"}]})";
      ++orders;
      return res;
    }
    std::string sha = req.body_file.empty() ? sha256_hex(req.body) : req.body_sha256;
    EXPECT_EQ(key.size(), 64u);
    uploaded_sha[key] = sha;
    filenames.push_back(req.query.count("filename") ? req.query.at("filename") : "");
    if (sha != req.header("x-content-sha256")) {
      res.status = 422;
      res.body = R"({"error":{"code":"checksum_mismatch","message":"the bytes do not match"}})";
      return res;
    }
    res.status = 201;
    res.body = json::serialize(json::object{{"document_id", "DOC-1"},
                                            {"sha256", sha},
                                            {"document_type", req.query.at("document_type")}});
    return res;
  }
};

}  // namespace

TEST(RowActions, EachRequestOfARowIsRetriedAndTheFileIsStreamedIntact) {
  TempDir dir;
  batch::stop_flag() = false;
  auto certs = sandbox::ensure_certificates(dir.path() / "tls", {"127.0.0.1"});
  ASSERT_TRUE(certs) << certs.error().message;
  FakeCasePortal portal;
  sandbox::ServerOptions o;
  o.cert_file = certs->server_cert.string();
  o.key_file = certs->server_key.string();
  // This server never answers `Expect: 100-continue`: the client sends the body after waiting.
  o.body_limit = 8u << 20;
  auto server =
      sandbox::Server::create(o, [&](const sandbox::HttpRequest& r) { return portal.handle(r); });
  ASSERT_TRUE(server) << server.error().message;
  std::thread thread([&] { (*server)->run(); });

  // A 3 MiB PDF (over the Expect: 100-continue threshold) in a sub-directory of the batch.
  fs::create_directories(dir.path() / "docs");
  std::string big = k_pdf + std::string(3u << 20, 'z');
  write_file(dir.path() / "docs" / "notes.pdf", big);
  json::object row = case_row();
  row["ref"] = "case-1";
  row["procedures"] = json::array{json::object{{"code", "70551"}, {"units", 1}}};
  row["diagnoses"] = json::array{"M54.16"};
  row["attachments"] = json::array{"docs/../docs/notes.pdf"};
  std::istringstream in(json::serialize(row) + "\n");
  auto reader = batch::make_reader(batch::Format::jsonl, in, "cases.jsonl");

  batch::Transport t;
  t.token = "token-1";
  http::ClientOptions co;
  co.base_url = "https://127.0.0.1:" + std::to_string((*server)->port());
  co.tls.ca_file = certs->ca_cert.string();
  t.connect = [co] { return http::Client::create(co); };
  batch::RunOptions ro;
  ro.concurrency = 1;
  ro.use_journal = false;
  ro.base_delay = std::chrono::milliseconds(1);
  ro.input_name = "cases.jsonl";
  std::ostringstream out, err;
  auto wire = wire::make(wire::k_default);
  ASSERT_TRUE(wire);
  auto op = ops::case_operation(*wire, dir.path(), {});
  ASSERT_TRUE(op);
  auto summary = batch::run_batch(*op, *reader, t, ro, out, err);
  (*server)->stop();
  thread.join();
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->ok, 1u) << out.str() << err.str();
  EXPECT_EQ(summary->retried, 2u);  // the case and the document, once each
  auto result = json::parse(out.str()).as_object();
  EXPECT_EQ(result.at("answer").at("status").as_string(), "pended");
  EXPECT_EQ(result.at("answer").at("documents_uploaded").as_int64(), 1);
  EXPECT_EQ(portal.orders, 1);
  ASSERT_EQ(portal.uploaded_sha.size(), 1u);
  EXPECT_EQ(portal.uploaded_sha.begin()->second, sha256_hex(big));
  ASSERT_FALSE(portal.filenames.empty());
  EXPECT_EQ(portal.filenames.back(), "notes.pdf");  // never the directories above it
  // The case's key is the row's key + ":case"; the document's is derived from both.
  auto key = batch::idempotency_key("case", row);
  EXPECT_EQ(portal.attempts.count(key + ":case"), 1u);
}
