#include "x12/validate.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>

#include "x12/envelope.hpp"
#include "x12/guide.hpp"
#include "x12/guide_check.hpp"
#include "x12/text.hpp"

namespace x12 {
namespace {

using detail::clip;

// The guides nest at most 6 loops deep; the stack never grows beyond this.
constexpr std::size_t k_max_depth = 12;

// True when the rule's element `index` has a code list (so check_elements reports a bad value).
bool codes_checked(const SegmentRule& rule, std::uint8_t index) {
  for (const ElementRule& e : rule.elements)
    if (e.index == index && !e.codes.empty()) return true;
  return false;
}

const SegmentRule& head_of(const SegmentRule& row) {
  return row.loop != nullptr ? row.loop->segments[0] : row;
}

bool id_in_loop(const Loop& loop, std::string_view id, int depth = 0) {
  if (depth > static_cast<int>(k_max_depth)) return false;
  for (const SegmentRule& row : loop.segments) {
    if (row.loop ? id_in_loop(*row.loop, id, depth + 1) : row.id == id) return true;
  }
  return false;
}

// Walks one transaction set against a guide.
class SetWalker {
 public:
  SetWalker(const Guide& guide, EnvelopeChecker& sink, Charset charset)
      : m_guide(&guide), m_sink(sink), m_charset(charset) {
    m_frames[0] = {guide.root, 0, 0};
    m_depth = 1;
  }
  const Guide& guide() const { return *m_guide; }
  // Walks on with `other`, a guide of the same set and version whose ST row is the same (the
  // 278 response's when BHT02 says so); only right after the ST.
  void rebind(const Guide& other) {
    m_guide = &other;
    m_frames[0].loop = other.root;
  }
  void on_segment(const Segment& s);
  // Reports the required rows never reached; `s` is where the set ended (SE or what replaced it).
  void finish(const Segment& s) {
    while (m_depth > 0) close_frame(m_depth - 1, s);
  }

 private:
  struct Frame {
    const Loop* loop;
    std::size_t index;
    std::uint32_t uses;
  };
  void report(const Segment& s, ErrorCode code, std::string_view loop, int element,
              std::string reason, std::string_view value = {}, std::string_view id = {});
  void missing_rows(std::size_t depth, std::size_t from, std::size_t to, const Segment& s);
  void close_frame(std::size_t depth, const Segment& s);
  bool try_match(const Segment& s, bool strict);
  void check_elements(const Segment& s, const SegmentRule& rule, std::string_view loop);
  void check_value(const Segment& s, const ElementRule& e, std::string_view v,
                   std::string_view loop);
  void check_characters(const Segment& s, std::string_view loop);

