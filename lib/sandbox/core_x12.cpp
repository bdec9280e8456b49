#include "sandbox/core_x12.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "x12/charset.hpp"
#include "x12/error.hpp"
#include "x12/reader.hpp"

namespace portal::sandbox {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// `value` with what an answer may not carry left out: characters outside X12's extended set and
// the answers' delimiters; at most `max` characters.
std::string x12_safe(std::string_view value, std::size_t max) {
  std::string out;
  for (char c : value) {
    if (out.size() >= max) break;
    if (x12::in_charset(c, x12::Charset::extended) && c != '*' && c != '^' && c != ':' && c != '~')
      out += c;
  }
  return out;
}

std::string yymmdd(SysTime now) {
  auto days = std::chrono::floor<std::chrono::days>(now);
  std::chrono::year_month_day ymd{days};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02u%02u", static_cast<int>(ymd.year()) % 100,
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string hhmm(SysTime now) {
  auto days = std::chrono::floor<std::chrono::days>(now);
  std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(now - days)};
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d%02d", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()));
  return buf;
}

void check(const x12::Writer& w, std::string_view what) {
  if (!w.status())
    throw std::runtime_error("cannot write the " + std::string(what) + ": " +
                             x12::to_string(w.status().error()));
}

x12::Writer begin_answer(const RequestInterchange& request, ControlAllocator& numbers,
                         SysTime now) {
  x12::Writer w;
  w.begin_interchange(answer_header(request, now), numbers.interchange());
  return w;
}

}  // namespace

// ---- the request
// ---------------------------------------------------------------------------------

RequestInterchange read_request_interchange(std::string_view payload) {
  RequestInterchange r;
  std::string_view p = payload;
  if (p.substr(0, 3) == "\xEF\xBB\xBF") p.remove_prefix(3);
  while (!p.empty() &&
         (p.front() == ' ' || p.front() == '\r' || p.front() == '\n' || p.front() == '\t'))
    p.remove_prefix(1);
  if (p.size() > 4 && p.substr(0, 3) == "ISA") {
    // The ISA's fields by its own element separator, whatever its width turned out to be.
    const char sep = p[3];
    std::string_view isa = p.substr(0, std::min<std::size_t>(p.size(), 106));
    std::vector<std::string> f;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= isa.size(); ++i) {
      if (i == isa.size() || isa[i] == sep) {
        f.push_back(trim(isa.substr(start, i - start)));
        start = i + 1;
      }
    }
    auto at = [&](std::size_t i) { return i < f.size() ? f[i] : std::string(); };
    if (std::string q = x12_safe(at(5), 2); q.size() == 2) r.isa05 = q;
    r.isa06 = x12_safe(at(6), 15);
    if (at(9).size() == 6 && all_digits(at(9))) r.isa09 = at(9);
    if (at(10).size() == 4 && all_digits(at(10))) r.isa10 = at(10);
    if (at(13).size() == 9 && all_digits(at(13))) r.isa13 = at(13);
    if (std::string u = at(15); u == "P" || u == "T") r.isa15 = u[0];
  }
  auto reader = x12::Reader::from_memory(payload);
  while (const x12::Segment* s = reader.next()) {
    std::string_view id = s->id();
    if (id == "GS") {
      r.groups.push_back({std::string(s->element(1)), std::string(s->element(2)),
                          std::string(s->element(6)), std::string(s->element(8)), s->position(),
                          0});
    } else if (id == "GE" && !r.groups.empty()) {
      r.groups.back().last = s->position();
    } else if (id == "ST") {
      r.sets.push_back({std::string(s->element(1)), std::string(s->element(2)),
                        std::string(s->element(3)), s->position(), 0,
                        r.groups.empty() ? 0 : r.groups.size() - 1});
    } else if (id == "SE" && !r.sets.empty()) {
      r.sets.back().last = s->position();
    }
  }
  return r;
}

// ---- control numbers
// -------------------------------------------------------------------------------

namespace {
x12::ControlNumbers open_numbers(const std::filesystem::path& directory) {
  auto store = x12::ControlNumbers::open(directory, k_core_sender_id);
  if (!store)
    throw std::runtime_error("cannot keep X12 control numbers in " + directory.string() + ": " +
                             store.error().reason);
  return std::move(*store);
}
}  // namespace

