// What update-case and cancel-case share: one change to an order sent from flags as a batch row
// would be (validated, idempotent, retried), its order printed, a refusal explained.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include <boost/json/object.hpp>

#include "batch_cmd.hpp"
#include "context.hpp"

namespace portal::cli {

// What a 278 names besides the order, so a change travels over the X12 wires: flags of their own
// group, columns of the batch.
struct OrderParties {
  std::string health_plan, member_id, first_name, last_name, date_of_birth, ordering_npi;
  bool any() const;
  // Adds the flags (--health-plan, --member-id, --first-name, --last-name, --dob,
  // --ordering-npi) to `cmd`.
  void add_flags(CLI::App& cmd);
  // Puts the given ones in `record`.
  void put(boost::json::object& record) const;
};

// Sends `record` with `op` and prints the order it comes to (table and CSV: the main columns).
// `verb` names the change in messages ("revise", "cancel").
Expected<void> run_order_change(Context& ctx, const batch::Operation& op,
                                boost::json::object record, const BatchFlags& flags,
                                std::string_view verb);

}  // namespace portal::cli
