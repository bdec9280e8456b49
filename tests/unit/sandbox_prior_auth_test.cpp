// Prior authorization in the sandbox, through the API handler with real sessions: the solutions
// seed, adjudication (approved, pended, needs-documents, every rejection, duplicates), the review
// on the sandbox clock, administrator decisions, letters as PDFs, document uploads, order search
// and its pages, organisation scoping, and idempotent case creation across a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/adjudication.hpp"
#include "sandbox/api.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/orders.hpp"
#include "sandbox/portal.hpp"
#include "sandbox/rules.hpp"
#include "sandbox/solutions.hpp"
#include "sandbox_accounts.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

const fs::path k_seed_dir = PORTAL_TEST_DATA_DIR "/../../examples/sandbox";
// Tuesday 2026-11-17, 09:00 in Chicago: outside the maintenance window.
const SysTime k_t0 = *parse_iso8601("2026-11-17T15:00:00Z");

const std::string k_png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, '\x01');
const std::string k_pdf = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

class PriorAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("portal-prior-auth-" + random_token(6));
    start();
    m_alice = session_of("alice@lakeshore.example", "Alice", "1234567893", "36-1234567");
    m_carol = session_of("carol@prairie.example", "Carol", "1245319599", "37-7654321");
    std::ifstream in(m_portal->accounts().admin_token_file());
    std::getline(in, m_admin);
  }
  void TearDown() override {
    stop();
    fs::remove_all(m_dir);
  }

  void start() {
    m_portal = std::make_unique<Portal>(m_dir);
    m_portal->load_seed(k_seed_dir);
    m_portal->clock_set(k_t0);
    m_handler = make_api_handler(*m_portal);
  }
  void stop() {
    m_handler = nullptr;
    m_portal.reset();
  }

  std::string newest_code(const std::string& purpose) { return test::newest_code(m_dir, purpose); }

  std::string session_of(const std::string& email, const std::string& first_name,
                         const std::string& npi, const std::string& tax_id) {
    test::register_active(*m_portal, m_dir,
                          {.email = email, .first_name = first_name, .npi = npi, .tax_id = tax_id});
    return sign_in(email);
  }

  std::string sign_in(const std::string& email) { return test::sign_in(*m_portal, m_dir, email); }

  HttpResponse call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = {},
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = method;
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string rest = target.substr(q + 1);
      std::stringstream ss(rest);
      for (std::string item; std::getline(ss, item, '&');) {
        auto eq = item.find('=');
        req.query.emplace(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
      }
    }
    req.headers.emplace_back("authorization", "Bearer " + token);
    for (auto& h : headers) req.headers.push_back(std::move(h));
    req.body = body;
    return m_handler(req);
  }
  HttpResponse post_case(const std::string& token, const json::object& c,
                         const std::string* key = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (key) headers.emplace_back("idempotency-key", *key);
    return call("POST", "/v1/cases", token, json::serialize(c), headers);
  }
  HttpResponse upload(const std::string& token, const std::string& order_id,
                      const std::string& bytes, const std::string& type = "clinical_notes",
                      const std::string& filename = "notes.pdf",
                      std::optional<std::string> sha = std::nullopt) {
    return call(
        "POST",
        "/v1/cases/" + order_id + "/documents?document_type=" + type + "&filename=" + filename,
        token, bytes,
        {{"content-type", "application/pdf"},
         {"x-content-sha256", sha.value_or(sha256_hex(bytes))}});
  }

  static json::object body_of(const HttpResponse& r) { return json::parse(r.body).as_object(); }
  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }
  static std::string str(const json::value& v) { return std::string(v.as_string()); }
  // The reason codes of a 422 case_rejected answer.
  static std::vector<std::string> reasons(const HttpResponse& r) {
    std::vector<std::string> out;
    if (r.status != 422) return out;
    auto e = body_of(r).at("error").as_object();
    if (e.at("code") != "case_rejected") return out;
    for (const auto& reason : e.at("reasons").as_array()) out.push_back(str(reason.at("code")));
    return out;
  }

  // A radiology case for James Whitaker (acme-commercial) that the criteria approve at once.
  static json::object radiology(json::object answers = {{"q1", "yes"}, {"q2", 8}, {"q3", false}}) {
    return {{"health_plan", "acme-commercial"},
            {"solution", "radiology"},
            {"member_id", "ACM100234"},
            {"first_name", "James"},
            {"last_name", "Whitaker"},
            {"date_of_birth", "1958-03-14"},
            {"ordering_npi", "1234567893"},
            {"servicing_npi", "1245319599"},
            {"procedures", json::array{json::object{{"code", "72148"}, {"units", 1}}}},
            {"diagnoses", json::array{"M54.16", "M5126"}},
            {"service_start", "2026-12-01"},
            {"service_end", "2026-12-31"},
            {"urgency", "routine"},
            {"answers", std::move(answers)}};
  }
  // radiology() for another service period (ending on December `end_day`): after an approval,
  // the same member, codes and dates would be a duplicate_order.
  static json::object radiology_ending(int end_day) {
    auto c = radiology();
    c["service_end"] = "2026-12-" + std::to_string(end_day);
    return c;
  }
  static json::object pended_radiology() {
    return radiology({{"q1", "yes"}, {"q2", 4}, {"q3", "no"}});
  }
  static json::object needs_notes_radiology() {
    return radiology({{"q1", "no"}, {"q2", 2}, {"q3", "no"}});
  }

  std::string create(const json::object& c, const std::string& expected_status) {
    auto r = post_case(m_alice, c);
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    auto order = body_of(r);
    EXPECT_EQ(order.at("status"), expected_status.c_str()) << r.body;
    return str(order.at("order_id"));
  }

  fs::path m_dir;
  std::unique_ptr<Portal> m_portal;
  Handler m_handler;
  std::string m_alice, m_carol, m_admin;
};