ControlAllocator::ControlAllocator(const std::filesystem::path& directory, std::uint32_t block)
    : m_store(open_numbers(directory)), m_block(block) {}

std::uint32_t ControlAllocator::take(int kind) {
  std::lock_guard lock(m_mutex);
  if (m_left[kind] == 0) {
    auto reserved =
        m_store.reserve(kind == 0 ? m_block : 0, kind == 1 ? m_block : 0, kind == 2 ? m_block : 0);
    if (!reserved)
      throw std::runtime_error("cannot reserve X12 control numbers: " + reserved.error().reason);
    m_next[kind] = kind == 0   ? reserved->interchange
                   : kind == 1 ? reserved->group
                               : reserved->transaction;
    m_left[kind] = m_block;
  }
  std::uint32_t n = m_next[kind];
  m_next[kind] = x12::next_control(n);
  --m_left[kind];
  return n;
}

std::uint32_t ControlAllocator::interchange() { return take(0); }
std::uint32_t ControlAllocator::group() { return take(1); }
std::uint32_t ControlAllocator::transaction() { return take(2); }

// ---- the answers' envelope
// ---------------------------------------------------------------------------

x12::InterchangeHeader answer_header(const RequestInterchange& request, SysTime now) {
  x12::InterchangeHeader h;
  h.sender_qualifier = "ZZ";
  h.sender_id = k_core_sender_id;
  h.receiver_qualifier = request.isa05;
  h.receiver_id = request.isa06;
  h.usage = request.isa15;
  h.time = std::chrono::floor<std::chrono::seconds>(now);
  return h;
}

std::string_view answer_receiver(const RequestInterchange& request) {
  return request.groups.empty() ? std::string_view() : request.groups.front().gs02;
}

bool interchange_broken(const x12::Report& report) {
  return std::any_of(report.findings.begin(), report.findings.end(), [](const x12::Error& e) {
    return x12::ack_code(e.code).level == x12::AckLevel::interchange;
  });
}

// ---- TA1
// -------------------------------------------------------------------------------------------

std::string write_ta1_answer(const RequestInterchange& request, const x12::Report& report,
                             ControlAllocator& numbers, SysTime now) {
  std::string note = "024";
  for (const x12::Error& e : report.findings) {
    auto ack = x12::ack_code(e.code);
    if (ack.level == x12::AckLevel::interchange) {
      note = std::string(ack.code);
      break;
    }
  }
  x12::Writer w = begin_answer(request, numbers, now);
  // A TA1 sits between ISA and IEA, outside any group: the writer has no call for it, so it is
  // appended as text (every value is digits or a code).
  w.out() += "TA1*" + (request.isa13.empty() ? std::string("000000000") : request.isa13) + "*" +
             (request.isa09.empty() ? yymmdd(now) : request.isa09) + "*" +
             (request.isa10.empty() ? hhmm(now) : request.isa10) + "*R*" + note + "~";
  w.end_interchange();
  check(w, "TA1");
  return std::move(w.out());
}

// ---- 999
// -------------------------------------------------------------------------------------------

namespace {

struct ElementNote {
  int element = 0, component = 0;
  std::string code, value;
};
struct SegmentNote {
  std::string id, loop, code;  // code: the segment-level IK304, "" while only element notes
  std::vector<ElementNote> elements;
};
struct SetNotes {
  std::vector<std::string> codes;            // IK502.. (transaction level)
  std::map<std::size_t, SegmentNote> notes;  // by position from ST = 1
  bool rejected = false;
};

void add_code(std::vector<std::string>& codes, std::string_view code) {
  if (codes.size() < 5 && std::find(codes.begin(), codes.end(), code) == codes.end())
    codes.emplace_back(code);
}

}  // namespace

