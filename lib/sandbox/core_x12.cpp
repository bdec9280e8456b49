#include "sandbox/core_x12.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "x12/ack.hpp"
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
    std::vector<std::string_view> f;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= isa.size(); ++i) {
      if (i == isa.size() || isa[i] == sep) {
        f.push_back(isa.substr(start, i - start));
        start = i + 1;
      }
    }
    // A field is taken only when it has its fixed width: in a damaged ISA the fields shift, and
    // a shifted one would address the answer to a wrong party.
    static constexpr std::size_t k_width[] = {3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1};
    auto at = [&](std::size_t i) {
      return i < f.size() && f[i].size() == k_width[i] ? trim(f[i]) : std::string();
    };
    if (std::string q = x12_safe(at(5), 2); q.size() == 2) r.isa05 = q;
    if (!at(5).empty()) r.isa06 = x12_safe(at(6), 15);
    if (all_digits(at(9))) r.isa09 = at(9);
    if (all_digits(at(10))) r.isa10 = at(10);
    if (all_digits(at(13))) r.isa13 = at(13);
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

// ---- TA1 and 999
// -----------------------------------------------------------------------------------

std::string write_ta1_answer(const RequestInterchange& request, std::string_view payload,
                             const x12::Report& report, ControlAllocator& numbers, SysTime now) {
  auto ranges = x12::envelope_ranges(payload);
  x12::Ta1 ta1;
  if (!ranges.empty()) ta1 = x12::acknowledge_interchange(report, ranges.front());
  if (ta1.ack_code != 'R') {
    // No interchange to place the finding in (the ISA itself could not be read): the first
    // interchange-level finding of the report.
    ta1.ack_code = 'R';
    ta1.note_code = "024";
    for (const x12::Error& e : report.findings) {
      auto ack = x12::ack_code(e.code);
      if (ack.level == x12::AckLevel::interchange) {
        ta1.note_code = std::string(ack.code);
        break;
      }
    }
  }
  // TA101-103 echo the ISA when it could be read, else zeros and now.
  if (ta1.control_number.size() != 9 || !all_digits(ta1.control_number))
    ta1.control_number = request.isa13.empty() ? std::string("000000000") : request.isa13;
  if (ta1.date.size() != 6 || !all_digits(ta1.date))
    ta1.date = request.isa09.empty() ? yymmdd(now) : request.isa09;
  if (ta1.time.size() != 4 || !all_digits(ta1.time))
    ta1.time = request.isa10.empty() ? hhmm(now) : request.isa10;
  x12::Writer w = begin_answer(request, numbers, now);
  x12::write_ta1(w, ta1);
  if (!w.status()) {
    // A date or time the ISA held that is no date (991399): today's instead.
    ta1.date = yymmdd(now);
    ta1.time = hhmm(now);
    w = begin_answer(request, numbers, now);
    x12::write_ta1(w, ta1);
  }
  w.end_interchange();
  check(w, "TA1");
  return std::move(w.out());
}

std::string write_999_answer(const RequestInterchange& request, std::string_view payload,
                             const x12::Report& report, ControlAllocator& numbers, SysTime now) {
  auto ranges = x12::envelope_ranges(payload);
  x12::Writer w = begin_answer(request, numbers, now);
  w.begin_group("FA", k_core_sender_id, x12_safe(answer_receiver(request), 15), "005010X231A1",
                numbers.group());
  for (const auto& ix : ranges) {
    for (const auto& group : ix.groups)
      x12::write_999(w, numbers.transaction(), x12::acknowledge(report, group));
  }
  w.end_group();
  w.end_interchange();
  check(w, "999");
  return std::move(w.out());
}

}  // namespace portal::sandbox
