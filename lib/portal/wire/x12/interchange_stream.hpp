// Many inquiries in one interchange, written as they come (`provportal x12 build`, a
// clearinghouse drop's file): the ISA and a GS at the first set, one ST..SE per inquiry, a new
// GS after `sets_per_group` sets, then GE and IEA. A set the guide refuses is left out and the
// next ones go on. Memory is one set's: the caller takes out() as it grows.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"
#include "portal/wire/x12/set_template.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "x12/control_numbers.hpp"
#include "x12/transactions.hpp"
#include "x12/writer.hpp"

namespace portal::wire::x12w {

class InterchangeStream {
 public:
  // GE01 holds at most six digits.
  static constexpr std::uint32_t k_max_sets_per_group = 999999;

  struct Options {
    Parties parties;          // ISA06/GS02 and ISA15
    std::string receiver_id;  // ISA08/GS03
    std::chrono::sys_seconds time{};
    std::uint32_t sets_per_group = k_max_sets_per_group;
    bool newline_after_segment = false;  // a '\n' after each terminator, for people reading it
    // Sets of the X12 wires' usual shape are their template filled in (set_template.hpp); off:
    // the codec's writer writes every set.
    bool templates = true;
    // Writes each templated set with the writer too and fails (ErrorKind::internal) when the
    // bytes differ: what the tests run the templates with.
    bool verify_templates = false;
  };

  // An interchange of 270s (Function::eligibility), 276s (claim_inquiry) or 278s
  // (case_submission), its ISA13 and GS06 reserved from `store` (which must outlive it) when its
  // first set is written.
  InterchangeStream(Function function, Options options, ::x12::ControlNumbers& store);

  // Appends one ST..SE (ST02 counted from 1 in each group). The inner value is the guide's
  // refusal of the set, which is then left out; the outer error is fatal (the control numbers
  // cannot be reserved, the envelope cannot be written).
  Expected<std::optional<::x12::Error>> add(const ::x12::EligibilityInquiry& inquiry);
  Expected<std::optional<::x12::Error>> add(const ::x12::ClaimInquiry& inquiry);
  // A 278 request for review (Function::case_submission: group HI, 005010X217).
  Expected<std::optional<::x12::Error>> add(const ::x12::ServiceReview& review);
  // Closes the open group and the interchange (GE, IEA); nothing when no set was written.
  void finish();

  // The bytes written and not yet taken: write them out and clear() it.
  std::string& out() { return m_out; }
  std::size_t sets() const { return m_sets; }
  std::size_t groups() const { return m_groups; }
  // ISA13 once the first set is written, else 0.
  std::uint32_t interchange_control() const { return m_isa13; }

 private:
  template <typename Inquiry, typename Write>
  Expected<std::optional<::x12::Error>> add_set(const Inquiry& inquiry, Write write);
  // A new group (and the interchange, the first time): its GS06 reserved, the writer made.
  Expected<void> open_group();
  // A writer whose open group is the current one, its ISA and GS bytes in its out().
  Expected<::x12::Writer> new_writer() const;
  // The same as m_writer.
  Expected<void> make_writer();
  // The set of `inquiry` from its template, when it has one; checked against the writer's own
  // when the options ask. The inner value: whether it was written.
  template <typename Inquiry, typename Write>
  Expected<bool> templated(const Inquiry& inquiry, Write write);
  template <typename Inquiry, typename Write>
  Expected<bool> templated_set(const Inquiry& inquiry, Write write);
  void close_group();

  Function m_function;
  Options m_options;
  ::x12::ControlNumbers& m_store;
  std::optional<::x12::Writer> m_writer;
  std::optional<SetTemplates> m_templates;
  std::string m_out;
  std::uint32_t m_isa13 = 0, m_gs06 = 0, m_st02 = 0;
  std::size_t m_sets = 0, m_groups = 0;
  bool m_finished = false;
};

}  // namespace portal::wire::x12w
