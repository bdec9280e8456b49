// The envelope walker: checks ISA/IEA, GS/GE, ST/SE pairing, control numbers, counts, and the
// HL tree's shape (IDs counting up from 1, parents earlier on the current path, no self-loops),
// one segment at a time in memory bounded by the tree's depth.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "x12/error.hpp"
#include "x12/segment.hpp"

namespace x12 {

// The GS01 functional identifier code a transaction set belongs under ("HS" for "270"), or "".
std::string_view functional_group_of(std::string_view transaction_set_id);

// Feeds on segments in order; findings accumulate (at most `max_findings`, then counted only).
class EnvelopeChecker {
 public:
  explicit EnvelopeChecker(std::size_t max_findings = 1000);

  // Checks one segment against the envelope state and the HL tree.
  void on_segment(const Segment& segment);
  // Reports what the end of input left open (no SE/GE/IEA); `offset` is the input's length.
  void on_end(std::uint64_t offset);

  const std::vector<Error>& findings() const { return m_findings; }
  std::vector<Error>& findings() { return m_findings; }
  // Findings beyond max_findings, counted but not kept.
  std::size_t dropped() const { return m_dropped; }
  // Adds a finding under the same cap (for the validator, which shares the list).
  void add(Error error);

  bool in_transaction() const { return m_state == State::transaction; }
  std::string_view group_id() const { return m_gs01; }             // GS01
  std::string_view group_version() const { return m_gs08; }        // GS08
  std::string_view transaction_id() const { return m_st01; }       // ST01
  std::string_view transaction_version() const { return m_st03; }  // ST03, else GS08
  // After an HL: its parent's HL03 level code, "" for a root or an unresolved parent.
  std::string_view hl_parent_level() const { return m_hl_parent_level; }
  std::size_t interchanges() const { return m_interchanges; }
  std::size_t transactions() const { return m_transactions; }

 private:
  enum class State : std::uint8_t { outside, interchange, group, transaction };
  struct HlNode {
    std::uint64_t id;
    std::array<char, 2> level;
    bool says_children;
  };
  void error_at(const Segment& s, ErrorCode code, int element, std::string reason,
                std::string_view value = {});
  void on_hl(const Segment& s);
  // Reports each level still open above `level` as missing its trailer (SE, GE, IEA), innermost
  // first, at `at` or, at the end of input, at `offset`.
  void close_to(State level, const Segment* at, std::uint64_t offset);
  // A trailer's count (element 1: IEA01, GE01, SE01) against what its level holds.
  void check_count(const Segment& s, ErrorCode code, std::uint64_t counted, std::string_view units,
                   std::string_view holder);
  // A trailer's control number (element 2: IEA02, GE02, SE02) against its header's.
  void check_control(const Segment& s, ErrorCode code, std::string_view header,
                     const std::string& expected);

  std::size_t m_max_findings;
  std::size_t m_dropped = 0;
  std::vector<Error> m_findings;
  State m_state = State::outside;
  std::string m_isa13, m_gs01, m_gs06, m_gs08, m_st01, m_st02, m_st03;
  std::size_t m_isa_position = 0, m_gs_position = 0, m_st_position = 0;
  std::uint64_t m_groups_in_isa = 0, m_sets_in_gs = 0, m_segments_in_st = 0;
  std::size_t m_interchanges = 0, m_transactions = 0;
  std::uint64_t m_hl_next = 1;
  std::vector<HlNode> m_hl_path;  // root .. last HL; bounded by k_max_hl_depth
  std::string m_hl_parent_level;
};

}  // namespace x12
