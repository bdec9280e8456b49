// Operations over a wire that does not carry them (lib/portal/ops/pages, profile, over_wire):
// a usage error naming the wire, before anything is sent.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "portal/ops/eligibility.hpp"
#include "portal/ops/limits.hpp"
#include "portal/ops/pages.hpp"
#include "portal/ops/profile.hpp"

namespace {

namespace json = boost::json;
using namespace portal;

// A wire that carries nothing (as a file-drop wire carries no profile changes).
class Nothing final : public wire::Wire {
 public:
  std::string_view name() const override { return "nothing"; }
  bool carries(wire::Function) const override { return false; }
  bool one_request(wire::Function) const override { return false; }
  http::Request request(wire::Function, const json::object&, const wire::Inputs&,
                        std::string_view) const override {
    ADD_FAILURE() << "nothing may be built";
    return {};
  }
  wire::Result result(wire::Function, const http::Response&, json::storage_ptr) const override {
    return {};
  }
  bool answer_verbatim(wire::Function) const override { return false; }
  wire::Result exchange(wire::Function, wire::Exchange&, const wire::Inputs&) const override {
    return {};
  }
  bool carries(wire::Feed) const override { return false; }
  http::Request page_request(wire::Feed, const wire::PageQuery&) const override {
    ADD_FAILURE() << "nothing may be built";
    return {};
  }
  Expected<wire::Page> read_page(wire::Feed, const http::Response&) const override {
    return wire::Page{};
  }
  http::Request letter_request(std::string_view) const override { return {}; }
  std::optional<http::Request> limits_request() const override { return std::nullopt; }
  Expected<api::PortalLimits> read_limits(const http::Response&) const override {
    ADD_FAILURE() << "nothing may be read";
    return api::PortalLimits{};
  }
};

// No connection: nothing may be sent.
api::PortalApi unconnected() { return api::PortalApi(nullptr); }

void expect_usage_naming_the_wire(const Error& e, std::string_view what) {
  EXPECT_EQ(e.kind, ErrorKind::usage);
  EXPECT_NE(e.message.find("the nothing wire does not carry"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(what), std::string::npos) << e.message;
  EXPECT_NE(e.hint.find("--wire"), std::string::npos);
}

TEST(OpsOverAWire, AFeedTheWireDoesNotCarryIsAUsageError) {
  auto api = unconnected();
  auto reader = ops::PageReader::open(api, std::make_shared<Nothing>(), wire::Feed::claims, {});
  ASSERT_FALSE(reader);
  expect_usage_naming_the_wire(reader.error(), "claims feed");
}

TEST(OpsOverAWire, AWireWithoutLimitsSaysNoneAreKnownWithoutSending) {
  auto api = unconnected();
  auto limits = ops::fetch_limits(api, Nothing());
  ASSERT_TRUE(limits) << limits.error().message;
  EXPECT_FALSE(*limits);
}

TEST(OpsOverAWire, AProfileChangeTheWireDoesNotCarryIsAUsageError) {
  auto api = unconnected();
  auto changed = ops::change_profile(api, Nothing(), json::object{{"phone", "+13125550100"}});
  ASSERT_FALSE(changed);
  expect_usage_naming_the_wire(changed.error(), "profile changes");
}

TEST(OpsOverAWire, AnInvalidProfileChangeNamesTheFieldBeforeAnythingIsAsked) {
  auto checked = ops::check_profile_change(json::object{{"first_name", ""}});
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().kind, ErrorKind::input);
  ASSERT_FALSE(checked.error().fields.empty());
  EXPECT_EQ(checked.error().fields.front().field, "first_name");
}

TEST(OpsOverAWire, ARecordFunctionTheWireDoesNotCarryIsAUsageError) {
  auto op = ops::eligibility_operation(std::make_shared<Nothing>(),
                                       [] { return std::string("2026-11-17"); });
  ASSERT_FALSE(op);
  expect_usage_naming_the_wire(op.error(), "eligibility requests");
}

}  // namespace
