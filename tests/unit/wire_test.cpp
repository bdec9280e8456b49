// The wire registry and the portal's JSON wire (lib/portal/wire/).
#include "portal/wire/wire.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "portal/wire/portal_json/portal_json.hpp"

namespace {

namespace json = boost::json;
using portal::ErrorKind;
using portal::http::Response;
using portal::wire::Feed;
using portal::wire::Function;

TEST(WireRegistry, TheDefaultIsThePortalsJsonApi) {
  auto names = portal::wire::names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), portal::wire::k_default);
  auto w = portal::wire::make(portal::wire::k_default);
  ASSERT_TRUE(w);
  EXPECT_EQ((*w)->name(), "portal-json");
}

TEST(WireRegistry, AnUnknownWireIsAUsageErrorListingTheWires) {
  auto w = portal::wire::make("x12-nope");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, ErrorKind::usage);
  EXPECT_NE(w.error().message.find("x12-nope"), std::string::npos);
  EXPECT_NE(w.error().hint.find("portal-json"), std::string::npos);
}

TEST(PortalJsonWire, EligibilityIsOneRequestWithTheRecordAsItsBody) {
  portal::wire::portal_json::PortalJson w;
  EXPECT_TRUE(w.carries(Function::eligibility));
  EXPECT_TRUE(w.one_request(Function::eligibility));
  EXPECT_FALSE(w.one_request(Function::case_submission));
  json::object record{{"member_id", "ACM100234"}, {"service_date", "2026-12-07"}};
  auto r = w.request(Function::eligibility, record, {}, "k");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/eligibility");
  EXPECT_EQ(json::parse(r.body), json::value(record));
  EXPECT_TRUE(r.headers.empty());  // the engine adds the idempotency key
}

TEST(PortalJsonWire, ARejectReasonBecomesTheResultsCodeAndMessage) {
  portal::wire::portal_json::PortalJson w;
  Response answer;
  answer.status = 422;
  // The sandbox's shape: {"error": {"code", "message", "reject_reason": {...}}}.
  answer.body =
      R"({"error":{"code":"eligibility_rejected","message":"eligibility check rejected",)"
      R"("reject_reason":{"code":"subscriber_not_found","message":"no such member","x12_aaa":"75"}}})";
  auto result = w.result(Function::eligibility, answer, {});
  EXPECT_EQ(result.outcome, "rejected");
  EXPECT_EQ(result.http_status, 422);
  EXPECT_EQ(result.code, "subscriber_not_found");
  EXPECT_EQ(result.message, "no such member");
  EXPECT_EQ(result.answer.at("reject_reason").at("x12_aaa"), "75");
  answer.status = 200;
  answer.body = R"({"status":"inactive","reject_reason":{"code":"coverage_ended"}})";
  result = w.result(Function::eligibility, answer, {});
  EXPECT_EQ(result.outcome, "ok");
  EXPECT_EQ(result.code, "coverage_ended");
  EXPECT_EQ(result.answer.at("status"), "inactive");
}

TEST(PortalJsonWire, AnAnswerThatIsNotJsonIsStillARejection) {
  auto result = portal::wire::portal_json::read_answer(Response{.status = 404, .body = "<html>"});
  EXPECT_EQ(result.outcome, "rejected");
  EXPECT_EQ(result.http_status, 404);
  EXPECT_TRUE(result.answer.empty());
}

TEST(PortalJsonWire, AProfileChangeIsAPatchOfTheProfile) {
  portal::wire::portal_json::PortalJson w;
  EXPECT_TRUE(w.one_request(Function::profile_change));
  json::object changes{{"phone", "+1 312 555 0100"}};
  auto r = w.request(Function::profile_change, changes, {}, "k");
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.target, "/v1/profile");
  EXPECT_EQ(json::parse(r.body), json::value(changes));
}

TEST(PortalJsonWire, APageRequestEncodesTheGivenFiltersThePageSizeAndTheToken) {
  portal::wire::portal_json::PortalJson w;
  portal::wire::PageQuery q;
  q.filters = {{"member_id", "ACM100234"}, {"from", ""}, {"status", "needs-documents"}};
  q.page_size = 100;
  q.page_token = "a b&c";
  auto r = w.page_request(Feed::orders, q);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target,
            "/v1/orders?member_id=ACM100234&status=needs-documents&page_size=100&"
            "page_token=a%20b%26c");
  EXPECT_EQ(w.page_request(Feed::claims, {}).target, "/v1/claims");
}

TEST(PortalJsonWire, APageHoldsItsItemsTheNextTokenAndTheRestOfTheAnswer) {
  portal::wire::portal_json::PortalJson w;
  Response answer{.status = 200,
                  .body = R"({"as_of":"2026-12-07T06:00:00Z","claims":[{"claim_number":"C1"},)"
                          R"({"claim_number":"C2"}],"next_page_token":"t2"})"};
  auto page = w.read_page(Feed::claims, answer);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[1].at("claim_number"), "C2");
  EXPECT_EQ(page->next_page_token, "t2");
  EXPECT_EQ(page->answer.at("as_of"), "2026-12-07T06:00:00Z");
  answer.body = R"({"orders":[]})";
  page = w.read_page(Feed::orders, answer);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
  EXPECT_TRUE(page->next_page_token.empty());  // the last page
  answer.body = "<html>";
  page = w.read_page(Feed::orders, answer);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, ErrorKind::unavailable);
  EXPECT_NE(page.error().message.find("order search"), std::string::npos);
}

TEST(PortalJsonWire, ALetterIsFetchedAsAPdfByItsEncodedId) {
  portal::wire::portal_json::PortalJson w;
  auto r = w.letter_request("LTR/1");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/v1/letters/LTR%2F1");
}

TEST(Wire, RelativePathsAreUnderTheBatchsFolder) {
  EXPECT_EQ(portal::wire::resolve_path("a.pdf", "/data/batch"), "/data/batch/a.pdf");
  EXPECT_EQ(portal::wire::resolve_path("/abs/a.pdf", "/data/batch"), "/abs/a.pdf");
  EXPECT_EQ(portal::wire::resolve_path("a.pdf", ""), "a.pdf");
}

}  // namespace
