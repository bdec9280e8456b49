#include "x12/envelope.hpp"

#include <utility>

#include "x12/text.hpp"

namespace x12 {
namespace {

using detail::all_digits;
using detail::clip;
using detail::parse_uint;

// Deeper than any 5010 guide's tree (270: 4 levels, 276: 5); beyond it a hostile input would
// only grow memory.
constexpr std::size_t k_max_hl_depth = 32;

std::string num(std::uint64_t n) { return std::to_string(n); }

}  // namespace

std::string_view functional_group_of(std::string_view id) {
  struct Pair {
    std::string_view set, group;
  };
  static constexpr Pair k_pairs[] = {{"270", "HS"}, {"271", "HB"}, {"276", "HR"}, {"277", "HN"},
                                     {"278", "HI"}, {"820", "RA"}, {"834", "BE"}, {"835", "HP"},
                                     {"837", "HC"}, {"999", "FA"}, {"997", "FA"}, {"275", "PI"}};
  for (const Pair& p : k_pairs)
    if (p.set == id) return p.group;
  return {};
}

EnvelopeChecker::EnvelopeChecker(std::size_t max_findings) : m_max_findings(max_findings) {
  m_hl_path.reserve(k_max_hl_depth);
}

void EnvelopeChecker::add(Error error) {
  if (m_findings.size() >= m_max_findings) {
    ++m_dropped;
    return;
  }
  m_findings.push_back(std::move(error));
}

void EnvelopeChecker::error_at(const Segment& s, ErrorCode code, int element, std::string reason,
                               std::string_view value) {
  Error e;
  e.code = code;
  e.segment_position = s.position();
  e.byte_offset = s.offset();
  e.segment_id = std::string(s.id().substr(0, 3));
  e.element = element;
  e.value = clip(value);
  e.reason = std::move(reason);
  add(std::move(e));
}

void EnvelopeChecker::close_to(State level, const Segment* at, std::uint64_t offset) {
  while (m_state > level) {
    Error e;
    e.segment_position = at ? at->position() : 0;
    e.byte_offset = at ? at->offset() : offset;
    e.segment_id = at ? std::string(at->id().substr(0, 3)) : std::string();
    if (m_state == State::transaction) {
      e.code = ErrorCode::missing_se;
      e.reason = "transaction set " + m_st01 + " " + m_st02 + " (ST at segment " +
                 num(m_st_position) + ") has no SE";
      m_state = State::group;
    } else if (m_state == State::group) {
      e.code = ErrorCode::missing_ge;
      e.reason =
          "functional group " + m_gs06 + " (GS at segment " + num(m_gs_position) + ") has no GE";
      m_state = State::interchange;
    } else {
      e.code = ErrorCode::missing_iea;
      e.reason =
          "interchange " + m_isa13 + " (ISA at segment " + num(m_isa_position) + ") has no IEA";
      m_state = State::outside;
    }
    add(std::move(e));
  }
}

void EnvelopeChecker::check_count(const Segment& s, ErrorCode code, std::uint64_t counted,
                                  std::string_view units, std::string_view holder) {
  const auto n = parse_uint(s.element(1));
  if (!n || *n != counted)
    error_at(s, code, 1,
             std::string(s.id()) + "01 says " + std::string(s.element(1)) + " " +
                 std::string(units) + " but " + std::string(holder) + " " + num(counted),
             s.element(1));
}

void EnvelopeChecker::check_control(const Segment& s, ErrorCode code, std::string_view header,
                                    const std::string& expected) {
  if (s.element(2) != expected)
    error_at(s, code, 2,
             std::string(s.id()) + "02 differs from " + std::string(header) + " " + expected,
             s.element(2));
}

void EnvelopeChecker::on_end(std::uint64_t offset) { close_to(State::outside, nullptr, offset); }

void EnvelopeChecker::on_segment(const Segment& s) {
  const std::string_view id = s.id();
  if (m_state == State::transaction) ++m_segments_in_st;

  if (id == "ISA") {
    close_to(State::outside, &s, 0);
    m_state = State::interchange;
    ++m_interchanges;
    m_isa_position = s.position();
    m_isa13.assign(s.element(13));
    m_groups_in_isa = 0;
    if (s.size() != 16)
      error_at(s, ErrorCode::isa_malformed, 0,
               "the ISA has " + num(s.size()) + " elements, not 16");
    if (s.element(12) != "00501")
      error_at(s, ErrorCode::isa_malformed, 12, "ISA12 is not the 5010 version 00501",
               s.element(12));
    if (s.element(13).size() != 9 || !all_digits(s.element(13)))
      error_at(s, ErrorCode::isa_malformed, 13, "ISA13 is not 9 digits", s.element(13));
    if (s.element(14) != "0" && s.element(14) != "1")
      error_at(s, ErrorCode::isa_malformed, 14, "ISA14 is neither 0 nor 1", s.element(14));
    if (s.element(15) != "T" && s.element(15) != "P")
      error_at(s, ErrorCode::isa_malformed, 15, "ISA15 is neither T (test) nor P (production)",
               s.element(15));
    if (!detail::valid_date8("20" + std::string(s.element(9))))
      error_at(s, ErrorCode::isa_malformed, 9, "ISA09 is not a YYMMDD date", s.element(9));
    if (s.element(10).size() != 4 || !detail::valid_time(s.element(10)))
      error_at(s, ErrorCode::isa_malformed, 10, "ISA10 is not an HHMM time", s.element(10));
    return;
  }
  if (id == "IEA") {
    if (m_state == State::outside) {
      error_at(s, ErrorCode::invalid_content, 0, "IEA without an ISA");
      return;
    }
    close_to(State::interchange, &s, 0);
    check_control(s, ErrorCode::interchange_control_mismatch, "ISA13", m_isa13);
    check_count(s, ErrorCode::interchange_count_mismatch, m_groups_in_isa, "groups",
                "the interchange has");
    m_state = State::outside;
    return;
  }
  if (m_state == State::outside) {
    error_at(
        s, ErrorCode::invalid_content, 0,
        "segment " + std::string(id.substr(0, 3)) + " outside an interchange (no ISA before it)");
    return;
  }
  if (id == "GS") {
    close_to(State::interchange, &s, 0);
    m_state = State::group;
    ++m_groups_in_isa;
    m_gs_position = s.position();
    m_gs01.assign(s.element(1));
    m_gs06.assign(s.element(6));
    m_gs08.assign(s.element(8));
    m_sets_in_gs = 0;
    if (s.element(6).size() > 9 || !all_digits(s.element(6)))
      error_at(s, ErrorCode::group_control_invalid, 6, "GS06 is not 1-9 digits", s.element(6));
    return;
  }
  if (id == "GE") {
    if (m_state == State::interchange) {
      error_at(s, ErrorCode::unexpected_segment, 0, "GE without a GS");
      return;
    }
    close_to(State::group, &s, 0);
    check_control(s, ErrorCode::group_control_mismatch, "GS06", m_gs06);
    check_count(s, ErrorCode::group_count_mismatch, m_sets_in_gs, "transaction sets",
                "the group has");
    m_state = State::interchange;
    return;
  }
  if (m_state == State::interchange) {
    if (id != "TA1")
      error_at(s, ErrorCode::unexpected_segment, 0,
               "segment " + std::string(id.substr(0, 3)) + " between ISA and GS (only TA1 may be)");
    return;
  }
  if (id == "ST") {
    close_to(State::group, &s, 0);
    m_state = State::transaction;
    ++m_sets_in_gs;
    ++m_transactions;
    m_segments_in_st = 1;
    m_st_position = s.position();
    m_st01.assign(s.element(1));
    m_st02.assign(s.element(2));
    m_st03.assign(s.element(3));
    if (m_st03.empty()) m_st03 = m_gs08;
    m_hl_next = 1;
    m_hl_path.clear();
    m_hl_parent_level.clear();
    if (s.element(2).size() < 4 || s.element(2).size() > 9)
      error_at(s, ErrorCode::transaction_control_invalid, 2, "ST02 is not 4-9 characters",
               s.element(2));
    const std::string_view group = functional_group_of(s.element(1));
    if (group.empty())
      error_at(s, ErrorCode::transaction_not_supported, 1,
               "transaction set " + std::string(s.element(1)) + " is not a known 5010 set",
               s.element(1));
    else if (group != m_gs01)
      error_at(s, ErrorCode::transaction_not_supported, 1,
               "transaction set " + std::string(s.element(1)) + " belongs in a GS01 " +
                   std::string(group) + " group, not " + m_gs01,
               s.element(1));
    if (!s.element(3).empty() && s.element(3) != m_gs08)
      error_at(s, ErrorCode::version_not_supported, 3, "ST03 differs from GS08 " + m_gs08,
               s.element(3));
    return;
  }
  if (m_state != State::transaction) {
    error_at(s, ErrorCode::unexpected_segment, 0,
             "segment " + std::string(id.substr(0, 3)) + " outside a transaction set (no ST)");
    return;
  }
  if (id == "SE") {
    check_count(s, ErrorCode::segment_count_mismatch, m_segments_in_st, "segments", "ST..SE holds");
    check_control(s, ErrorCode::transaction_control_mismatch, "ST02", m_st02);
    m_state = State::group;
    return;
  }
  if (id == "HL") on_hl(s);
}

void EnvelopeChecker::on_hl(const Segment& s) {
  m_hl_parent_level.clear();
  const auto own = parse_uint(s.element(1));
  std::uint64_t id = m_hl_next;
  if (!own || *own != m_hl_next) {
    error_at(s, ErrorCode::hl_invalid, 1,
             "HL01 should be " + num(m_hl_next) + " (HL IDs count up from 1 in each set)",
             s.element(1));
  }
  if (own) id = *own;
  m_hl_next = id + 1;
  HlNode node{id, {' ', ' '}, s.element(4) == "1"};
  const std::string_view level = s.element(3);
  if (level.empty()) error_at(s, ErrorCode::element_missing, 3, "HL03 (level code) is missing");
  for (std::size_t i = 0; i < 2 && i < level.size(); ++i) node.level[i] = level[i];

  const std::string_view parent_text = s.element(2);
  if (!parent_text.empty()) {
    const auto parent = parse_uint(parent_text);
    if (!parent) {
      error_at(s, ErrorCode::hl_invalid, 2, "HL02 is not a number", parent_text);
      m_hl_path.clear();
    } else if (*parent == id) {
      error_at(s, ErrorCode::hl_invalid, 2, "HL02 points at the HL itself", parent_text);
      m_hl_path.clear();
    } else if (*parent > id) {
      error_at(s, ErrorCode::hl_invalid, 2,
               "HL02 points at HL " + num(*parent) + ", which does not come before HL " + num(id),
               parent_text);
      m_hl_path.clear();
    } else {
      while (!m_hl_path.empty() && m_hl_path.back().id != *parent) m_hl_path.pop_back();
      if (m_hl_path.empty()) {
        error_at(s, ErrorCode::hl_invalid, 2,
                 "HL02 parent " + num(*parent) +
                     " is not on the path to this HL (missing, or HLs not in tree order)",
                 parent_text);
      } else {
        const HlNode& p = m_hl_path.back();
        if (!p.says_children)
          error_at(s, ErrorCode::hl_invalid, 2,
                   "HL " + num(p.id) + " says it has no children (HL04 0) but HL " + num(id) +
                       " names it as parent",
                   parent_text);
        m_hl_parent_level.assign(p.level.data(), p.level[1] == ' ' ? 1 : 2);
      }
    }
  } else {
    m_hl_path.clear();
  }
  if (m_hl_path.size() >= k_max_hl_depth) {
    error_at(s, ErrorCode::hl_invalid, 2,
             "the HL tree is deeper than " + num(k_max_hl_depth) + " levels");
    return;
  }
  m_hl_path.push_back(node);
}

}  // namespace x12
