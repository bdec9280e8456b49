// The sandbox as a clearinghouse behind an SFTP drop (docs/core.md, "File exchange"): it picks
// up the interchanges a provider dropped (the *.x12 files of the pickup directory, which is the
// provider's outbox), and answers each interchange of each file as a clearinghouse does:
// always a 999 (every set accepted, IK5 A, or rejected, IK5 R with its IK3/IK4), or a TA1
// instead when the envelope itself is broken; and a 271 or 277 holding the answers of the
// accepted sets, by the rules of the CORE endpoint (core_answers.hpp) for one account's
// organisation. Answers are written atomically into the drop-off directory (the provider's
// inbox) and the file picked up is moved to pickup/.done/, so no file is answered twice; a pass
// killed between the two finds its answers written already (their names come from the file's)
// and only moves the file. Answered inquiries are counted in core_traces like the endpoint's.
// With `remittances`, it also drops the 835s the portal issues to the account's organisation
// (remittances.hpp), each once.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sandbox/core_traces.hpp"
#include "sandbox/core_x12.hpp"
#include "sandbox/portal.hpp"

namespace portal::sandbox {

struct ClearinghouseOptions {
  std::filesystem::path pickup;   // where the provider drops its files (its outbox)
  std::filesystem::path dropoff;  // where the answers go (the provider's inbox)
  std::string user_id;            // the account the drop belongs to (its claims answer 276s)
  bool remittances = false;       // also drop the organisation's 835s (deliver_remittances)
};

// One answer to a batch of inquiries: a TA1, a 999, or a 271/277 of the accepted sets of a group.
struct BatchAnswer {
  std::string kind;    // "TA1", "999", "271" or "277"
  std::string suffix;  // names it beside the batch's name: "_999", "_271_<GS06>" ("_2_999"...)
  std::string bytes;   // the interchange
  std::string set_id;  // what it answers: "270", "276", or "TA1"/"999"
  std::vector<std::string> traces;  // the inquiries (TRN02) it answers
  std::string sender;               // the request's ISA06
};
struct BatchAnswers {
  std::vector<BatchAnswer> answers;
  std::size_t sets = 0, accepted = 0;
};

// Answers every interchange of `bytes` as a clearinghouse does (above): a TA1 for a broken
// envelope, else a 999 judging every set and a 271/277 per group of the accepted sets, for the
// account `user_id` (its organisation's claims answer 276s). Counts nothing.
BatchAnswers answer_batch(Portal& portal, const std::string& user_id, std::string_view bytes,
                          ControlAllocator& numbers, SysTime now);

// What one pass did with one file.
struct PickedUp {
  std::string file;                  // its name in the pickup directory
  std::size_t sets = 0;              // transaction sets in it
  std::size_t accepted = 0;          // of those, accepted by the 999
  std::vector<std::string> answers;  // the files written (or found written) in the drop-off
};

class Clearinghouse {
 public:
  // Keeps its control numbers in DATA_DIR/x12-control and its trace counts in the portal's
  // database, as the CORE endpoint does. The directories are created when missing.
  Clearinghouse(Portal& portal, ClearinghouseOptions options);

  // Answers every file waiting in the pickup directory, in name order.
  std::vector<PickedUp> run_once();
  // Drops each 835 the portal issued to the account's organisation (up to now on its clock)
  // into the drop-off once, as 835_PAYER_CHECK.x12, in issue order; returns the names written.
  // What was delivered is listed in pickup/.done/835-delivered, so a file the provider took
  // away is not dropped again; one written before a crash is listed, not written again.
  std::vector<std::string> deliver_remittances();

 private:
  PickedUp answer_file(const std::filesystem::path& file);

  Portal& m_portal;
  ClearinghouseOptions m_options;
  ControlAllocator m_numbers;
  CoreTraceLog m_traces;
};

}  // namespace portal::sandbox
