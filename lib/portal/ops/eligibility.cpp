#include "portal/ops/eligibility.hpp"

#include <ctime>

#include <boost/json.hpp>

#include "portal/ops/over_wire.hpp"

namespace portal::ops {

namespace json = boost::json;

namespace {

std::string local_today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

Expected<batch::Operation> eligibility_operation(std::shared_ptr<const wire::Wire> wire) {
  batch::Operation op;
  op.name = "eligibility";
  op.schema = "eligibility";
  // The date of service is fixed when the row is read, so a re-run tomorrow is a new check
  // (a new idempotency key), while a resumed run today is the same one.
  op.prepare = [](json::object& record) {
    if (!record.contains("service_date")) record["service_date"] = local_today();
  };
  op.result_columns = {"status",
                       "active",
                       "member.member_id",
                       "plan.id",
                       "plan.name",
                       "coverage.start",
                       "coverage.end",
                       "service_date",
                       "reason",
                       "reject_reason.code",
                       "reject_reason.x12_aaa"};
  return over_wire(std::move(op), wire::Function::eligibility, std::move(wire));
}

}  // namespace portal::ops
