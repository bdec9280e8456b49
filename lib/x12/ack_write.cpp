// Writing acknowledgements (TA1, 999) and turning validate()'s findings into them.
#include <algorithm>
#include <string>
#include <utility>

#include "x12/ack.hpp"
#include "x12/guide.hpp"
#include "x12/text.hpp"
#include "x12/transactions_detail.hpp"

namespace x12 {
namespace {

using detail::Emitter;
using detail::Field;

// IK502..IK506 and AK905..AK909: five codes at most.
constexpr std::size_t k_max_codes = 5;

void ta1_problem(Writer& writer, ErrorCode code, int element, std::string reason,
                 std::string_view value) {
  Error e;
  e.code = code;
  e.segment_id = "TA1";
  e.element = element;
  e.value = detail::clip(value);
  e.reason = std::move(reason);
  writer.fail(std::move(e));
}

// "a:b" split on ':' (CTX01 as SegmentNote::context holds it).
std::vector<std::string_view> components(std::string_view text) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t p = text.find(':');
    parts.push_back(text.substr(0, p));
    if (p == std::string_view::npos) return parts;
    text.remove_prefix(p + 1);
  }
}

}  // namespace

void write_ta1(Writer& writer, const Ta1& t) {
  if (!writer.status()) return;
  if (t.control_number.size() != 9 || !detail::all_digits(t.control_number))
    return ta1_problem(writer, ErrorCode::element_too_short, 1,
                       "TA101 (the ISA13 acknowledged) must be 9 digits", t.control_number);
  if (t.date.size() != 6 || !detail::valid_date8("20" + t.date))
    return ta1_problem(writer, ErrorCode::invalid_date, 2,
                       "TA102 (the interchange's ISA09) must be a YYMMDD date", t.date);
  if (t.time.size() != 4 || !detail::valid_time(t.time))
    return ta1_problem(writer, ErrorCode::invalid_time, 3,
                       "TA103 (the interchange's ISA10) must be an HHMM time", t.time);
  if (t.ack_code != 'A' && t.ack_code != 'E' && t.ack_code != 'R')
    return ta1_problem(writer, ErrorCode::invalid_code, 4, "TA104 must be A, E or R",
                       std::string_view(&t.ack_code, 1));
  if (ta1_reason(t.note_code).empty())
    return ta1_problem(writer, ErrorCode::invalid_code, 5, "TA105 must be a note code 000-031",
                       t.note_code);
  writer.interchange_segment(
      {"TA1", t.control_number, t.date, t.time, std::string_view(&t.ack_code, 1), t.note_code});
}

void write_999(Writer& writer, std::uint32_t st02, const GroupAck& g) {
  Emitter out(writer, k_guide_999);
  out.begin(st02);
  out.segment("AK1", {g.functional_id, g.control_number, g.version});
  for (const SetAck& a : g.sets) {
    if (!out.ok()) return;
    out.loop("2000");
    out.segment("AK2", {a.set_id, a.control_number, a.version});
    for (const SegmentNote& n : a.segments) {
      out.loop("2100");
      const std::string position = std::to_string(n.position);
      out.segment("IK3", {n.segment_id, position, n.loop, n.code});
      for (const std::string& context : n.context) {
        const std::vector<std::string_view> parts = components(context);
        out.segment("CTX", {Field::composite(parts)});
      }
      for (const ElementNote& e : n.elements) {
        out.loop("2110");
        const std::string pos[] = {std::to_string(e.position),
                                   e.component != 0 ? std::to_string(e.component) : "",
                                   e.repetition != 0 ? std::to_string(e.repetition) : ""};
        const std::string_view parts[] = {pos[0], pos[1], pos[2]};
        const std::string_view bad =
            writer.writable(e.bad_value) ? std::string_view(e.bad_value) : std::string_view();
        out.segment("IK4", {Field::composite(parts), e.reference, e.code, bad});
      }
    }
    out.loop("2000");
    if (a.codes.size() > k_max_codes) {
      out.fail(ErrorCode::too_many_elements, "IK5", 7, "IK5 holds at most 5 error codes");
      return;
    }
    auto code = [&](std::size_t i) {
      return i < a.codes.size() ? std::string_view(a.codes[i]) : std::string_view();
    };
    out.segment("IK5",
                {std::string_view(&a.status, 1), code(0), code(1), code(2), code(3), code(4)});
  }
  out.loop("ST");
  if (g.codes.size() > k_max_codes) {
    out.fail(ErrorCode::too_many_elements, "AK9", 10, "AK9 holds at most 5 error codes");
    return;
  }
  auto code = [&](std::size_t i) {
    return i < g.codes.size() ? std::string_view(g.codes[i]) : std::string_view();
  };
  const std::string counts[] = {std::to_string(g.included), std::to_string(g.received),
                                std::to_string(g.accepted_count)};
  out.segment("AK9", {std::string_view(&g.status, 1), counts[0], counts[1], counts[2], code(0),
                      code(1), code(2), code(3), code(4)});
  out.end();
}

