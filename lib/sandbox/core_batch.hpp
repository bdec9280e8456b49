// The batch side of the sandbox's CAQH CORE endpoint (docs/core.md, "Batch mode"): the
// interchanges accepted by BatchSubmitTransaction, kept in the table core_batches of the portal's
// database by PayloadID with the SHA-1 of their payload, the account and the answers made when
// they came (the acknowledgement, a TA1 or a 999, and the 271/277 results), until they are asked
// for with BatchSubmitAckRetrievalTransaction and BatchResultsRetrievalTransaction. A PayloadID is
// answered once: the same payload again under it changes nothing (the submitter did not learn
// that it went), another payload under it is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "portal/util/clock.hpp"
#include "sandbox/db.hpp"

namespace portal::sandbox {

// One submission as kept.
struct CoreBatch {
  std::string payload_id, user_id, checksum;
  std::string set_id;            // "270" or "276" (the PayloadType's)
  std::string ack_type;          // "TA1" or "999"
  std::string ack;               // the acknowledgement interchange
  std::string results;           // the 271/277 interchanges, one after the other ("" when none)
  std::int64_t received_at = 0;  // the portal's clock, Unix seconds
  std::int64_t submits = 0;      // how many times it was submitted (1, or more for resends)
  std::int64_t results_retrieved = 0, results_acked = 0;  // times
};

class CoreBatchStore {
 public:
  // Opens a connection of its own to `db_file` and creates the table.
  explicit CoreBatchStore(const std::filesystem::path& db_file);

  // The submission under `payload_id`, if any.
  std::optional<CoreBatch> find(std::string_view payload_id);
  // Keeps a new submission (its submits is 1).
  void add(const CoreBatch& batch);
  // Counts a resend of the submission `payload_id`.
  void resubmitted(std::string_view payload_id);
  // Counts a retrieval of its results / a confirmation of their receipt.
  void results_retrieved(std::string_view payload_id);
  void results_acked(std::string_view payload_id);

  struct Totals {
    std::int64_t submissions = 0;  // distinct PayloadIDs
    std::int64_t resubmitted = 0;  // of those, submitted more than once
    std::int64_t acked = 0;        // of those, whose results' receipt was confirmed
  };
  Totals totals();

  // Held by the endpoint around find() and add(), so two sends of one PayloadID are answered
  // once.
  std::mutex& mutex() { return m_submit_mutex; }

 private:
  std::mutex m_submit_mutex;
  std::mutex m_db_mutex;
  Database m_db;
};

}  // namespace portal::sandbox