TEST(Solutions, TheSeedHasEverySolutionWithQuestionsAndCriteria) {
  auto catalog = SolutionCatalog::load(k_seed_dir);
  std::set<std::string> ids;
  bool some_acmp = false, some_without = false;
  for (const auto& s : catalog.solutions()) {
    ids.insert(s.id);
    EXPECT_FALSE(s.name.empty());
    EXPECT_FALSE(s.code_ranges.empty()) << s.id;
    EXPECT_FALSE(s.questions.empty()) << s.id;
    EXPECT_FALSE(s.criteria.empty()) << s.id;
    (s.acmp ? some_acmp : some_without) = true;
  }
  EXPECT_EQ(ids, (std::set<std::string>{"radiology", "cardiology", "sleep", "musculoskeletal",
                                        "genetic_testing", "dmepos", "home_health", "post_acute",
                                        "wound_care"}));
  EXPECT_TRUE(some_acmp && some_without);
  const Solution* r = catalog.find("radiology");
  ASSERT_NE(r, nullptr);
  for (const char* c : {"70551", "70553", "72148", "72158", "74177", "71250"})
    EXPECT_TRUE(r->covers(c)) << c;
  EXPECT_FALSE(r->covers("93306"));
  EXPECT_FALSE(r->covers("E0601"));
  EXPECT_TRUE(catalog.find("sleep")->covers("G0399"));
  EXPECT_TRUE(catalog.find("dmepos")->covers("K0003"));
}

TEST(Solutions, InconsistentRulesAreRefusedWithTheEntry) {
  auto message_of = [](const char* yaml) -> std::string {
    try {
      SolutionCatalog::parse(yaml, "test.yaml");
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return {};
  };
  EXPECT_EQ(message_of("solutions: []"), "");
  EXPECT_NE(message_of(R"(solutions:
  - {id: x, name: X, procedure_codes: ["7055"]})")
                .find("7055"),
            std::string::npos);
  EXPECT_NE(message_of(R"(solutions:
  - id: x
    name: X
    procedure_codes: ["70551"]
    questions: [{id: q1, type: yes_no, text: T}]
    criteria: [{when: {q9: yes}, outcome: approved}])")
                .find("q9"),
            std::string::npos);
  EXPECT_NE(message_of(R"(solutions:
  - id: x
    name: X
    procedure_codes: ["70551"]
    criteria: [{outcome: needs-documents, documents: [{type: selfie}]}])")
                .find("selfie"),
            std::string::npos);
}

TEST(Solutions, EachCarriesItsAdditionalInfoLimitWithinTheSchemaMaximum) {
  auto catalog = SolutionCatalog::parse(R"(solutions:
  - {id: a, name: A, procedure_codes: ["70551"]}
  - {id: b, name: B, procedure_codes: ["70551"], additional_info_max_chars: 4000}
  - {id: c, name: C, procedure_codes: ["70551"], additional_info_max_chars: 750})");
  EXPECT_EQ(catalog.find("a")->additional_info_max_chars, k_additional_info_max_chars_default);
  EXPECT_EQ(catalog.find("b")->additional_info_max_chars, 4000u);
  EXPECT_EQ(catalog.find("c")->additional_info_max_chars, 750u);
  EXPECT_EQ(solution_json(*catalog.find("c")).at("additional_info_max_chars"), 750);
  for (const char* bad : {"4001", "0", "12.5", "many"}) {
    std::string message;
    try {
      SolutionCatalog::parse(std::string("solutions:\n  - {id: x, name: X, procedure_codes: "
                                         "[\"70551\"], additional_info_max_chars: ") +
                             bad + "}");
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("additional_info_max_chars must be a whole number from 1 to 4000"),
              std::string::npos)
        << bad << ": " << message;
  }
}

TEST(Solutions, APlanNamingAnUnknownSolutionIsASeedError) {
  fs::path dir = fs::temp_directory_path() / ("portal-seed-" + random_token(6));
  fs::create_directories(dir / "seed");
  std::ofstream(dir / "seed" / "plans.yaml") << R"(plans:
  - {id: p1, name: Plan One, type: hmo, member_id_pattern: "P1[0-9]{6}", benefits: {prior_authorization: [radiology, teleportation]}}
)";
  std::ofstream(dir / "seed" / "solutions.yaml") << R"(solutions:
  - {id: radiology, name: Imaging, procedure_codes: ["70551"]}
)";
  std::string message;
  try {
    Portal portal(dir / "data");
    portal.load_seed(dir / "seed");
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  fs::remove_all(dir);
  EXPECT_NE(message.find("teleportation"), std::string::npos) << message;
}

TEST_F(PriorAuth, LimitsAndSolutionsPerPlan) {
  auto limits = body_of(call("GET", "/v1/limits", ""));
  // Each solution's own additional_info limit (the seeds make them differ); the top-level
  // value is the largest of them.
  EXPECT_EQ(limits.at("additional_info_max_chars"), 4000);
  const auto& per = limits.at("per_solution").as_object();
  EXPECT_EQ(per.size(), 9u);
  EXPECT_EQ(per.at("radiology").at("additional_info_max_chars"), 2000);
  EXPECT_EQ(per.at("sleep").at("additional_info_max_chars"), 1000);
  EXPECT_EQ(per.at("genetic_testing").at("additional_info_max_chars"), 4000);
  EXPECT_EQ(limits.at("document_max_bytes"), 268435456);
  EXPECT_EQ(limits.at("search_page_size_max"), 100);
  EXPECT_EQ(limits.at("document_content_types").as_array().size(), 4u);
  EXPECT_EQ(limits.at("document_types").as_array().size(), 5u);

  auto all = call("GET", "/v1/solutions", m_alice);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(body_of(all).at("solutions").as_array().size(), 9u);
  auto commercial = body_of(call("GET", "/v1/solutions?health_plan=acme-commercial", m_alice));
  std::set<std::string> ids;
  for (const auto& s : commercial.at("solutions").as_array()) ids.insert(str(s.at("id")));
  EXPECT_EQ(ids, (std::set<std::string>{"radiology", "cardiology", "sleep", "musculoskeletal",
                                        "genetic_testing"}));
  for (const auto& sol : commercial.at("solutions").as_array()) {
    EXPECT_EQ(sol.at("additional_info_max_chars"),
              per.at(str(sol.at("id"))).at("additional_info_max_chars"));
  }
  const auto& q =
      commercial.at("solutions").as_array()[0].at("questions").as_array()[0].as_object();
  EXPECT_EQ(q.at("id"), "q1");
  EXPECT_EQ(q.at("type"), "yes_no");
  EXPECT_EQ(q.at("required"), true);
  EXPECT_EQ(call("GET", "/v1/solutions?health_plan=acme-gold", m_alice).status, 404);
  EXPECT_EQ(call("GET", "/v1/solutions", "pps_nobody").status, 401);
}

