#include "x12/ack.hpp"

#include <utility>

#include "x12/envelope.hpp"
#include "x12/text.hpp"

namespace x12 {
namespace {

struct Meaning {
  std::string_view code, text;
};

constexpr Meaning k_ik3[] = {
    {"1", "Unrecognized segment ID"},
    {"2", "Unexpected segment"},
    {"3", "Required segment missing"},
    {"4", "Loop occurs over maximum times"},
    {"5", "Segment exceeds maximum use"},
    {"6", "Segment not in defined transaction set"},
    {"7", "Segment not in proper sequence"},
    {"8", "Segment has data element errors"},
    {"I4", "Implementation \"not used\" segment present"},
    {"I6", "Implementation dependent segment missing"},
    {"I7", "Implementation loop occurs under minimum times"},
    {"I8", "Implementation segment below minimum use"},
    {"I9", "Implementation dependent \"not used\" segment present"},
};
constexpr Meaning k_ik4[] = {
    {"1", "Required data element missing"},
    {"2", "Conditional required data element missing"},
    {"3", "Too many data elements"},
    {"4", "Data element too short"},
    {"5", "Data element too long"},
    {"6", "Invalid character in data element"},
    {"7", "Invalid code value"},
    {"8", "Invalid date"},
    {"9", "Invalid time"},
    {"10", "Exclusion condition violated"},
    {"12", "Too many repetitions"},
    {"13", "Too many components"},
    {"I6", "Code value not used in implementation"},
    {"I9", "Implementation dependent data element missing"},
    {"I10", "Implementation \"not used\" data element present"},
    {"I11", "Implementation too few repetitions"},
    {"I12", "Implementation pattern match failure"},
    {"I13", "Implementation dependent \"not used\" data element present"},
};
constexpr Meaning k_ta1[] = {
    {"000", "No error"},
    {"001", "Interchange control numbers in header and trailer do not match"},
    {"002", "Standard in the header not supported"},
    {"003", "Version of the controls not supported"},
    {"004", "Segment terminator invalid"},
    {"005", "Invalid interchange ID qualifier for sender"},
    {"006", "Invalid interchange sender ID"},
    {"007", "Invalid interchange ID qualifier for receiver"},
    {"008", "Invalid interchange receiver ID"},
    {"009", "Unknown interchange receiver ID"},
    {"010", "Invalid authorization information qualifier"},
    {"011", "Invalid authorization information value"},
    {"012", "Invalid security information qualifier"},
    {"013", "Invalid security information value"},
    {"014", "Invalid interchange date"},
    {"015", "Invalid interchange time"},
    {"016", "Invalid interchange standards identifier"},
    {"017", "Invalid interchange version ID"},
    {"018", "Invalid interchange control number"},
    {"019", "Invalid acknowledgment requested"},
    {"020", "Invalid test indicator"},
    {"021", "Invalid number of included groups"},
    {"022", "Invalid control structure"},
    {"023", "Improper (premature) end-of-file"},
    {"024", "Invalid interchange content"},
    {"025", "Duplicate interchange control number"},
    {"026", "Invalid data element separator"},
    {"027", "Invalid component element separator"},
    {"028", "Invalid delivery date in deferred delivery request"},
    {"029", "Invalid delivery time in deferred delivery request"},
    {"030", "Invalid delivery time code in deferred delivery request"},
    {"031", "Invalid grade of service code"},
};

template <std::size_t N>
std::string_view lookup(const Meaning (&table)[N], std::string_view code) {
  for (const Meaning& m : table)
    if (m.code == code) return m.text;
  return {};
}

int to_int(std::string_view v) {
  const auto n = detail::parse_uint(v);
  return n && *n < 1000000 ? static_cast<int>(*n) : 0;
}

// An acknowledgment code of one character (TA104, AK901, IK501); '?' when missing or longer.
char one_code(std::string_view v) { return v.size() == 1 ? v[0] : '?'; }

// The codes in elements first..last up to the first empty one (AK905-AK909, IK502-IK506).
void append_codes(const Segment& s, std::size_t first, std::size_t last,
                  std::vector<std::string>& codes) {
  for (std::size_t i = first; i <= last && !s.element(i).empty(); ++i)
    codes.emplace_back(s.element(i));
}

class AckBuilder {
 public:
  AckBuilder(Acknowledgements& out, EnvelopeChecker& envelope, std::size_t max_notes)
      : m_out(out), m_envelope(envelope), m_max_notes(max_notes) {}

  void on_segment(const Segment& s);

 private:
  void problem(const Segment& s, int element, std::string reason) {
    Error e;
    e.code = ErrorCode::unexpected_segment;
    e.segment_position = s.position();
    e.byte_offset = s.offset();
    e.segment_id = std::string(s.id().substr(0, 3));
    e.element = element;
    e.reason = std::move(reason);
    m_envelope.add(std::move(e));
  }
  // An IK3 or IK4 note: it points at a position (IK302, IK401, else a problem) and gives a code
  // of `codes` (IK304, IK403).
  template <std::size_t N>
  void check_note(const Segment& s, bool positioned, int position_element,
                  std::string_view position_kind, int code_element, const Meaning (&codes)[N]) {
    const std::string id(s.id().substr(0, 3));
    if (!positioned)
      problem(
          s, position_element,
          id + "0" + std::to_string(position_element) + " is not " + std::string(position_kind));
    if (lookup(codes, s.element(code_element)).empty())
      problem(s, code_element, id + "0" + std::to_string(code_element) + " is not a known code");
  }
  bool room() {
    if (m_notes < m_max_notes) {
      ++m_notes;
      return true;
    }
    ++m_out.dropped_notes;
    return false;
  }

