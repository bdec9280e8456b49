// What update-case and cancel-case share: one change to an order sent from flags as a batch row
// would be (validated, idempotent, retried), its order printed, a refusal explained.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "batch_cmd.hpp"
#include "context.hpp"

namespace portal::cli {

// Sends `record` with `op` and prints the order it comes to (table and CSV: the main columns).
// `verb` names the change in messages ("revise", "cancel").
Expected<void> run_order_change(Context& ctx, const batch::Operation& op,
                                boost::json::object record, const BatchFlags& flags,
                                std::string_view verb);

}  // namespace portal::cli