TEST_F(PriorAuth, ApprovedInRealTimeWithALetter) {
  auto r = post_case(m_alice, radiology());
  ASSERT_EQ(r.status, 201) << r.body;
  auto o = body_of(r);
  EXPECT_TRUE(std::regex_match(str(o.at("order_id")), std::regex("ORD-[0-9]{8}")));
  EXPECT_TRUE(std::regex_match(str(o.at("acmp_number")), std::regex("ACMP[0-9]{9}")));
  EXPECT_EQ(o.at("status"), "approved");
  EXPECT_EQ(o.at("next_step"), "nothing: approved");
  EXPECT_EQ(o.at("created_at"), "2026-11-17T15:00:00Z");
  EXPECT_EQ(o.at("decided_at"), "2026-11-17T15:00:00Z");
  EXPECT_EQ(o.at("diagnoses").as_array()[1], "M51.26");
  EXPECT_EQ(o.at("procedures").as_array()[0].at("approved_units"), 1);
  EXPECT_TRUE(o.at("documents_required").as_array().empty());
  ASSERT_EQ(o.at("letters").as_array().size(), 1u);
  EXPECT_EQ(o.at("letters").as_array()[0].at("kind"), "approval");

  std::string letter_id = str(o.at("letters").as_array()[0].at("letter_id"));
  auto pdf = call("GET", "/v1/letters/" + letter_id, m_alice);
  ASSERT_EQ(pdf.status, 200) << pdf.body;
  EXPECT_EQ(pdf.content_type, "application/pdf");
  EXPECT_EQ(pdf.body.rfind("%PDF-", 0), 0u);
  EXPECT_NE(pdf.body.find("%%EOF", pdf.body.size() - 8), std::string::npos);
  fs::path file = m_dir / "letters" / (letter_id + ".pdf");
  ASSERT_TRUE(fs::exists(file));
  if (std::system("command -v pdfinfo >/dev/null 2>&1") == 0) {
    EXPECT_EQ(std::system(("pdfinfo " + file.string() + " >/dev/null 2>&1").c_str()), 0);
  }

  // Sleep: no ACMP number.
  auto sleep = radiology({{"q1", 14}, {"q2", true}});
  sleep["solution"] = "sleep";
  sleep["procedures"] = json::array{json::object{{"code", "95810"}, {"units", 1}}};
  auto s = post_case(m_alice, sleep);
  ASSERT_EQ(s.status, 201) << s.body;
  EXPECT_TRUE(body_of(s).at("acmp_number").is_null());
  EXPECT_EQ(body_of(s).at("status"), "approved");
}

TEST_F(PriorAuth, PendedThenDecidedWhenTheClockPassesTheReview) {
  std::string id = create(pended_radiology(), "pended");
  auto o = body_of(call("GET", "/v1/cases/" + id, m_alice));
  EXPECT_EQ(o.at("next_step"), "clinical review, expect a decision by 2026-11-19");
  EXPECT_EQ(o.at("review_due_at"), "2026-11-19T15:00:00Z");
  EXPECT_TRUE(o.at("letters").as_array().empty());

  m_portal->clock_advance(std::chrono::hours{47});
  m_alice = sign_in("alice@lakeshore.example");
  EXPECT_EQ(body_of(call("GET", "/v1/cases/" + id, m_alice)).at("status"), "pended");
  m_portal->clock_advance(std::chrono::hours{2});
  m_alice = sign_in("alice@lakeshore.example");
  o = body_of(call("GET", "/v1/cases/" + id, m_alice));
  EXPECT_EQ(o.at("status"), "approved");
  EXPECT_EQ(o.at("decided_at"), "2026-11-19T15:00:00Z");
  EXPECT_EQ(o.at("updated_at"), "2026-11-19T15:00:00Z");
  ASSERT_EQ(o.at("letters").as_array().size(), 1u);
  EXPECT_EQ(
      call("GET", "/v1/letters/" + str(o.at("letters").as_array()[0].at("letter_id")), m_alice)
          .status,
      200);
}

TEST_F(PriorAuth, ReviewOutcomeComesFromTheSolution) {
  // Cardiology's review approves half the units.
  auto c = radiology({{"q1", "no"}, {"q2", "low"}});
  c["solution"] = "cardiology";
  c["procedures"] = json::array{json::object{{"code", "93306"}, {"units", 4}}};
  std::string id = create(c, "pended");
  m_portal->clock_advance(std::chrono::days{3});
  m_alice = sign_in("alice@lakeshore.example");
  auto found = body_of(call("GET", "/v1/orders?order_id=" + id, m_alice)).at("orders").as_array();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].at("status"), "partially-approved");
  EXPECT_EQ(found[0].at("procedures").as_array()[0].at("approved_units"), 2);
  EXPECT_EQ(found[0].at("letters").as_array()[0].at("kind"), "partial-approval");
}

TEST_F(PriorAuth, NeedsDocumentsUntilTheyAreUploaded) {
  std::string id = create(needs_notes_radiology(), "needs-documents");
  auto o = body_of(call("GET", "/v1/cases/" + id, m_alice));
  ASSERT_EQ(o.at("documents_required").as_array().size(), 1u);
  EXPECT_EQ(o.at("documents_required").as_array()[0].at("document_type"), "clinical_notes");
  EXPECT_NE(str(o.at("next_step")).find("upload a clinical_notes document"), std::string::npos);

  // Another type does not complete the request.
  auto other = upload(m_alice, id, k_png, "imaging_report");
  ASSERT_EQ(other.status, 201) << other.body;
  EXPECT_EQ(body_of(other).at("order_status"), "needs-documents");
  auto notes = upload(m_alice, id, k_pdf, "clinical_notes");
  ASSERT_EQ(notes.status, 201) << notes.body;
  EXPECT_EQ(body_of(notes).at("order_status"), "pended");
  o = body_of(call("GET", "/v1/cases/" + id, m_alice));
  EXPECT_EQ(o.at("status"), "pended");
  EXPECT_TRUE(test::at_or_just_after(o.at("review_due_at"), "2026-11-19T15:00:00Z"));
  EXPECT_EQ(o.at("documents").as_array().size(), 2u);
  EXPECT_TRUE(o.at("documents_required").as_array().empty());

  // Imaging in the last 12 months asks for its report.
  auto imaging = radiology({{"q1", "yes"}, {"q2", 8}, {"q3", "no"}, {"q4", "yes"}});
  imaging["procedures"] = json::array{json::object{{"code", "70551"}, {"units", 1}}};
  auto r = post_case(m_alice, imaging);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body_of(r).at("status"), "needs-documents");
  EXPECT_EQ(body_of(r).at("documents_required").as_array()[0].at("document_type"),
            "imaging_report");
}

