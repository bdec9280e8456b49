// Cases ⇄ X12 278 (lib/portal/wire/x12/reviews.cpp): a case record becomes a request for review
// the X217 guide's validator accepts, what a 278 cannot carry is a field error, and a response
// becomes the JSON wire's case result.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "portal/wire/x12/payers.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "x12/validate.hpp"

namespace {

namespace json = boost::json;
using namespace portal::wire::x12w;

Payers payers() {
  auto p = Payers::parse("payers:\n  acme-commercial: {payer_id: ACMEC, name: ACME HEALTH}\n",
                         "payers.yaml");
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return *p;
}

const Parties k_parties{"PROVPORTAL01", "SBXPAYER", 'T'};

json::object a_case() {
  return json::parse(R"({
    "ref": "case-0001", "health_plan": "acme-commercial", "solution": "radiology",
    "member_id": "acm100234", "first_name": "Zoë", "last_name": "Whitaker",
    "date_of_birth": "1958-03-14", "ordering_npi": "1234567893", "servicing_npi": "1245319599",
    "procedures": [{"code": "70551", "units": 2}, {"code": "70553", "units": 1}],
    "diagnoses": ["R51.9", "G44.209"], "service_start": "2026-12-01",
    "service_end": "2027-02-28", "urgency": "urgent",
    "answers": {"q1": "yes", "q2": 8, "q3": false},
    "additional_info": "Note: daily headaches*for two months~\nno relief",
    "attachments": ["notes.pdf", "report.pdf"]})")
      .as_object();
}

std::string_view text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

TEST(X12Reviews, ACaseIsARequestForReviewTheGuideAccepts) {
  auto r = service_review(a_case(), payers(), k_parties, "TRACE0001");
  ASSERT_TRUE(r) << r.error().front().field << ": " << r.error().front().message;
  EXPECT_EQ(r->umo.id, "ACMEC");
  EXPECT_EQ(r->subscriber.id, "ACM100234");
  EXPECT_EQ(r->subscriber.first, "ZOE");
  EXPECT_EQ(r->level_of_service, "U");
  ASSERT_EQ(r->diagnoses.size(), 2u);
  EXPECT_EQ(r->diagnoses[0].qualifier, "ABK");
  EXPECT_EQ(r->diagnoses[1].code, "G44209");
  EXPECT_EQ(r->message, "solution=radiology;q1=yes;q2=8;q3=false");
  ASSERT_EQ(r->services.size(), 2u);
  EXPECT_EQ(r->services[0].quantity, "2");
  // Delimiters in free text are replaced, never sent as delimiters.
  EXPECT_EQ(r->services[0].message, "Note- daily headaches for two months- no relief");
  EXPECT_TRUE(r->services[1].message.empty());
  ASSERT_EQ(r->paperwork.size(), 2u);
  EXPECT_EQ(r->paperwork[1].control_number, attachment_control("TRACE0001", 1));
  EXPECT_EQ(r->paperwork[1].control_number, "TRACE0001A02");
  auto bytes = interchange_278(*r, k_parties, "SBXPAYER", {7, 8, 9},
                               std::chrono::sys_seconds{std::chrono::seconds{1796000000}});
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto report = x12::validate(*bytes);
  for (const auto& f : report.findings) ADD_FAILURE() << x12::to_string(f);
  EXPECT_NE(bytes->find("GS*HI*PROVPORTAL01*SBXPAYER"), std::string::npos);
  EXPECT_NE(bytes->find("TRN*1*TRACE0001*"), std::string::npos);
  EXPECT_NE(bytes->find("PWK*77*EL***AC*TRACE0001A01"), std::string::npos);
}

TEST(X12Reviews, WhatA278CannotCarryIsAFieldErrorAndNothingIsBuilt) {
  auto c = a_case();
  c["answers"].as_object()["q1"] = "yes;q9=no";
  c["additional_info"] = std::string(300, 'x');
  json::array many;
  for (int i = 0; i < 13; ++i) many.push_back(json::string("R51.9"));
  c["diagnoses"] = many;
  c["health_plan"] = "unknown-plan";
  auto r = service_review(c, payers(), k_parties, "T");
  ASSERT_FALSE(r);
  std::vector<std::string> fields;
  for (const auto& e : r.error()) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"health_plan", "diagnoses", "answers.q1",
                                              "additional_info"}));
  for (const auto& e : r.error()) {
    // Values are PHI: the messages never quote them.
    EXPECT_EQ(e.message.find("q9"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("xxxx"), std::string::npos) << e.message;
  }
}

