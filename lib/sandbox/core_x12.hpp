// The X12 side of the sandbox's CAQH CORE endpoint (docs/core.md): what a request interchange
// holds (its envelope and sets, read even when it is broken), the answers' envelope and control
// numbers, and the acknowledgements of a payload that fails validation: a TA1 for a broken
// interchange envelope, a 999 for a group or set that breaks its guide (lib/x12's acknowledge()
// and writers). Knows nothing of the portal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "portal/util/clock.hpp"
#include "x12/control_numbers.hpp"
#include "x12/validate.hpp"
#include "x12/writer.hpp"

namespace portal::sandbox {

// The sandbox's interchange sender ID (ISA06 ZZ, GS02) and its CORE SenderID.
inline constexpr std::string_view k_core_sender_id = "PROVPORTALSBX";

// What the answers take from a request interchange: its ISA fields (as written, trimmed), its
// groups' GS01/GS02 and its sets' ST01. Read leniently from the raw bytes, so a TA1 can answer
// an interchange the reader refuses.
struct RequestInterchange {
  std::string isa05 = "ZZ", isa06, isa09, isa10, isa13;  // ISA13: "" when unreadable
  char isa15 = 'T';
  struct Group {
    std::string gs01, gs02, gs06, gs08;
    std::size_t first = 0, last = 0;  // segment positions of GS and GE (0: not seen)
  };
  struct Set {
    std::string st01, st02, st03;
    std::size_t first = 0, last = 0;  // segment positions of ST and SE (0: not seen)
    std::size_t group = 0;            // index into groups
  };
  std::vector<Group> groups;
  std::vector<Set> sets;
};
RequestInterchange read_request_interchange(std::string_view payload);

// Hands out ISA13, GS06 and ST02 for the answers from x12::ControlNumbers of the sender
// k_core_sender_id in `directory`, reserving blocks so a request does not cost an fsync.
// Thread-safe. Numbers of a block not used before a restart are skipped, never reused.
class ControlAllocator {
 public:
  explicit ControlAllocator(const std::filesystem::path& directory, std::uint32_t block = 1000);
  std::uint32_t interchange();
  std::uint32_t group();
  std::uint32_t transaction();

 private:
  std::uint32_t take(int kind);
  std::mutex m_mutex;
  x12::ControlNumbers m_store;
  std::uint32_t m_block;
  std::uint32_t m_next[3] = {0, 0, 0};
  std::uint32_t m_left[3] = {0, 0, 0};
};

// The ISA of an answer to `request` (docs/core.md, section 4), at `now`.
x12::InterchangeHeader answer_header(const RequestInterchange& request, SysTime now);
// The GS03 of an answer: the request's first GS02, "" when it had none.
std::string_view answer_receiver(const RequestInterchange& request);

// Whether `report` has a finding about the interchange envelope (a TA1 answers it).
bool interchange_broken(const x12::Report& report);

// An interchange holding the TA1 (x12::acknowledge_interchange) that rejects `payload`, whose
// validation is `report`, for its first interchange-level finding.
std::string write_ta1_answer(const RequestInterchange& request, std::string_view payload,
                             const x12::Report& report, ControlAllocator& numbers, SysTime now);

// An interchange holding a 999 (x12::acknowledge, one set per request group) for the findings of
// `report` on `payload`.
std::string write_999_answer(const RequestInterchange& request, std::string_view payload,
                             const x12::Report& report, ControlAllocator& numbers, SysTime now);

}  // namespace portal::sandbox
