// The answers in a clearinghouse drop's inbox, indexed for the x12-files wire: TA1s by the
// ISA13 they acknowledge, 999s by the GS06 (AK102) and ST02 (AK202) they judge, and 271/277
// transaction sets by the trace numbers (TRN02) they carry. Only interchanges addressed to the
// submitter (ISA08 = its sender ID) count. Files are read where they lie and never changed,
// moved or removed: the inbox is the user's mirror of the drop (an rclone or sftp sync would
// fetch a moved file again), several batches and shards may share it, and reading it twice
// changes nothing. Memory grows with the answer sets indexed, not with the files' sizes: a set
// is read back from its file when a row asks for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "portal/wire/wire.hpp"
#include "portal/wire/x12/ledger.hpp"
#include "portal/wire/x12/payers.hpp"
#include "x12/ack.hpp"

namespace portal::wire::x12w {

// A control number as a key: its digits without leading zeros ("000000042" and "42" match).
std::string control_key(std::string_view number);

class Inbox {
 public:
  // Indexes the files of `dir` addressed to `receiver`: every regular file whose name starts
  // with no '.' and does not end in .part, .partial or .tmp (names a sync or an SFTP upload
  // gives a file it has not finished). A file that is not X12 is passed over; one that breaks
  // off is used up to the break and named in problems().
  static Inbox scan(const std::filesystem::path& dir, std::string_view receiver);

  // The TA1 that answered interchange `isa13`, or null.
  const x12::Ta1* ta1(std::string_view isa13) const;
  // The 999 verdict on the group `gs06` (its AK9 and the AK2..IK5 of its sets), or null.
  const x12::GroupAck* group(std::string_view gs06) const;
  // Each 271 or 277 set carrying `trace` as a TRN02, as an interchange of its own (the answer's
  // ISA and GS, the set, GE and IEA), read from its file now.
  std::vector<std::string> answers(std::string_view trace) const;
  // Files read only in part, with the reason.
  const std::vector<std::string>& problems() const { return m_problems; }

 private:
  // Where one answer set lies in its file.
  struct Place {
    std::uint32_t file = 0;
    std::uint64_t isa = 0, isa_end = 0, gs = 0, gs_end = 0, st = 0, se_end = 0;
    std::string isa13, gs06;
    char element = '*', terminator = '~';
  };
  void scan_file(std::uint32_t index, std::string_view receiver);

  std::vector<std::filesystem::path> m_files;
  std::unordered_map<std::string, x12::Ta1> m_ta1s;
  std::unordered_map<std::string, x12::GroupAck> m_groups;
  std::unordered_map<std::string, std::vector<Place>> m_answers;
  std::vector<std::string> m_problems;
};

// What the answers indexed say of a set sent earlier (`sent`, for `record` of `f`): its result,
// or none while its answer is not in.
struct InboxReading {
  std::optional<Result> result;     // rejected by a TA1/999, or read from its 271/277
  bool by_acknowledgement = false;  // the result is a TA1/999 rejection (its answer is empty)
  bool acknowledged = false;        // a 999 judged the set (accepted, when there is no result)
};
InboxReading answer_in_inbox(Function f, const Inbox& in, const SentSet& sent,
                             const boost::json::object& record, const Payers& payers);

}  // namespace portal::wire::x12w