TEST(X12Reviews, ChangesOfAnOrderNameItsPartiesAndTheOrderAndTheGuideAcceptsThem) {
  auto change = json::parse(R"({
    "order_id": "ORD-12345678", "reason": "no longer needed", "health_plan": "acme-commercial",
    "member_id": "ACM100234", "first_name": "James", "last_name": "Whitaker",
    "date_of_birth": "1958-03-14", "ordering_npi": "1234567893",
    "procedures": [{"code": "70551", "units": 2}], "service_end": "2027-03-31",
    "diagnoses": ["R51.9"]})")
                    .as_object();
  auto cancel = cancel_review(change, payers(), k_parties, "TRACE0002");
  ASSERT_TRUE(cancel) << cancel.error().front().message;
  EXPECT_EQ(cancel->purpose, "01");
  EXPECT_EQ(cancel->certification_type, "3");
  EXPECT_EQ(cancel->previous_certification, "ORD-12345678");
  EXPECT_EQ(cancel->message, "no longer needed");
  auto revision = revision_review(change, payers(), k_parties, "TRACE0003");
  ASSERT_TRUE(revision) << revision.error().front().message;
  EXPECT_EQ(revision->certification_type, "S");
  ASSERT_EQ(revision->dates.size(), 1u);
  EXPECT_EQ(revision->dates[0].qualifier, "036");
  ASSERT_EQ(revision->diagnoses.size(), 1u);
  EXPECT_EQ(revision->diagnoses[0].qualifier, "ABF");  // added, never the principal
  ASSERT_EQ(revision->services.size(), 1u);
  EXPECT_EQ(revision->services[0].quantity, "2");
  for (const auto* r : {&*cancel, &*revision}) {
    auto bytes = interchange_278(*r, k_parties, "SBXPAYER", {7, 8, 9},
                                 std::chrono::sys_seconds{std::chrono::seconds{1796000000}});
    ASSERT_TRUE(bytes) << bytes.error().message;
    for (const auto& f : x12::validate(*bytes).findings) ADD_FAILURE() << x12::to_string(f);
    EXPECT_NE(bytes->find("REF*BB*ORD-12345678"), std::string::npos) << *bytes;
  }
  // Without the member the 278 cannot be written: each missing field named.
  change.erase("member_id");
  change.erase("date_of_birth");
  auto missing = cancel_review(change, payers(), k_parties, "T");
  ASSERT_FALSE(missing);
  ASSERT_EQ(missing.error().size(), 2u);
  EXPECT_EQ(missing.error()[0].field, "member_id");
  EXPECT_EQ(missing.error()[1].field, "date_of_birth");
}

x12::ServiceReview response(std::string action, std::string reason) {
  auto r = *service_review(a_case(), payers(), k_parties, "TRACE0001");
  r.purpose = "11";
  r.decision.action = std::move(action);
  r.decision.reason = std::move(reason);
  r.decision.certification = "ORD-12345678";
  return r;
}

TEST(X12Reviews, AResponseIsTheJsonWiresCaseResult) {
  auto approved = response("A1", "");
  approved.administrative_reference = "ACMP123456789";
  auto ok = case_result(approved, a_case(), {});
  ASSERT_EQ(ok.outcome, "ok");
  EXPECT_EQ(text(ok.answer, "order_id"), "ORD-12345678");
  EXPECT_EQ(text(ok.answer, "status"), "approved");
  EXPECT_EQ(text(ok.answer, "acmp_number"), "ACMP123456789");
  EXPECT_EQ(text(ok.answer, "solution"), "radiology");

  auto docs = response("A4", "0U");
  docs.message = "documents_required=clinical_notes,imaging_report";
  auto needs = case_result(docs, a_case(), {});
  ASSERT_EQ(needs.outcome, "ok");
  EXPECT_EQ(text(needs.answer, "status"), "needs-documents");
  EXPECT_TRUE(needs.answer.at("acmp_number").is_null());
  ASSERT_EQ(needs.answer.at("documents_required").as_array().size(), 2u);
  EXPECT_EQ(text(needs.answer, "next_step"),
            "upload a clinical_notes document and a imaging_report document");

  EXPECT_EQ(text(case_result(response("A4", "0V"), a_case(), {}).answer, "status"), "pended");
  EXPECT_EQ(text(case_result(response("A3", ""), a_case(), {}).answer, "status"), "denied");
  EXPECT_EQ(text(case_result(response("A6", ""), a_case(), {}).answer, "status"),
            "partially-approved");
  EXPECT_EQ(text(case_result(response("C", ""), a_case(), {}).answer, "status"), "cancelled");
}

TEST(X12Reviews, AnAaaIsARejectionNamingTheFieldToFix) {
  // A payer that names no reasons in MSG: the AAA alone says what to fix.
  x12::ServiceReview above;
  above.purpose = "11";
  above.rejections.push_back({"2010C", 'N', "75", "C"});
  auto r = case_result(above, a_case(), {});
  ASSERT_EQ(r.outcome, "rejected");
  EXPECT_EQ(r.code, "case_rejected");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].field, "member_id");
  EXPECT_NE(r.message.find("AAA 75"), std::string::npos) << r.message;
  EXPECT_EQ(text(r.answer, "x12_aaa"), "75");
  // The sandbox's MSG names each reason and field.
  auto event = response("", "");
  event.decision = {};
  event.rejections.push_back({"2000E", 'N', "15", "C"});
  event.message = "case_rejected=solution_not_offered@solution,code_not_covered@procedures[0]";
  auto named = case_result(event, a_case(), {});
  ASSERT_EQ(named.outcome, "rejected");
  ASSERT_EQ(named.errors.size(), 2u);
  EXPECT_EQ(named.errors[0].field, "solution");
  EXPECT_EQ(named.errors[1].field, "procedures[0]");
  EXPECT_NE(named.message.find("solution_not_offered"), std::string::npos);
}

}  // namespace