  Acknowledgements& m_out;
  EnvelopeChecker& m_envelope;
  std::size_t m_max_notes;
  std::size_t m_notes = 0;
  bool m_in_999 = false;
  bool m_dropping = false;  // the IK3 these IK4s belong to was over the cap
  GroupAck* m_group = nullptr;
  SetAck* m_set = nullptr;
  SegmentNote* m_segment = nullptr;
  ElementNote* m_element = nullptr;
};

void AckBuilder::on_segment(const Segment& s) {
  const std::string_view id = s.id();
  if (id == "TA1") {
    Ta1 t;
    t.control_number = s.element(1);
    t.date = s.element(2);
    t.time = s.element(3);
    t.ack_code = one_code(s.element(4));
    t.note_code = s.element(5);
    t.segment_position = s.position();
    if (t.ack_code != 'A' && t.ack_code != 'E' && t.ack_code != 'R')
      problem(s, 4, "TA104 is not A, E or R");
    if (lookup(k_ta1, t.note_code).empty()) problem(s, 5, "TA105 is not a known note code");
    m_out.ta1s.push_back(std::move(t));
    return;
  }
  if (id == "ST") {
    m_in_999 = s.element(1) == "999";
    m_group = nullptr;
    m_set = nullptr;
    m_segment = nullptr;
    m_element = nullptr;
    return;
  }
  if (!m_in_999) return;
  if (id == "SE") {
    if (m_group == nullptr) problem(s, 0, "a 999 without AK1");
    m_in_999 = false;
    return;
  }
  if (id == "AK1") {
    GroupAck g;
    g.functional_id = s.element(1);
    g.control_number = s.element(2);
    g.version = s.element(3);
    m_out.groups.push_back(std::move(g));
    m_group = &m_out.groups.back();
    m_set = nullptr;
    m_segment = nullptr;
    m_element = nullptr;
    return;
  }
  if (m_group == nullptr) {
    problem(s, 0, std::string(id.substr(0, 3)) + " before AK1");
    return;
  }
  if (id == "AK2") {
    SetAck a;
    a.set_id = s.element(1);
    a.control_number = s.element(2);
    a.version = s.element(3);
    m_group->sets.push_back(std::move(a));
    m_set = &m_group->sets.back();
    m_dropping = false;
    m_segment = nullptr;
    m_element = nullptr;
    return;
  }
  if (id == "AK9") {
    m_group->status = one_code(s.element(1));
    m_group->included = static_cast<std::size_t>(to_int(s.element(2)));
    m_group->received = static_cast<std::size_t>(to_int(s.element(3)));
    m_group->accepted_count = static_cast<std::size_t>(to_int(s.element(4)));
    append_codes(s, 5, 9, m_group->codes);
    if (m_group->status == '?') problem(s, 1, "AK901 is missing or not one code");
    m_set = nullptr;
    return;
  }
  if (m_set == nullptr) {
    problem(s, 0, std::string(id.substr(0, 3)) + " outside an AK2 loop");
    return;
  }
  if (id == "IK3") {
    m_element = nullptr;
    m_segment = nullptr;
    m_dropping = !room();
    if (m_dropping) return;
    SegmentNote n;
    n.segment_id = s.element(1);
    n.position = static_cast<std::size_t>(to_int(s.element(2)));
    n.loop = s.element(3);
    n.code = s.element(4);
    check_note(s, n.position != 0, 2, "a segment position", 4, k_ik3);
    m_set->segments.push_back(std::move(n));
    m_segment = &m_set->segments.back();
    return;
  }
  if (id == "IK4") {
    m_element = nullptr;
    if (m_dropping) {
      ++m_out.dropped_notes;
      return;
    }
    if (m_segment == nullptr) {
      problem(s, 0, "IK4 without an IK3 before it");
      return;
    }
    if (!room()) return;
    ElementNote n;
    n.position = to_int(s.component(1, 1));
    n.component = to_int(s.component(1, 2));
    n.repetition = to_int(s.component(1, 3));
    n.reference = s.element(2);
    n.code = s.element(3);
    n.bad_value = s.element(4);
    check_note(s, n.position != 0, 1, "an element position", 3, k_ik4);
    m_segment->elements.push_back(std::move(n));
    m_element = &m_segment->elements.back();
    return;
  }
  if (id == "CTX") {
    if (m_segment != nullptr && m_element == nullptr && m_segment->context.size() < 10)
      m_segment->context.emplace_back(s.element(1));
    return;
  }
  if (id == "IK5") {
    m_set->status = one_code(s.element(1));
    append_codes(s, 2, 6, m_set->codes);
    if (m_set->status == '?') problem(s, 1, "IK501 is missing or not one code");
    m_segment = nullptr;
    m_element = nullptr;
    return;
  }
  problem(s, 0, "segment " + std::string(id.substr(0, 3)) + " is not part of a 999");
}

}  // namespace

Acknowledgements read_acknowledgements(Reader& reader, std::size_t max_notes) {
  Acknowledgements out;
  EnvelopeChecker envelope(1000);
  AckBuilder builder(out, envelope, max_notes);
  while (const Segment* s = reader.next()) {
    envelope.on_segment(*s);
    builder.on_segment(*s);
  }
  if (reader.error())
    envelope.add(*reader.error());
  else
    envelope.on_end(reader.bytes_read());
  out.problems = std::move(envelope.findings());
  return out;
}

Acknowledgements read_acknowledgements(std::string_view bytes, std::size_t max_notes) {
  Reader reader = Reader::from_memory(bytes);
  return read_acknowledgements(reader, max_notes);
}

std::string_view ik3_reason(std::string_view code) { return lookup(k_ik3, code); }
std::string_view ik4_reason(std::string_view code) { return lookup(k_ik4, code); }
std::string_view ta1_reason(std::string_view code) { return lookup(k_ta1, code); }

}  // namespace x12