TEST_F(PriorAuth, EveryRejectionReason) {
  auto expect_reason = [&](json::object c, const std::string& code, const std::string& field) {
    auto r = post_case(m_alice, c);
    ASSERT_EQ(r.status, 422) << code << ": " << r.body;
    auto e = body_of(r).at("error").as_object();
    EXPECT_EQ(e.at("code"), "case_rejected");
    bool found = false;
    for (const auto& reason : e.at("reasons").as_array()) {
      if (reason.at("code") == code.c_str()) {
        found = true;
        EXPECT_EQ(reason.at("field"), field.c_str()) << code;
        EXPECT_FALSE(reason.at("message").as_string().empty());
      }
    }
    EXPECT_TRUE(found) << code << ": " << r.body;
  };
  auto c = radiology();
  c["member_id"] = "ACM100733";  // Michael O'Connor: coverage ended 2026-06-30
  c["first_name"] = "Michael";
  c["last_name"] = "O'Connor";
  c["date_of_birth"] = "1966-09-30";
  expect_reason(c, "member_not_eligible", "service_start");
  c = radiology();
  c["member_id"] = "ACM999999";
  expect_reason(c, "member_not_found", "member_id");
  c = radiology();
  c["last_name"] = "Whitacre";
  expect_reason(c, "name_mismatch", "last_name");
  c = radiology();
  c["date_of_birth"] = "1958-03-15";
  expect_reason(c, "date_of_birth_mismatch", "date_of_birth");
  c = radiology();
  c["procedures"] = json::array{json::object{{"code", "72148"}, {"units", 1}},
                                json::object{{"code", "93306"}, {"units", 1}}};
  expect_reason(c, "code_not_covered", "procedures[1].code");
  c = radiology();
  c["solution"] = "dmepos";
  expect_reason(c, "solution_not_offered", "solution");
  c = radiology();
  c["service_end"] = "2026-11-30";
  expect_reason(c, "service_dates_invalid", "service_end");
  expect_reason(radiology({{"q2", 8}, {"q3", false}}), "answer_missing", "answers.q1");
  expect_reason(radiology({{"q1", "yes"}, {"q2", "lots"}, {"q3", false}}), "answer_invalid",
                "answers.q2");
  expect_reason(radiology({{"q1", "yes"}, {"q2", 8}, {"q3", false}, {"q9", 1}}), "answer_invalid",
                "answers.q9");
  c = radiology();
  c["additional_info"] = std::string(2001, 'x');
  expect_reason(c, "additional_info_too_long", "additional_info");
  {
    auto answer = body_of(post_case(m_alice, c));
    const auto& reason = answer.at("error").at("reasons").as_array()[0].as_object();
    EXPECT_EQ(reason.at("max_chars"), 2000);
    EXPECT_NE(reason.at("message").as_string().find("radiology solution accepts at most 2000"),
              std::string_view::npos);
  }
  c["additional_info"] = std::string(2000, 'x');
  EXPECT_EQ(post_case(m_alice, c).status, 201);
  // A solution the plan does not offer still has its own limit (dmepos: 1000).
  c["solution"] = "dmepos";
  c["additional_info"] = std::string(1001, 'x');
  expect_reason(c, "additional_info_too_long", "additional_info");

  // Several reasons at once, all told.
  c = radiology({{"q2", "many"}});
  c["service_end"] = "2026-01-01";
  EXPECT_GE(reasons(post_case(m_alice, c)).size(), 4u);

  // A malformed record is a 400 naming the field, not a rejection.
  c = radiology();
  c["ordering_npi"] = "1234567890";
  auto bad = post_case(m_alice, c);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body_of(bad).at("error").at("code"), "validation_failed");
  EXPECT_EQ(body_of(bad).at("error").at("errors").as_array()[0].at("field"), "ordering_npi");

  // Nothing was created by the refusals.
  auto all = body_of(call("GET", "/v1/orders", m_alice)).at("orders").as_array();
  EXPECT_EQ(all.size(), 1u);
}

TEST_F(PriorAuth, DuplicateOfAnOpenOrderIsRejected) {
  std::string first = create(pended_radiology(), "pended");
  auto again = post_case(m_alice, pended_radiology());
  ASSERT_EQ(reasons(again), std::vector<std::string>{"duplicate_case"}) << again.body;
  EXPECT_EQ(body_of(again).at("error").at("existing_order_id"), first.c_str());
  EXPECT_EQ(body_of(again).at("error").at("reasons").as_array()[0].at("existing_order_id"),
            first.c_str());
  // Another code is no duplicate; nor is a decided order.
  auto other = pended_radiology();
  other["procedures"] = json::array{json::object{{"code", "72158"}, {"units", 1}}};
  EXPECT_EQ(post_case(m_alice, other).status, 201);
  // Once decided, the order no longer blocks a new case.
  ASSERT_TRUE(m_portal->orders().decide_case(first, {{"decision", "deny"}}));
  create(pended_radiology(), "pended");
  // Another organisation's open order does not count.
  EXPECT_EQ(post_case(m_carol, pended_radiology()).status, 201);
}

