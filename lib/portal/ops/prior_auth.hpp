// Prior authorization on the batch engine: the operations behind `submit-case` (a case, then
// its attachments, whatever the order's status) and `upload-docs` (one document), and the
// checks made before anything is sent.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/api/prior_auth.hpp"
#include "portal/batch/runner.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// Checks of a case record beyond its schema: procedure and diagnosis code formats, service_end
// not before service_start, additional_info within the limit the portal announced for the
// case's solution (when `limits` are announced), a reason in additional_info when
// not_duplicate is set, and each
// attachment (relative paths from `base_dir`) an existing,
// readable regular file (not a symlink) of an accepted type by content within the size limit.
std::vector<FieldError> check_case(const boost::json::object& record,
                                   const std::filesystem::path& base_dir,
                                   const api::PortalLimits& limits);

// Checks of a document record beyond its schema: its `file` as for case attachments.
std::vector<FieldError> check_document(const boost::json::object& record,
                                       const std::filesystem::path& base_dir,
                                       const api::PortalLimits& limits);

// Whether the portal refused a case for its additional_info limit (additional_info_too_long):
// the limits the case was checked against before sending were not the portal's any more.
bool refused_for_limit(const wire::Result& result);

// A case for each row (on the JSON wire: POST /v1/cases); the row's attachments are uploaded to
// the order in the same row, whatever its status (matched in order to the documents the
// portal asks for, the rest as `other`) and the order is read again. Created → ok (status says
// which), case_rejected → rejected with each reason as a field error, duplicate_order →
// rejected with existing_order_id. `on_limit_refused` (optional; called from the sending
// threads) hears of each case the portal refused for its additional_info limit.
Expected<batch::Operation> case_operation(std::shared_ptr<const wire::Wire> wire,
                                          std::filesystem::path base_dir, api::PortalLimits limits,
                                          std::function<void()> on_limit_refused = {});

// How submit-case --wait-decision waits for a pended order's decision: polls the order (each
// poll with the engine's retries and Retry-After), first after `first_poll`, then each wait
// half as long again up to `max_poll`, until it is no longer pended or `max_wait` has passed.
struct DecisionWait {
  std::chrono::seconds max_wait{3600};
  std::chrono::milliseconds first_poll{1000};
  std::chrono::milliseconds max_poll{30'000};
};

// `op` (a case_operation) that, for a case the portal pended, waits for its decision: the row is
// ok with the decided order, or "pending" with the order as it stood when `wait.max_wait` ran
// out (sent again, its key replays the same order and the wait goes on: nothing is submitted
// twice). Stops waiting, the row unfinished, when the run is asked to stop.
batch::Operation waiting_for_decision(batch::Operation op, std::shared_ptr<const wire::Wire> wire,
                                      DecisionWait wait);

// A document for each row, the file streamed from disk (on the JSON wire:
// POST /v1/cases/{order_id}/documents).
Expected<batch::Operation> document_operation(std::shared_ptr<const wire::Wire> wire,
                                              std::filesystem::path base_dir,
                                              api::PortalLimits limits);

}  // namespace portal::ops
