#include "portal/ops/over_wire.hpp"

#include <string>

namespace portal::ops {

Expected<batch::Operation> over_wire(batch::Operation op, wire::Function function,
                                     std::shared_ptr<const wire::Wire> wire, wire::Inputs inputs) {
  if (!wire->carries(function)) {
    return fail(wire::not_carried(*wire, std::string(wire::function_name(function)) + " requests"));
  }
  if (auto ready = wire->ready(function); !ready) return fail(ready.error());
  // The wire's own checks after the operation's.
  op.check = [wire, function, before = std::move(op.check)](const boost::json::object& record) {
    auto problems = before ? before(record) : std::vector<FieldError>{};
    auto more = wire->check(function, record);
    problems.insert(problems.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
    return problems;
  };
  // A final answer that says "not now" and the protocol's wait before a timed-out request may
  // go again hold for every request a wire sends for the function, one or several.
  op.transient = [wire, function](const http::Response& answer) {
    return wire->transient(function, answer);
  };
  op.resend_after_timeout = wire->resend_after_timeout();
  if (wire->one_request(function)) {
    op.request = [wire, function, inputs](const boost::json::object& record,
                                          const std::string& key) {
      return wire->request(function, record, inputs, key);
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
