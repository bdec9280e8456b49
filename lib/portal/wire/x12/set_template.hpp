// Transaction sets of many inquiries at the speed of copying text: the codec's writer checks each
// segment against its guide row, which costs more than all the rest of a batch row, yet the sets
// of a batch differ only in their values. For each shape of inquiry (which of its values are
// given) the writer writes one set whose values are placeholders; that text, cut at the
// placeholders, is the set of every inquiry of the shape once its values are put in. A value is
// put in only when it passes the check the writer makes on its element (the guide's length,
// date or range rule through the codec's own check_value, and the character set); an inquiry
// whose values do not, or whose other fields are not the ones the X12 wires fill in, is left to
// the writer, which writes it or says what it refuses. So the bytes are the writer's, always.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "x12/guide.hpp"
#include "x12/transactions.hpp"
#include "x12/writer.hpp"

namespace portal::wire::x12w {

// One value of an inquiry that varies from set to set, and the element it is written in.
struct TemplateSlot {
  enum class Kind : std::uint8_t { text, date, range };
  std::string_view loop;       // the guide loop of the segment ("2100C"; the header: "ST")
  std::string_view segment;    // its id ("NM1")
  std::string_view qualifier;  // the value of the row's qualifier element ("IL"), "" for none
  int element = 0;
  Kind kind = Kind::text;  // a date is ISO in the inquiry and D8 in the set; a range two dates
};

class SetTemplates {
 public:
  // A writer with a group of the sets' kind open, at the interchange's date and time.
  using WriterFactory = std::function<x12::Writer()>;
  static constexpr std::size_t k_max_slots = 16;

  // For the 270s (X279A1) or the 276s (X212) written by `make_writer`'s writers.
  static SetTemplates for_270(WriterFactory make_writer);
  static SetTemplates for_276(WriterFactory make_writer);

  // Appends the set of `inquiry` with ST02 `st02` to `out` and returns true, or returns false
  // (nothing appended) when the writer must write it.
  bool write(const x12::EligibilityInquiry& inquiry, std::uint32_t st02, std::string& out);
  bool write(const x12::ClaimInquiry& inquiry, std::uint32_t st02, std::string& out);

 private:
  struct Piece {
    std::string text;  // written as it is, then the slot's value
    int slot = -1;     // -1: none; k_control: ST02 and SE02
  };
  struct Template {
    bool usable = false;
    std::vector<Piece> pieces;
  };
  using Values = std::array<std::string_view, k_max_slots>;
  using Ranges = std::array<std::string_view, k_max_slots>;  // a range's end, by slot

  SetTemplates(const x12::Guide& guide, std::vector<TemplateSlot> slots, WriterFactory make);
  template <typename Inquiry>
  bool write_set(const Inquiry& inquiry, const Values& values, const Ranges& ends,
                 std::uint32_t st02, std::string& out);
  // The template of the shape of `values` (bit i: slot i given), learnt on first use.
  template <typename Inquiry>
  const Template& template_of(unsigned shape, const Inquiry& inquiry, const Ranges& ends);
  // Whether `value` (the text written for slot i) passes its element's check.
  bool passes(std::size_t slot, std::string_view value) const;

  const x12::Guide* m_guide;
  std::vector<TemplateSlot> m_slots;
  std::vector<const x12::ElementRule*> m_rules;  // by slot; nullptr: the guide lists none
  WriterFactory m_make_writer;
  std::array<bool, 256> m_writable{};  // what the writer's character set lets through
  std::vector<std::pair<unsigned, Template>> m_templates;
  // By slot: the first value that passed its check, and its text in the set.
  struct Passed {
    bool valid = false;
    std::string value, end, text;
  };
  std::array<Passed, k_max_slots> m_passed;
};

}  // namespace portal::wire::x12w