TEST_F(PriorAuth, AdministratorDecides) {
  std::string id = create(pended_radiology(), "pended");
  auto decide = [&](const json::object& body, const std::string& order) {
    return call("POST", "/v1/admin/cases/" + order + "/decision", m_admin, json::serialize(body));
  };
  EXPECT_EQ(
      call("POST", "/v1/admin/cases/" + id + "/decision", m_alice, R"({"decision":"deny"})").status,
      401);
  EXPECT_EQ(decide({{"decision", "maybe"}}, id).status, 400);
  EXPECT_EQ(decide({{"decision", "deny"}}, "ORD-00000000").status, 404);
  auto r = decide({{"decision", "deny"}, {"note", "criteria not met"}}, id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r).at("status"), "denied");
  EXPECT_EQ(body_of(r).at("letters").as_array()[0].at("kind"), "denial");
  EXPECT_EQ(body_of(r).at("procedures").as_array()[0].at("approved_units"), 0);
  auto twice = decide({{"decision", "approve"}}, id);
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(body_of(twice).at("error").at("code"), "invalid_state");

  // Partial with units, from the admin command's path (Portal directly).
  auto c = needs_notes_radiology();
  c["procedures"] = json::array{json::object{{"code", "72148"}, {"units", 3}}};
  std::string second = create(c, "needs-documents");
  auto bad = m_portal->orders().decide_case(
      second, {{"decision", "partial"}, {"approved_units", {{"72148", 4}}}});
  EXPECT_FALSE(bad);
  auto partial = m_portal->orders().decide_case(
      second, {{"decision", "partial"}, {"approved_units", {{"72148", 2}}}});
  ASSERT_TRUE(partial) << partial.error().message;
  EXPECT_EQ(partial->at("status"), "partially-approved");
  EXPECT_EQ(partial->at("procedures").as_array()[0].at("approved_units"), 2);
}

TEST_F(PriorAuth, OtherOrganisationsSeeNothing) {
  std::string id = create(radiology(), "approved");
  auto order = body_of(call("GET", "/v1/cases/" + id, m_alice));
  std::string letter = str(order.at("letters").as_array()[0].at("letter_id"));
  auto r = call("GET", "/v1/cases/" + id, m_carol);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_of(r).at("error").at("code"), "not_found");
  EXPECT_EQ(call("GET", "/v1/letters/" + letter, m_carol).status, 404);
  EXPECT_EQ(upload(m_carol, id, k_pdf).status, 404);
  EXPECT_TRUE(body_of(call("GET", "/v1/orders", m_carol)).at("orders").as_array().empty());
  EXPECT_TRUE(
      body_of(call("GET", "/v1/orders?order_id=" + id, m_carol)).at("orders").as_array().empty());
  EXPECT_EQ(call("GET", "/v1/cases/ORD-00000000", m_alice).status, 404);
  EXPECT_EQ(call("GET", "/v1/cases/" + id, "pps_nobody").status, 401);
}

TEST_F(PriorAuth, UploadsAreCheckedByContentSizeAndChecksum) {
  std::string id = create(pended_radiology(), "pended");
  // A PNG named notes.pdf and sent as application/pdf is a PNG.
  auto png = upload(m_alice, id, k_png, "other", "../../etc/notes.pdf");
  ASSERT_EQ(png.status, 201) << png.body;
  auto doc = body_of(png);
  EXPECT_EQ(doc.at("content_type"), "image/png");
  EXPECT_EQ(doc.at("filename"), "notes.pdf");
  EXPECT_EQ(doc.at("size"), static_cast<std::int64_t>(k_png.size()));
  EXPECT_EQ(doc.at("sha256"), sha256_hex(k_png).c_str());
  EXPECT_EQ(doc.at("order_id"), id.c_str());
  EXPECT_TRUE(std::regex_match(str(doc.at("document_id")), std::regex("DOC-[0-9]{10}")));
  // The same content again is the same document.
  auto again = upload(m_alice, id, k_png, "other", "copy.png");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(body_of(again).at("document_id"), doc.at("document_id"));

  auto text = upload(m_alice, id, "just some text, named .pdf");
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(body_of(text).at("error").at("code"), "unsupported_media_type");
  for (std::string magic :
       {std::string("\xFF\xD8\xFF\xE0", 4), std::string("II*\0", 4), std::string("MM\0*", 4)}) {
    EXPECT_EQ(upload(m_alice, id, magic + "data " + magic).status, 201);
  }
  auto damaged =
      upload(m_alice, id, k_pdf, "clinical_notes", "n.pdf", sha256_hex("something else"));
  EXPECT_EQ(damaged.status, 422);
  EXPECT_EQ(body_of(damaged).at("error").at("code"), "checksum_mismatch");
  auto missing =
      call("POST", "/v1/cases/" + id + "/documents?document_type=clinical_notes", m_alice, k_pdf);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(upload(m_alice, id, k_pdf, "x-ray").status, 400);

  // The refusals left no file behind; stored documents are named by the sandbox.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(m_dir / "documents")) {
    if (e.is_regular_file()) {
      ++files;
      EXPECT_TRUE(std::regex_match(e.path().filename().string(),
                                   std::regex("DOC-[0-9]{10}\\.(pdf|png|jpg|tif)")));
    }
  }
  EXPECT_EQ(files, 4u);
  EXPECT_EQ(body_of(call("GET", "/v1/cases/" + id, m_alice)).at("documents").as_array().size(), 4u);
}