std::string write_999_answer(const RequestInterchange& request, const x12::Report& report,
                             ControlAllocator& numbers, SysTime now) {
  std::vector<SetNotes> sets(request.sets.size());
  std::vector<std::vector<std::string>> group_codes(request.groups.size());
  // The set (or group) a finding's position falls in; a finding without one (the input ended
  // inside a set) goes to the last set.
  auto set_at = [&](std::size_t position) -> std::ptrdiff_t {
    for (std::size_t i = 0; i < request.sets.size(); ++i) {
      const auto& s = request.sets[i];
      if (position >= s.first && (s.last == 0 || position <= s.last)) return std::ptrdiff_t(i);
    }
    return request.sets.empty() ? -1 : std::ptrdiff_t(request.sets.size() - 1);
  };
  auto group_at = [&](std::size_t position) -> std::ptrdiff_t {
    for (std::size_t i = 0; i < request.groups.size(); ++i) {
      const auto& g = request.groups[i];
      if (position >= g.first && (g.last == 0 || position <= g.last)) return std::ptrdiff_t(i);
    }
    return request.groups.empty() ? -1 : std::ptrdiff_t(request.groups.size() - 1);
  };
  for (const x12::Error& e : report.findings) {
    auto ack = x12::ack_code(e.code);
    if (ack.level == x12::AckLevel::interchange) continue;
    if (ack.level == x12::AckLevel::group) {
      if (auto g = group_at(e.segment_position); g >= 0) add_code(group_codes[g], ack.code);
      continue;
    }
    auto si = set_at(e.segment_position);
    if (si < 0) continue;
    SetNotes& notes = sets[si];
    notes.rejected = true;
    if (ack.level == x12::AckLevel::transaction) {
      add_code(notes.codes, ack.code);
      continue;
    }
    const auto& set = request.sets[si];
    std::size_t position = e.segment_position >= set.first ? e.segment_position - set.first + 1 : 1;
    SegmentNote& note = notes.notes[position];
    if (note.id.empty()) note.id = x12_safe(e.segment_id, 3);
    if (note.loop.empty()) note.loop = x12_safe(e.loop, 4);  // IK303 holds 4 characters
    if (ack.level == x12::AckLevel::segment) {
      if (note.code.empty()) note.code = std::string(ack.code);
    } else if (note.elements.size() < 99) {
      note.elements.push_back(
          {e.element, e.component, std::string(ack.code), x12_safe(e.value, 99)});
    }
  }

  x12::Writer w = begin_answer(request, numbers, now);
  w.begin_group("FA", k_core_sender_id, x12_safe(answer_receiver(request), 15), "005010X231A1",
                numbers.group());
  for (std::size_t gi = 0; gi < request.groups.size(); ++gi) {
    const auto& g = request.groups[gi];
    w.begin_transaction("999", numbers.transaction());
    std::string gs06 = all_digits(g.gs06) ? g.gs06.substr(0, 9) : "0";
    w.segment({"AK1", x12_safe(g.gs01, 2), gs06, x12_safe(g.gs08, 12)});
    std::size_t count = 0, accepted = 0;
    for (std::size_t si = 0; si < request.sets.size(); ++si) {
      const auto& s = request.sets[si];
      if (s.group != gi) continue;
      ++count;
      std::string st02 = x12_safe(s.st02, 9);
      if (st02.size() < 4) st02.insert(0, 4 - st02.size(), '0');
      w.segment({"AK2", x12_safe(s.st01, 3), st02, x12_safe(s.st03, 35)});
      SetNotes& notes = sets[si];
      for (auto& [position, note] : notes.notes) {
        std::string pos = std::to_string(position);
        std::string code = note.code.empty() ? "8" : note.code;
        w.segment({"IK3", note.id.empty() ? "ST" : note.id, pos, note.loop, code});
        for (const ElementNote& el : note.elements) {
          w.begin_segment("IK4");
          w.element(std::to_string(std::max(el.element, 1)));
          if (el.component > 0) w.component(std::to_string(el.component));
          w.element("");
          w.element(el.code);
          w.element(el.value);
          w.end_segment();
        }
      }
      if (notes.rejected) {
        if (!notes.notes.empty()) add_code(notes.codes, "5");
        w.begin_segment("IK5");
        w.element("R");
        for (const auto& c : notes.codes) w.element(c);
        w.end_segment();
      } else {
        w.segment({"IK5", "A"});
        ++accepted;
      }
    }
    std::string status = !group_codes[gi].empty() || accepted == 0 ? "R"
                         : accepted == count                       ? "A"
                                                                   : "P";
    w.begin_segment("AK9");
    w.element(status);
    w.element(std::to_string(count));
    w.element(std::to_string(count));
    w.element(std::to_string(group_codes[gi].empty() ? accepted : 0));
    for (const auto& c : group_codes[gi]) w.element(c);
    w.end_segment();
    w.end_transaction();
  }
  w.end_group();
  w.end_interchange();
  check(w, "999");
  return std::move(w.out());
}

}  // namespace portal::sandbox