std::vector<InterchangeRange> envelope_ranges(Reader& reader) {
  std::vector<InterchangeRange> out;
  InterchangeRange* ix = nullptr;
  GroupRange* group = nullptr;
  SetRange* set = nullptr;
  auto close_set = [&](std::uint64_t at) {
    if (set != nullptr) set->end = at;
    set = nullptr;
  };
  auto close_group = [&](std::uint64_t at) {
    close_set(at);
    if (group != nullptr) group->end = at;
    group = nullptr;
  };
  auto close_interchange = [&](std::uint64_t at) {
    close_group(at);
    if (ix != nullptr) ix->end = at;
    ix = nullptr;
  };
  while (const Segment* s = reader.next()) {
    const std::string_view id = s->id();
    const std::uint64_t at = s->offset();
    if (id == "ISA") {
      close_interchange(at);
      ix = &out.emplace_back();
      ix->control_number = s->element(13);
      ix->date = s->element(9);
      ix->time = s->element(10);
      ix->begin = at;
    } else if (id == "IEA") {
      const std::uint64_t past = reader.bytes_read();
      close_group(at);
      if (ix != nullptr) ix->end = past;
      ix = nullptr;
    } else if (id == "GS" && ix != nullptr) {
      close_group(at);
      group = &ix->groups.emplace_back();
      group->functional_id = s->element(1);
      group->control_number = s->element(6);
      group->version = s->element(8);
      group->begin = at;
    } else if (id == "GE" && group != nullptr) {
      close_set(at);
      group->end = reader.bytes_read();
      group->closed = true;
      group = nullptr;
    } else if (id == "ST" && group != nullptr) {
      close_set(at);
      set = &group->sets.emplace_back();
      set->set_id = s->element(1);
      set->control_number = s->element(2);
      set->version = s->element(3);
      set->st_position = s->position();
      set->begin = at;
    } else if (id == "SE" && set != nullptr) {
      set->end = reader.bytes_read();
      set->closed = true;
      set = nullptr;
    }
  }
  close_interchange(reader.bytes_read());
  return out;
}

std::vector<InterchangeRange> envelope_ranges(std::string_view bytes) {
  Reader reader = Reader::from_memory(bytes);
  return envelope_ranges(reader);
}