TEST_F(PriorAuth, OversizeDocumentsAreRefused) {
  std::string id = create(pended_radiology(), "pended");
  auto user = m_portal->signin().authenticate(m_alice);
  ASSERT_TRUE(user);
  fs::create_directories(m_portal->orders().upload_dir());
  fs::path big = m_portal->orders().upload_dir() / "big";
  std::ofstream(big) << k_pdf;
  auto r = m_portal->orders().upload_document(*user, id,
                                              {"clinical_notes", "", "big.pdf", sha256_hex(k_pdf)},
                                              {big, k_document_max_bytes + 1, sha256_hex(k_pdf)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 413);
  EXPECT_EQ(r.error().code, "document_too_large");
  EXPECT_NE(r.error().message.find("268435456"), std::string::npos);
  EXPECT_FALSE(fs::exists(big));
}

TEST_F(PriorAuth, ARepeatOfAnApprovedOrderIsADuplicateOrderUnlessItSaysItIsNew) {
  std::string first = create(radiology(), "approved");
  // Other answers, another body: the same member, codes and dates all the same.
  auto again = post_case(m_alice, radiology({{"q1", "yes"}, {"q2", 9}, {"q3", false}}));
  ASSERT_EQ(again.status, 409) << again.body;
  auto err = body_of(again).at("error").as_object();
  EXPECT_EQ(err.at("code"), "duplicate_order");
  EXPECT_EQ(err.at("existing_order_id"), first.c_str());
  // The codes as a set: the order and units do not matter; another code does.
  auto more = radiology();
  more["procedures"] = json::array{json::object{{"code", "72148"}, {"units", 2}},
                                   json::object{{"code", "72148"}, {"units", 1}}};
  EXPECT_EQ(post_case(m_alice, more).status, 409);
  more["procedures"].as_array().push_back(json::object{{"code", "72158"}, {"units", 1}});
  EXPECT_EQ(post_case(m_alice, more).status, 201);
  // Another organisation's approval is not ours.
  EXPECT_EQ(post_case(m_carol, radiology()).status, 201);
  // not_duplicate needs a reason.
  auto new_case = radiology();
  new_case["not_duplicate"] = true;
  auto no_reason = post_case(m_alice, new_case);
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  new_case["additional_info"] = "A second study after a new injury.";
  EXPECT_EQ(post_case(m_alice, new_case).status, 201);
}

TEST_F(PriorAuth, SearchFiltersAndPages) {
  m_portal->clock_set(k_t0);  // signing in took real time
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(create(radiology_ending(20 + i), "approved"));
    m_portal->clock_advance(std::chrono::seconds{1});
  }
  std::string pended = create(pended_radiology(), "pended");
  auto other = radiology();
  other["health_plan"] = "acme-medicare-advantage";
  other["member_id"] = "AMA200118";
  other["first_name"] = "Dorothy";
  other["last_name"] = "Jenkins";
  other["date_of_birth"] = "1943-05-12";
  other["solution"] = "dmepos";
  other["procedures"] = json::array{json::object{{"code", "E0601"}, {"units", 1}}};
  other["answers"] = json::object{{"q1", "yes"}, {"q2", "yes"}};
  other["service_start"] = "2027-02-01";
  other["service_end"] = "2027-03-01";
  std::string dorothy = create(other, "approved");

  auto search = [&](const std::string& q) { return call("GET", "/v1/orders" + q, m_alice); };
  auto ids_of = [&](const HttpResponse& r) {
    std::vector<std::string> out;
    auto body = body_of(r);
    for (const auto& o : body.at("orders").as_array()) out.push_back(str(o.at("order_id")));
    return out;
  };
  EXPECT_EQ(ids_of(search("")).size(), 7u);  // across plans and solutions
  EXPECT_EQ(ids_of(search("?status=pended")), std::vector<std::string>{pended});
  EXPECT_EQ(ids_of(search("?health_plan=acme-medicare-advantage")),
            std::vector<std::string>{dorothy});
  EXPECT_EQ(ids_of(search("?solution=dmepos")), std::vector<std::string>{dorothy});
  EXPECT_EQ(ids_of(search("?member_id=ama200118&date_of_birth=1943-05-12")),
            std::vector<std::string>{dorothy});
  EXPECT_TRUE(ids_of(search("?member_id=AMA200118&date_of_birth=1943-05-13")).empty());
  EXPECT_EQ(ids_of(search("?from=2027-01-15&to=2027-12-31")), std::vector<std::string>{dorothy});
  EXPECT_EQ(ids_of(search("?to=2026-12-15")).size(), 6u);
  auto acmp = str(body_of(call("GET", "/v1/cases/" + ids[2], m_alice)).at("acmp_number"));
  EXPECT_EQ(ids_of(search("?acmp_number=" + acmp)), std::vector<std::string>{ids[2]});
  // updated_since lists the orders changed in (updated_since, as_of], as_of trailing the clock
  // by k_feed_settle: the last three orders were written at 15:00:04 and 15:00:05.
  m_portal->clock_set(k_t0 + std::chrono::seconds{5} + k_feed_settle);
  auto since = search("?updated_since=2026-11-17T15:00:03Z");
  EXPECT_EQ(ids_of(since).size(), 3u);
  EXPECT_EQ(body_of(since).at("as_of"), "2026-11-17T15:00:05Z");
  m_portal->clock_set(k_t0 + std::chrono::seconds{5});
  auto settling = search("?updated_since=2026-11-17T15:00:03Z");
  EXPECT_TRUE(ids_of(settling).empty()) << settling.body;  // written within the settle time
  EXPECT_EQ(body_of(settling).at("as_of"), "2026-11-17T15:00:03Z");

  auto bad = search("?member_id=AMA200118");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body_of(bad).at("error").at("errors").as_array()[0].at("field"), "member_id");
  EXPECT_EQ(search("?page_size=101").status, 400);
  EXPECT_EQ(search("?page_size=0").status, 400);
  EXPECT_EQ(search("?status=open").status, 400);
  EXPECT_EQ(search("?from=2026-13-01").status, 400);
  EXPECT_EQ(search("?updated_since=yesterday").status, 400);

  // Pages of 3 go through all 7 in (created_at, order_id) order, each once.
  std::vector<std::string> paged;
  std::string token;
  int pages = 0;
  do {
    auto r = search("?page_size=3" + (token.empty() ? std::string() : "&page_token=" + token));
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = ids_of(r);
    EXPECT_LE(page.size(), 3u);
    paged.insert(paged.end(), page.begin(), page.end());
    auto next = body_of(r).at("next_page_token");
    token = next.is_null() ? std::string() : str(next);
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(paged, ids_of(search("")));
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), 7u);

  // A token is bound to its search and cannot be edited.
  std::string first_token = str(body_of(search("?page_size=3")).at("next_page_token"));
  std::string tampered = first_token;
  tampered[2] = tampered[2] == '3' ? '4' : '3';
  auto r = search("?page_size=3&page_token=" + tampered);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_of(r).at("error").at("code"), "invalid_page_token");
  EXPECT_EQ(search("?page_size=3&status=approved&page_token=" + first_token).status, 400);
  EXPECT_EQ(search("?page_token=garbage").status, 400);
  EXPECT_EQ(search("?page_size=3&page_token=" + first_token).status, 200);
}

