// The queries of the portal's lists (lib/portal/ops/orders_search, claims_feed): what a search
// sends, what makes two pulls the same query, and what messages say of it (never the member).
#include <map>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "portal/ops/claims_feed.hpp"
#include "portal/ops/orders_search.hpp"

namespace {

namespace json = boost::json;
using namespace portal;

TEST(OrderSearchQuery, AMemberNeedsTheDateOfBirthToo) {
  ops::OrderQuery q;
  q.member_id = "ACM100234";
  auto checked = ops::check_order_query(q);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().kind, ErrorKind::usage);
  q.date_of_birth = "1958-03-14";
  EXPECT_TRUE(ops::check_order_query(q));
}

TEST(OrderSearchQuery, TheWindowIsNotPartOfTheQuerysIdentityAndTheMemberIsNotDescribed) {
  ops::OrderQuery a;
  a.member_id = "ACM100234";
  a.date_of_birth = "1958-03-14";
  a.status = "approved";
  ops::OrderQuery b = a;
  b.updated_since = "2026-12-01T00:00:00Z";
  b.page_size = 20;
  EXPECT_EQ(ops::query_key(a), ops::query_key(b));
  b.status = "pended";
  EXPECT_NE(ops::query_key(a), ops::query_key(b));
  EXPECT_EQ(ops::describe(a), "orders, status approved, one member");
  EXPECT_EQ(ops::describe(a).find("ACM100234"), std::string::npos);
}

TEST(OrderSearchQuery, ThePageQueryNamesTheFiltersAsThePortalDoes) {
  ops::OrderQuery q;
  q.acmp_number = "ACMP748601304";
  q.updated_since = "2026-12-01T00:00:00Z";
  q.page_size = 7;
  auto pq = ops::page_query(q);
  EXPECT_EQ(pq.page_size, 7u);
  std::map<std::string, std::string> given;
  for (const auto& [k, v] : pq.filters)
    if (!v.empty()) given[k] = v;
  EXPECT_EQ(given, (std::map<std::string, std::string>{{"acmp_number", "ACMP748601304"},
                                                       {"updated_since", "2026-12-01T00:00:00Z"}}));
}

TEST(OrderSearchQuery, AnOrdersRowShowsItsLettersByTheirIds) {
  auto order = json::parse(R"({"order_id":"ORD-1","status":"approved","member_id":"M1",)"
                           R"("letters":[{"letter_id":"L1","kind":"approval"}],"extra":1})")
                   .as_object();
  auto row = ops::order_summary(order);
  EXPECT_EQ(row.size(), ops::order_columns().size());
  EXPECT_EQ(row.at("letters"), json::array({"L1"}));
  EXPECT_TRUE(row.at("decided_at").is_null());
  EXPECT_FALSE(row.contains("extra"));
}

TEST(ClaimsFeedQuery, TheFiltersTravelAndTheWindowIsNotPartOfTheIdentity) {
  ops::ClaimFeedQuery q;
  q.provider_npi = "1003000126";
  q.status = "F1";
  auto key = ops::query_key(q);
  q.changed_since = "2026-12-06T00:00:00Z";
  EXPECT_EQ(ops::query_key(q), key);
  EXPECT_EQ(ops::describe(q), "the claims feed, provider 1003000126, status F1");
  auto pq = ops::page_query(q);
  EXPECT_EQ(pq.filters.front(),
            (std::pair<std::string, std::string>{"changed_since", "2026-12-06T00:00:00Z"}));
}

TEST(ClaimsFeedQuery, AClaimsRowShowsItsStatusReasonsAsCodes) {
  auto claim = json::parse(R"({"claim_number":"C1","status_reasons":[{"code":"45","text":"x"},)"
                           R"({"code":"2"}]})")
                   .as_object();
  auto row = ops::claim_summary(claim);
  EXPECT_EQ(row.at("status_reasons"), json::array({"45", "2"}));
  EXPECT_EQ(row.size(), ops::claim_columns().size());
}

}  // namespace