namespace {

// A segment ID a 999 can echo (IK301: 2-3 upper-case letters or digits).
bool echoable_id(std::string_view id) {
  return id.size() >= 2 && id.size() <= 3 &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string_view::npos;
}

// A control number a 999 can echo (AK202: 4-9 letters or digits).
bool echoable_control(std::string_view v) {
  return v.size() >= 4 && v.size() <= 9 &&
         v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
             std::string_view::npos;
}

void add_code(std::vector<std::string>& codes, std::string_view code) {
  if (codes.size() < k_max_codes && std::find(codes.begin(), codes.end(), code) == codes.end())
    codes.emplace_back(code);
}

// The set of `group` a finding belongs to, or nullptr: the one holding its offset, except that
// a missing SE or missing segment reported where a cut-off set ended (at the next ST, GE or IEA,
// or at the end of input) belongs to that set.
const SetRange* set_of(const Error& e, const GroupRange& group) {
  if (e.code == ErrorCode::missing_se || e.code == ErrorCode::missing_segment)
    for (const SetRange& s : group.sets)
      if (!s.closed && e.byte_offset == s.end) return &s;
  for (const SetRange& s : group.sets)
    if (e.byte_offset >= s.begin && e.byte_offset < s.end) return &s;
  return nullptr;
}

bool in_group(const Error& e, const GroupRange& group) {
  if (e.byte_offset >= group.begin && e.byte_offset < group.end) return true;
  return e.code == ErrorCode::missing_ge && !group.closed && e.byte_offset == group.end;
}

void note_finding(const Error& e, const SetRange& range, SetAck& ack) {
  const AckCode code = ack_code(e.code);
  if (code.level == AckLevel::transaction) {
    add_code(ack.codes, code.code);
    return;
  }
  if (code.level != AckLevel::segment && code.level != AckLevel::element) return;
  // A set cut off before its SE gets IK502 2 from the envelope's finding; the guide walk's
  // "required segment SE missing" would only repeat it.
  if (e.code == ErrorCode::missing_segment && e.segment_id == "SE") return;
  ack.status = 'R';
  if (e.segment_position < range.st_position || e.segment_position == 0 ||
      !echoable_id(e.segment_id))
    return;  // no segment to name: the set is rejected without an IK3 for it
  const std::size_t position = e.segment_position - range.st_position + 1;
  if (ack.segments.empty() || ack.segments.back().position != position ||
      ack.segments.back().segment_id != e.segment_id) {
    SegmentNote& n = ack.segments.emplace_back();
    n.segment_id = e.segment_id;
    n.position = position;
    if (e.loop != "ST") n.loop = e.loop.substr(0, 4);
  }
  SegmentNote& n = ack.segments.back();
  if (code.level == AckLevel::segment) {
    n.code = code.code;
    return;
  }
  if (n.code.empty()) n.code = "8";
  if (e.element <= 0) return;
  ElementNote& el = n.elements.emplace_back();
  el.position = e.element;
  el.component = e.component;
  el.code = code.code;
  el.bad_value = e.value;
}

}  // namespace

GroupAck acknowledge(const Report& report, const GroupRange& group) {
  GroupAck g;
  g.functional_id = group.functional_id;
  g.control_number = group.control_number;
  g.version = group.version;
  std::vector<SetAck> sets(group.sets.size());
  for (std::size_t i = 0; i < group.sets.size(); ++i) {
    sets[i].set_id = group.sets[i].set_id;
    sets[i].control_number = group.sets[i].control_number;
    sets[i].version = group.sets[i].version;
    sets[i].status = 'A';
  }
  std::uint64_t last_kept = 0;
  for (const Error& e : report.findings) {
    last_kept = std::max(last_kept, e.byte_offset);
    if (const SetRange* range = set_of(e, group)) {
      note_finding(e, *range, sets[static_cast<std::size_t>(range - group.sets.data())]);
    } else if (in_group(e, group) && ack_code(e.code).level == AckLevel::group) {
      add_code(g.codes, ack_code(e.code).code);
    }
  }
  for (std::size_t i = 0; i < sets.size(); ++i) {
    SetAck& a = sets[i];
    if (report.dropped > 0 && group.sets[i].end > last_kept) a.status = 'R';
    if (!a.codes.empty()) a.status = 'R';
    if (a.status == 'R' && std::find(a.codes.begin(), a.codes.end(), "5") == a.codes.end() &&
        (!a.segments.empty() || a.codes.empty()))
      add_code(a.codes, "5");
  }
  g.included = g.received = group.sets.size();
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (sets[i].accepted()) ++g.accepted_count;
    if (echoable_control(sets[i].control_number) && echoable_id(sets[i].set_id))
      g.sets.push_back(std::move(sets[i]));
  }
  if (!g.codes.empty() || g.accepted_count == 0)
    g.status = 'R';
  else
    g.status = g.accepted_count == g.received ? 'A' : 'P';
  return g;
}

Ta1 acknowledge_interchange(const Report& report, const InterchangeRange& ix) {
  Ta1 t;
  t.control_number = ix.control_number;
  t.date = ix.date;
  t.time = ix.time;
  t.ack_code = 'A';
  t.note_code = "000";
  for (const Error& e : report.findings) {
    const AckCode code = ack_code(e.code);
    if (code.level != AckLevel::interchange) continue;
    if (e.byte_offset < ix.begin || e.byte_offset > ix.end) continue;
    t.ack_code = 'R';
    t.note_code = code.code;
    break;
  }
  return t;
}

}  // namespace x12