TEST_F(PriorAuth, AnOrdersPullKeepsItsWindowAcrossPages) {
  m_portal->clock_set(k_t0);
  std::vector<std::string> first;
  for (int i = 0; i < 3; ++i) first.push_back(create(radiology_ending(20 + i), "approved"));
  m_portal->clock_set(k_t0 + std::chrono::minutes{10});
  auto ids_of = [&](const HttpResponse& r) {
    std::vector<std::string> out;
    auto body = body_of(r);
    for (const auto& o : body.at("orders").as_array()) out.push_back(str(o.at("order_id")));
    return out;
  };
  std::string since = "?updated_since=2026-11-17T14:00:00Z&page_size=2";
  auto page1 = call("GET", "/v1/orders" + since, m_alice);
  ASSERT_EQ(page1.status, 200) << page1.body;
  std::string as_of = str(body_of(page1).at("as_of"));
  EXPECT_EQ(as_of, "2026-11-17T15:09:58Z");
  // An order created between the pages is after the window: not on page 2, but in the next pull.
  std::string later = create(radiology_ending(25), "approved");
  m_portal->clock_set(k_t0 + std::chrono::minutes{20});
  auto page2 =
      call("GET", "/v1/orders" + since + "&page_token=" + str(body_of(page1).at("next_page_token")),
           m_alice);
  ASSERT_EQ(page2.status, 200) << page2.body;
  EXPECT_EQ(str(body_of(page2).at("as_of")), as_of);
  auto pulled = ids_of(page1);
  for (const auto& id : ids_of(page2)) pulled.push_back(id);
  std::sort(pulled.begin(), pulled.end());
  std::sort(first.begin(), first.end());
  EXPECT_EQ(pulled, first);
  auto next = call("GET", "/v1/orders?updated_since=" + as_of, m_alice);
  EXPECT_EQ(ids_of(next), std::vector<std::string>{later});
}

TEST_F(PriorAuth, CaseKeysReplayAcrossARestart) {
  std::string key = "case-row-0001";
  auto first = post_case(m_alice, pended_radiology(), &key);
  ASSERT_EQ(first.status, 201) << first.body;
  std::string id = str(body_of(first).at("order_id"));

  // Killed right after answering: the key was committed with the order, not batched later.
  stop();
  start();
  auto again = post_case(m_alice, pended_radiology(), &key);
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(body_of(call("GET", "/v1/orders", m_alice)).at("orders").as_array().size(), 1u);

  auto other = pended_radiology();
  other["urgency"] = "urgent";
  auto conflict = post_case(m_alice, other, &key);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(body_of(conflict).at("error").at("code"), "idempotency_conflict");
  // Without the key the same case is a duplicate of the open order.
  EXPECT_EQ(reasons(post_case(m_alice, pended_radiology())),
            std::vector<std::string>{"duplicate_case"});
  // Rejections are final answers too.
  std::string bad_key = "case-row-0002";
  auto c = radiology();
  c["last_name"] = "Whitacre";
  ASSERT_EQ(post_case(m_alice, c, &bad_key).status, 422);
  EXPECT_EQ(header(post_case(m_alice, c, &bad_key), "Idempotent-Replayed"), "true");
  std::string invalid = std::string(129, 'k');
  EXPECT_EQ(post_case(m_alice, c, &invalid).status, 400);
}

TEST_F(PriorAuth, UploadKeysReplay) {
  std::string id = create(needs_notes_radiology(), "needs-documents");
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-content-sha256", sha256_hex(k_pdf)}, {"idempotency-key", "doc-1"}};
  std::string target = "/v1/cases/" + id + "/documents?document_type=clinical_notes&filename=a.pdf";
  auto first = call("POST", target, m_alice, k_pdf, headers);
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = call("POST", target, m_alice, k_pdf, headers);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  auto other = call("POST", target, m_alice, k_png,
                    {{"x-content-sha256", sha256_hex(k_png)}, {"idempotency-key", "doc-1"}});
  EXPECT_EQ(other.status, 409);
}

}  // namespace

TEST(DecisionClock, DueIn72HoursForUrgentAnd7CalendarDaysForRoutine) {
  std::int64_t t = unix_of(k_t0);
  EXPECT_EQ(decision_due("urgent", t), t + 72 * 3600);
  EXPECT_EQ(decision_due("routine", t), t + 7 * 24 * 3600);
  EXPECT_FALSE(is_overdue(std::nullopt, std::nullopt, std::nullopt, t + 1'000'000));
  EXPECT_FALSE(is_overdue(t, std::nullopt, std::nullopt, t));
  EXPECT_TRUE(is_overdue(t, std::nullopt, std::nullopt, t + 1));
  EXPECT_FALSE(is_overdue(t, t, std::nullopt, t + 100));  // decided exactly on time
  EXPECT_TRUE(is_overdue(t, t + 1, std::nullopt, t + 1));
  EXPECT_FALSE(is_overdue(t, std::nullopt, t - 5, t + 100));  // cancelled before its due time
}

TEST(DecisionClock, TheLateShareIsTheHashOfTheOrderId) {
  int late = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string id = "ORD-" + std::to_string(10000000 + i);
    bool expected = std::stoul(sha256_hex(id).substr(0, 8), nullptr, 16) % 100 < 50;
    EXPECT_EQ(decides_late(id, 50), expected) << id;
    EXPECT_FALSE(decides_late(id, 0));
    EXPECT_TRUE(decides_late(id, 100));
    late += expected;
  }
  EXPECT_GT(late, 400);
  EXPECT_LT(late, 600);
}

TEST_F(PriorAuth, EveryOrderShowsItsDecisionClock) {
  std::string id = create(pended_radiology(), "pended");
  auto o = body_of(call("GET", "/v1/cases/" + id, m_alice));
  EXPECT_EQ(o.at("received_at"), "2026-11-17T15:00:00Z");
  EXPECT_EQ(o.at("complete_at"), "2026-11-17T15:00:00Z");
  EXPECT_EQ(o.at("decision_due"), "2026-11-24T15:00:00Z");
  EXPECT_EQ(o.at("overdue"), false);
  EXPECT_EQ(o.at("revision"), 0);
  auto needs_notes = needs_notes_radiology();
  needs_notes["procedures"] = json::array{json::object{{"code", "70551"}, {"units", 1}}};
  std::string notes = create(needs_notes, "needs-documents");
  auto n = body_of(call("GET", "/v1/cases/" + notes, m_alice));
  EXPECT_TRUE(n.at("complete_at").is_null());
  EXPECT_TRUE(n.at("decision_due").is_null());
  // Complete once the notes are in: the clock starts then.
  m_portal->clock_advance(std::chrono::hours{5});
  m_alice = sign_in("alice@lakeshore.example");
  ASSERT_EQ(upload(m_alice, notes, k_pdf).status, 201);
  n = body_of(call("GET", "/v1/cases/" + notes, m_alice));
  EXPECT_EQ(n.at("complete_at"), "2026-11-17T20:00:00Z");
  EXPECT_EQ(n.at("decision_due"), "2026-11-24T20:00:00Z");
}

