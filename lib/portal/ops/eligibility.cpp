#include "portal/ops/eligibility.hpp"

#include <memory>
#include <mutex>

#include <boost/json.hpp>

#include "portal/ops/fields.hpp"
#include "portal/ops/over_wire.hpp"

namespace portal::ops {

namespace json = boost::json;

Expected<batch::Operation> eligibility_operation(std::shared_ptr<const wire::Wire> wire,
                                                 std::function<std::string()> today) {
  batch::Operation op;
  op.name = "eligibility";
  op.schema = "eligibility";
  // The date of service is fixed when the row is read, so a re-run tomorrow is a new check
  // (a new idempotency key), while a resumed run today is the same one. Today is asked once per
  // run (and rows may be read on more than one thread): one run has one today.
  struct Today {
    std::once_flag once;
    std::string date;
  };
  auto fixed = std::make_shared<Today>();
  op.prepare = [fixed, today = std::move(today)](json::object& record) {
    if (record.contains("service_date")) return;
    std::call_once(fixed->once, [&] { fixed->date = today(); });
    record["service_date"] = fixed->date;
  };
  op.result_columns = eligibility_result_columns();
  return over_wire(std::move(op), wire::Function::eligibility, std::move(wire));
}

}  // namespace portal::ops
