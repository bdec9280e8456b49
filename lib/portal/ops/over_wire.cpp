#include "portal/ops/over_wire.hpp"

#include <string>

namespace portal::ops {

Expected<batch::Operation> over_wire(batch::Operation op, wire::Function function,
                                     std::shared_ptr<const wire::Wire> wire, wire::Inputs inputs) {
  if (!wire->carries(function)) {
    return fail(ErrorKind::usage,
                "the " + std::string(wire->name()) + " wire does not carry " +
                    std::string(wire::function_name(function)) + " requests",
                "use a profile whose wire does (provportal config set wire NAME, or --wire)");
  }
  if (wire->one_request(function)) {
    op.request = [wire, function, inputs](const boost::json::object& record) {
      return wire->request(function, record, inputs);
    };
    op.interpret = [wire, function](const http::Response& answer,
                                    boost::json::storage_ptr storage) {
      return wire->result(function, answer, std::move(storage));
    };
    op.answer_verbatim = wire->answer_verbatim(function);
  } else {
    op.action = [wire, function, inputs = std::move(inputs)](batch::RowContext& row) {
      return wire->exchange(function, row, inputs);
    };
  }
  return op;
}

}  // namespace portal::ops