  const Guide* m_guide;
  EnvelopeChecker& m_sink;
  Charset m_charset;
  std::array<Frame, k_max_depth> m_frames{};
  std::size_t m_depth = 0;
};

void SetWalker::report(const Segment& s, ErrorCode code, std::string_view loop, int element,
                       std::string reason, std::string_view value, std::string_view id) {
  Error e;
  e.code = code;
  e.segment_position = s.position();
  e.byte_offset = s.offset();
  e.segment_id = std::string(id.empty() ? s.id().substr(0, 3) : id);
  e.loop = std::string(loop);
  e.element = element;
  e.value = clip(value);
  e.reason = std::move(reason);
  m_sink.add(std::move(e));
}

void SetWalker::missing_rows(std::size_t depth, std::size_t from, std::size_t to,
                             const Segment& s) {
  const Loop& loop = *m_frames[depth].loop;
  for (std::size_t j = from; j < to && j < loop.segments.size(); ++j) {
    const SegmentRule& row = loop.segments[j];
    if (row.usage != Usage::required) continue;
    const SegmentRule& head = head_of(row);
    std::string what = row.loop ? "required loop " + std::string(row.loop->name) + " (" +
                                      std::string(head.id) + ")"
                                : "required segment " + std::string(row.id);
    if (head.qual_element != 0)
      what += " with element " + std::to_string(head.qual_element) + " " +
              std::string(head.qual_codes.substr(0, head.qual_codes.find(' ')));
    report(s, ErrorCode::missing_segment, loop.name, 0,
           what + " is missing before segment " + std::to_string(s.position()) + " " +
               std::string(s.id().substr(0, 3)),
           {}, head.id);
  }
}

void SetWalker::close_frame(std::size_t depth, const Segment& s) {
  const Frame& f = m_frames[depth];
  missing_rows(depth, f.uses > 0 ? f.index + 1 : f.index, f.loop->segments.size(), s);
  m_depth = depth;
}

bool SetWalker::try_match(const Segment& s, bool strict) {
  for (std::size_t d = m_depth; d-- > 0;) {
    const Loop& loop = *m_frames[d].loop;
    // A child loop's first row starts a new iteration, which its parent's row counts.
    const std::size_t first =
        d > 0 ? std::max<std::size_t>(m_frames[d].index, 1) : m_frames[d].index;
    for (std::size_t j = first; j < loop.segments.size(); ++j) {
      const SegmentRule& row = loop.segments[j];
      const SegmentRule& head = head_of(row);
      if (head.id != s.id()) continue;
      const bool qualified =
          head.qual_element == 0 || has_code(head.qual_codes, s.element(head.qual_element));
      if (strict && !qualified) continue;
      while (m_depth > d + 1) close_frame(m_depth - 1, s);
      Frame& f = m_frames[d];
      if (j == f.index && f.uses > 0) {
        ++f.uses;
        if (row.max_use != 0 && f.uses > row.max_use) {
          report(s, row.loop ? ErrorCode::loop_over_max : ErrorCode::segment_over_max, loop.name, 0,
                 (row.loop ? "loop " + std::string(row.loop->name)
                           : "segment " + std::string(row.id)) +
                     " repeats more than " + std::to_string(row.max_use) + " times");
        }
      } else {
        missing_rows(d, f.uses > 0 ? f.index + 1 : f.index, j, s);
        f.index = j;
        f.uses = 1;
      }
      std::string_view where = loop.name;
      if (row.loop != nullptr && m_depth < k_max_depth) {
        m_frames[m_depth++] = {row.loop, 0, 1};
        where = row.loop->name;
      }
      if (!qualified && !codes_checked(head, head.qual_element)) {
        const std::string_view v = s.element(head.qual_element);
        report(s, ErrorCode::invalid_code, where, head.qual_element,
               std::string(s.id().substr(0, 3)) + (head.qual_element < 10 ? "0" : "") +
                   std::to_string(head.qual_element) + " '" + clip(v) +
                   "' is not one of: " + std::string(head.qual_codes),
               v);
      }
      check_elements(s, head, where);
      return true;
    }
  }
  return false;
}

void SetWalker::on_segment(const Segment& s) {
  if (m_depth == 0) return;
  if (try_match(s, true) || try_match(s, false)) return;
  const Loop& top = *m_frames[m_depth - 1].loop;
  const std::string id(s.id().substr(0, 3));
  for (std::size_t j = 0; j < m_frames[m_depth - 1].index; ++j) {
    if (head_of(top.segments[j]).id == s.id()) {
      report(s, ErrorCode::segment_out_of_order, top.name, 0,
             "segment " + id + " is out of order in loop " + std::string(top.name));
      return;
    }
  }
  if (id_in_loop(*m_guide->root, s.id()))
    report(s, ErrorCode::unexpected_segment, top.name, 0,
           "segment " + id + " is not expected here (loop " + std::string(top.name) + ")");
  else
    report(s, ErrorCode::unrecognized_segment, top.name, 0,
           "segment " + id + " is not in the " + std::string(m_guide->set_id) + " guide " +
               std::string(m_guide->version));
}

void SetWalker::check_characters(const Segment& s, std::string_view loop) {
  const Delimiters& d = s.delimiters();
  int element = 0;
  for (char c : s.text()) {
    if (c == d.element) {
      ++element;
      continue;
    }
    if (c == d.component || c == d.repetition) continue;
    if (!in_charset(c, m_charset)) {
      report(s, ErrorCode::invalid_character, loop, element,
             std::string("a character outside the X12 ") +
                 (m_charset == Charset::basic ? "basic" : "extended") + " character set",
             s.element(static_cast<std::size_t>(element)));
      return;
    }
  }
}

void SetWalker::check_value(const Segment& s, const ElementRule& e, std::string_view v,
                            std::string_view loop) {
  const std::string_view format =
      e.type == Type::dated ? s.element(static_cast<std::size_t>(e.index - 1)) : std::string_view();
  auto problem = detail::check_value(e, v, format, s.delimiters().component);
  if (!problem) return;
  const int i = e.index;
  report(s, problem->code, loop, i,
         std::string(s.id().substr(0, 3)) + (i < 10 ? "0" : "") + std::to_string(i) + " " +
             std::move(problem->reason),
         v);
}

void SetWalker::check_elements(const Segment& s, const SegmentRule& rule, std::string_view loop) {
  // A BIN's data is bytes of any value: only the elements before it hold characters.
  bool binary = false;
  for (const ElementRule& e : rule.elements) binary = binary || e.type == Type::binary;
  if (!binary) check_characters(s, loop);
  if (rule.count != 0 && s.size() > rule.count)
    report(s, ErrorCode::too_many_elements, loop, static_cast<int>(s.size()),
           std::string(rule.id) + " has " + std::to_string(s.size()) +
               " elements; the standard defines " + std::to_string(rule.count));
  for (const ElementRule& e : rule.elements) {
    const std::string_view v = s.element(e.index);
    // Built only for a report: this loop runs for every element of every segment.
    auto name = [&] {
      return std::string(rule.id) + (e.index < 10 ? "0" : "") + std::to_string(e.index);
    };
    if (v.empty()) {
      if (e.usage == Usage::required)
        report(s, ErrorCode::element_missing, loop, e.index,
               "required element " + name() + " is missing");
      continue;
    }
    if (e.usage == Usage::not_used) {
      report(s, ErrorCode::element_not_used, loop, e.index,
             name() + " is marked not used in this loop but holds a value", v);
      continue;
    }
    if (e.repeats) {
      std::string_view rest = v;
      for (;;) {
        const std::size_t p = rest.find(s.delimiters().repetition);
        check_value(s, e, rest.substr(0, p), loop);
        if (p == std::string_view::npos) break;
        rest.remove_prefix(p + 1);
      }
    } else {
      check_value(s, e, v, loop);
    }
  }
  if (rule.id == "HL") {
    const std::string_view level = s.element(3);
    for (const HlLevel& l : m_guide->hl_levels) {
      if (l.level != level) continue;
      const std::string_view parent = m_sink.hl_parent_level();
      if (!l.parent.empty() && !parent.empty() && parent != l.parent)
        report(s, ErrorCode::hl_invalid, loop, 2,
               "an HL of level " + std::string(level) + " must be under level " +
                   std::string(l.parent) + ", but HL02 points at a level " + std::string(parent),
               s.element(2));
    }
  }
}

}  // namespace

Report validate(Reader& reader, const ValidateOptions& options) {
  EnvelopeChecker envelope(options.max_findings);
  std::optional<SetWalker> walker;
  Report report;
  while (const Segment* s = reader.next()) {
    ++report.segments;
    const std::string_view id = s->id();
    const bool ends_set = id == "ST" || id == "GE" || id == "IEA" || id == "ISA";
    if (walker && ends_set) {
      walker->finish(*s);
      walker.reset();
    }
    envelope.on_segment(*s);
    if (id == "ST") {
      const Guide* guide = find_guide(envelope.transaction_id(), envelope.transaction_version());
      if (guide != nullptr) {
        walker.emplace(*guide, envelope, options.charset);
      } else {
        bool known_set = false;
        for (const Guide* g : guides()) known_set = known_set || g->set_id == s->element(1);
        if (known_set || options.require_guide) {
          Error e;
          e.code = ErrorCode::version_not_supported;
          e.segment_position = s->position();
          e.byte_offset = s->offset();
          e.segment_id = "ST";
          e.element = 3;
          e.value = clip(envelope.transaction_version());
          e.reason = "no implementation guide for " + std::string(s->element(1)) + " version '" +
                     std::string(envelope.transaction_version()) + "'";
          envelope.add(std::move(e));
        }
      }
    }
    if (walker && id == "BHT" && !walker->guide().purposes.empty() &&
        !has_code(walker->guide().purposes, s->element(2))) {
      const Guide& g = walker->guide();
      const Guide* other = find_guide(g.set_id, g.version, s->element(2));
      if (other != nullptr && other != &g && has_code(other->purposes, s->element(2)))
        walker->rebind(*other);
    }
    if (walker) walker->on_segment(*s);
    if (id == "SE" && walker) {
      walker->finish(*s);
      walker.reset();
    }
  }
  // After a fatal reader error the open envelopes are its consequence, not news.
  if (reader.error())
    envelope.add(*reader.error());
  else
    envelope.on_end(reader.bytes_read());
  report.findings = std::move(envelope.findings());
  report.dropped = envelope.dropped();
  report.interchanges = envelope.interchanges();
  report.transactions = envelope.transactions();
  return report;
}

Report validate(std::string_view bytes, const ValidateOptions& options) {
  Reader reader = Reader::from_memory(bytes);
  return validate(reader, options);
}

}  // namespace x12