TEST_F(PriorAuth, LateWoundCareReviewsAreOverdueAndSearchable) {
  auto wound = radiology({{"q1", 2}, {"q2", true}});
  wound["health_plan"] = "acme-medicare-advantage";
  wound["member_id"] = "AMA200118";
  wound["first_name"] = "Dorothy";
  wound["last_name"] = "Jenkins";
  wound["date_of_birth"] = "1943-05-12";
  std::set<std::string> late, on_time;
  const char* codes[] = {"97597", "97598", "97605", "97606", "11042", "11043", "11044", "11045"};
  for (const char* code : codes) {
    wound["solution"] = "wound_care";
    wound["procedures"] = json::array{json::object{{"code", code}, {"units", 1}}};
    std::string id = create(wound, "pended");
    (decides_late(id, 50) ? late : on_time).insert(id);
  }
  m_portal->clock_advance(std::chrono::days{9});
  m_alice = sign_in("alice@lakeshore.example");
  auto page = body_of(call("GET", "/v1/orders?overdue=true", m_alice));
  std::set<std::string> listed;
  for (const auto& o : page.at("orders").as_array()) {
    listed.insert(str(o.at("order_id")));
    EXPECT_EQ(o.at("overdue"), true);
    EXPECT_EQ(o.at("decided_at"), "2026-11-25T15:00:00Z");  // a day after the 7 days
  }
  EXPECT_EQ(listed, late);
  auto others = body_of(call("GET", "/v1/orders?overdue=false", m_alice)).at("orders").as_array();
  EXPECT_EQ(others.size(), on_time.size());
  EXPECT_EQ(call("GET", "/v1/orders?overdue=maybe", m_alice).status, 400);
}

TEST_F(PriorAuth, CancelAnOpenOrderOnceAndRefuseADecidedOne) {
  std::string id = create(pended_radiology(), "pended");
  std::string key = "cancel-1";
  std::string body = R"({"reason": "service no longer needed"})";
  auto first =
      call("POST", "/v1/cases/" + id + "/cancellation", m_alice, body, {{"idempotency-key", key}});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(body_of(first).at("status"), "cancelled");
  EXPECT_EQ(body_of(first).at("cancel_reason"), "service no longer needed");
  auto again =
      call("POST", "/v1/cases/" + id + "/cancellation", m_alice, body, {{"idempotency-key", key}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  // The review never comes.
  m_portal->clock_advance(std::chrono::days{10});
  m_alice = sign_in("alice@lakeshore.example");
  auto o = body_of(call("GET", "/v1/cases/" + id, m_alice));
  EXPECT_EQ(o.at("status"), "cancelled");
  EXPECT_EQ(o.at("overdue"), false);
  EXPECT_EQ(
      body_of(call("GET", "/v1/orders?status=cancelled", m_alice)).at("orders").as_array().size(),
      1u);

  auto other_code = radiology();
  other_code["procedures"] = json::array{json::object{{"code", "70551"}, {"units", 1}}};
  std::string approved = create(other_code, "approved");
  auto refused = call("POST", "/v1/cases/" + approved + "/cancellation", m_alice, body);
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("is approved"), std::string::npos) << refused.body;
  EXPECT_EQ(call("POST", "/v1/cases/" + approved + "/cancellation", m_alice, "{}").status, 400);
  // Another organisation's order is not found.
  m_carol = sign_in("carol@prairie.example");
  auto again_pended = pended_radiology();
  again_pended["service_end"] = "2026-12-20";
  std::string mine = create(again_pended, "pended");
  EXPECT_EQ(call("POST", "/v1/cases/" + mine + "/cancellation", m_carol, body).status, 404);
}

TEST_F(PriorAuth, ARevisionAddsUnitsDatesAndDiagnosesOnce) {
  std::string id = create(pended_radiology(), "pended");
  std::string body =
      R"({"procedures": [{"code": "72148", "units": 2}], "service_end": "2027-01-31", )"
      R"("diagnoses": ["M54.5", "M54.16"]})";
  auto first =
      call("POST", "/v1/cases/" + id + "/revisions", m_alice, body, {{"idempotency-key", "rev-1"}});
  ASSERT_EQ(first.status, 200) << first.body;
  auto o = body_of(first);
  EXPECT_EQ(o.at("procedures").as_array()[0].at("units"), 3);
  EXPECT_EQ(o.at("service_end"), "2027-01-31");
  EXPECT_EQ(o.at("diagnoses"), (json::array{"M54.16", "M51.26", "M54.5"}));
  EXPECT_EQ(o.at("revision"), 1);
  auto again =
      call("POST", "/v1/cases/" + id + "/revisions", m_alice, body, {{"idempotency-key", "rev-1"}});
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(body_of(call("GET", "/v1/cases/" + id, m_alice)).at("revision"), 1);
  auto earlier =
      call("POST", "/v1/cases/" + id + "/revisions", m_alice, R"({"service_end": "2026-12-15"})");
  EXPECT_EQ(earlier.status, 422);
  auto unknown = call("POST", "/v1/cases/" + id + "/revisions", m_alice,
                      R"({"procedures": [{"code": "70551", "units": 1}]})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(unknown.body.find("70551"), std::string::npos);
  EXPECT_EQ(call("POST", "/v1/cases/" + id + "/revisions", m_alice, "{}").status, 400);
  auto other_code = radiology();
  other_code["procedures"] = json::array{json::object{{"code", "70551"}, {"units", 1}}};
  std::string approved = create(other_code, "approved");
  EXPECT_EQ(call("POST", "/v1/cases/" + approved + "/revisions", m_alice,
                 R"({"service_end": "2027-01-31"})")
                .status,
            409);
}
