#include "portal/wire/x12/set_template.hpp"

#include <algorithm>
#include <concepts>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

#include "x12/guide_check.hpp"

namespace portal::wire::x12w {

namespace {

using Kind = TemplateSlot::Kind;
using namespace std::string_view_literals;

// ST02 of the sets the templates are learnt from: nine digits no value of a set can hold.
constexpr std::uint32_t k_control = 987654321;
constexpr std::string_view k_control_text = "987654321";
constexpr int k_control_slot = -2;

bool party_is(const x12::Party& p, std::string_view entity, char type, std::string_view qualifier) {
  return std::string_view(p.entity_code) == entity && p.entity_type == type && p.first.empty() &&
         p.middle.empty() && std::string_view(p.id_qualifier) == qualifier;
}

bool party_blank(const x12::Party& p) {
  return p.entity_code.empty() && p.last_or_org.empty() && p.first.empty() && p.middle.empty() &&
         p.id_qualifier.empty() && p.id.empty();
}

// ---- the 270 as the X12 wires fill it in (fill_eligibility_inquiry)

const std::vector<TemplateSlot>& slots_270() {
  static const std::vector<TemplateSlot> k_slots = {
      {"ST", "BHT", "", 3},
      {"2100A", "NM1", "PR", 3},
      {"2100A", "NM1", "PR", 9},
      {"2100B", "NM1", "1P", 3},
      {"2100B", "NM1", "1P", 9},
      {"2000C", "TRN", "1", 2},
      {"2000C", "TRN", "1", 3},
      {"2100C", "NM1", "IL", 3},
      {"2100C", "NM1", "IL", 4},
      {"2100C", "NM1", "IL", 9},
      {"2100C", "DMG", "D8", 2, Kind::date},
      {"2100C", "DTP", "291", 3, Kind::date},
  };
  return k_slots;
}

// Calls f(slot, value, range end or nullptr) for each slot the inquiry has.
template <typename Q, typename F>
void for_slots(Q& q, F&& f) requires std::same_as<std::remove_const_t<Q>, x12::EligibilityInquiry> {
  f(0, q.reference, nullptr);
  f(1, q.payer.last_or_org, nullptr);
  f(2, q.payer.id, nullptr);
  f(3, q.provider.last_or_org, nullptr);
  f(4, q.provider.id, nullptr);
  f(5, q.trace.number, nullptr);
  f(6, q.trace.originator, nullptr);
  f(7, q.subscriber.last_or_org, nullptr);
  f(8, q.subscriber.first, nullptr);
  f(9, q.subscriber.id, nullptr);
  f(10, q.date_of_birth, nullptr);
  if (!q.dates.empty()) f(11, q.dates[0].from, nullptr);
}

// Whether the fields that are not slots are those the shape's template was written with.
bool canonical(const x12::EligibilityInquiry& q) {
  return q.created_date.empty() && q.created_time.empty() && party_is(q.payer, "PR", '2', "PI") &&
         party_is(q.provider, "1P", '2', "XX") && q.trace.type == "1"sv && q.trace.detail.empty() &&
         q.subscriber.entity_code == "IL"sv && q.subscriber.entity_type == '1' &&
         q.subscriber.middle.empty() && q.subscriber.id_qualifier == "MI"sv && q.gender.empty() &&
         q.dates.size() <= 1 &&
         (q.dates.empty() || (q.dates[0].qualifier == "291"sv && q.dates[0].to.empty())) &&
         q.service_types.size() == 1 && q.service_types[0] == "30"sv && party_blank(q.dependent);
}

void write_with(x12::Writer& w, std::uint32_t st02, const x12::EligibilityInquiry& q) {
  x12::write_270(w, st02, q);
}

// ---- the 276 as the X12 wires fill it in (fill_claim_inquiry)

const std::vector<TemplateSlot>& slots_276() {
  static const std::vector<TemplateSlot> k_slots = {
      {"ST", "BHT", "", 3},
      {"2100A", "NM1", "PR", 3},
      {"2100A", "NM1", "PR", 9},
      {"2100B", "NM1", "41", 3},
      {"2100B", "NM1", "41", 9},
      {"2100C", "NM1", "1P", 3},
      {"2100C", "NM1", "1P", 9},
      {"2100D", "NM1", "IL", 3},
      {"2100D", "NM1", "IL", 4},
      {"2100D", "NM1", "IL", 9},
      {"2000D", "DMG", "D8", 2, Kind::date},
      {"2200D", "TRN", "1", 2},
      {"2200D", "REF", "1K", 2},
      {"2200D", "DTP", "472", 3, Kind::range},
  };
  return k_slots;
}

template <typename Q, typename F>
void for_slots(Q& q, F&& f) requires std::same_as<std::remove_const_t<Q>, x12::ClaimInquiry> {
  f(0, q.reference, nullptr);
  f(1, q.payer.last_or_org, nullptr);
  f(2, q.payer.id, nullptr);
  f(3, q.receiver.last_or_org, nullptr);
  f(4, q.receiver.id, nullptr);
  f(5, q.provider.last_or_org, nullptr);
  f(6, q.provider.id, nullptr);
  f(7, q.subscriber.last_or_org, nullptr);
  f(8, q.subscriber.first, nullptr);
  f(9, q.subscriber.id, nullptr);
  f(10, q.date_of_birth, nullptr);
  f(11, q.trace.number, nullptr);
  f(12, q.payer_claim_number, nullptr);
  f(13, q.service.from, &q.service.to);
}

bool canonical(const x12::ClaimInquiry& q) {
  return q.created_date.empty() && q.created_time.empty() && party_is(q.payer, "PR", '2', "PI") &&
         party_is(q.receiver, "41", '2', "46") && party_is(q.provider, "1P", '2', "XX") &&
         q.subscriber.entity_code == "IL"sv && q.subscriber.entity_type == '1' &&
         q.subscriber.middle.empty() && q.subscriber.id_qualifier == "MI"sv && q.gender.empty() &&
         q.trace.type == "1"sv && q.trace.originator.empty() && q.trace.detail.empty() &&
         q.patient_account.empty() && q.total_charge.empty() && q.bill_type.empty() &&
         q.lines.empty() && party_blank(q.dependent) && q.service.qualifier == "472"sv &&
         (!q.service.from.empty() || q.service.to.empty());
}

void write_with(x12::Writer& w, std::uint32_t st02, const x12::ClaimInquiry& q) {
  x12::write_276(w, st02, q);
}

// A placeholder of slot i for a text element of at least `min` characters.
std::string text_placeholder(std::size_t i, std::size_t min) {
  std::string p = "QZJ";
  p += static_cast<char>('A' + i);
  p += 'Z';
  while (p.size() < min) p += 'X';
  return p;
}

// ISO placeholders of slot i: dates no record holds, distinct by slot.
std::string date_placeholder(std::size_t i, bool end = false) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "1901-%02d-%02d", end ? 2 : 1, static_cast<int>(i % 28) + 1);
  return buf;
}

// CCYYMMDD of an ISO date into `out` (8 characters), as x12::to_d8 writes it; false when it is
// not one. The calendar is checked with the element (check_value).
bool d8_into(std::string_view iso, char* out) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return false;
  std::memcpy(out, iso.data(), 4);
  std::memcpy(out + 4, iso.data() + 5, 2);
  std::memcpy(out + 6, iso.data() + 8, 2);
  return true;
}

// ST02 as the writer writes it: at least four digits.
std::size_t control_into(std::uint32_t n, char* out) {
  char digits[10];
  std::size_t k = 0;
  do {
    digits[k++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  std::size_t size = 0;
  for (std::size_t pad = k; pad < 4; ++pad) out[size++] = '0';
  while (k > 0) out[size++] = digits[--k];
  return size;
}

}  // namespace

SetTemplates::SetTemplates(const x12::Guide& guide, std::vector<TemplateSlot> slots,
                           WriterFactory make)
    : m_guide(&guide), m_slots(std::move(slots)), m_make_writer(std::move(make)) {
  const x12::Writer probe = m_make_writer();
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    m_writable[static_cast<unsigned char>(ch)] = probe.writable(std::string_view(&ch, 1));
  }
  for (const TemplateSlot& s : m_slots) {
    const x12::ElementRule* rule = nullptr;
    if (const x12::Loop* loop = x12::detail::find_loop(*m_guide->root, s.loop)) {
      const auto* row =
          x12::detail::find_row(*loop, s.segment, [&](std::size_t) { return s.qualifier; });
      if (row) {
        for (const x12::ElementRule& e : row->elements)
          if (e.index == s.element) rule = &e;
      }
    }
    m_rules.push_back(rule);
  }
}

SetTemplates SetTemplates::for_270(WriterFactory make_writer) {
  return SetTemplates(x12::k_guide_270, slots_270(), std::move(make_writer));
}

SetTemplates SetTemplates::for_276(WriterFactory make_writer) {
  return SetTemplates(x12::k_guide_276, slots_276(), std::move(make_writer));
}

bool SetTemplates::passes(std::size_t slot, std::string_view value) const {
  for (char c : value)
    if (!m_writable[static_cast<unsigned char>(c)]) return false;
  const x12::ElementRule* rule = m_rules[slot];
  if (rule == nullptr) return true;
  // A string element is checked for its length alone (check_value's first step), here inline:
  // every row has several.
  if (rule->type == x12::Type::an) return value.size() >= rule->min && value.size() <= rule->max;
  const TemplateSlot& s = m_slots[slot];
  const std::string_view format = s.kind == Kind::text ? "" : value.size() > 8 ? "RD8" : "D8";
  return !x12::detail::check_value(*rule, value, format, ':').has_value();
}

template <typename Inquiry>
const SetTemplates::Template& SetTemplates::template_of(unsigned shape, const Inquiry& inquiry,
                                                        const Ranges& ends) {
  for (const auto& [s, t] : m_templates)
    if (s == shape) return t;
  Template t;
  // The inquiry with a placeholder in each value it gives, written by the codec's writer.
  Inquiry proto = inquiry;
  std::vector<std::pair<std::size_t, std::string>> marks;  // slot, its text in the set
  for_slots(proto, [&](std::size_t i, std::string& value, std::string* end) {
    if (value.empty()) return;
    const TemplateSlot& s = m_slots[i];
    if (s.kind == Kind::text) {
      value = text_placeholder(i, m_rules[i] ? m_rules[i]->min : 0);
      marks.emplace_back(i, value);
      return;
    }
    value = date_placeholder(i);
    std::string text = x12::to_d8(value);
    if (end && !ends[i].empty()) {
      *end = date_placeholder(i, true);
      text += '-';
      text += x12::to_d8(*end);
    }
    marks.emplace_back(i, std::move(text));
  });
  x12::Writer w = m_make_writer();
  const std::size_t start = w.out().size();
  write_with(w, k_control, proto);
  if (w.status()) {
    const std::string_view set = std::string_view(w.out()).substr(start);
    // Where each value goes: its placeholder found exactly once (ST02 twice: ST and SE).
    std::vector<std::pair<std::size_t, int>> at;  // offset, slot
    bool found = true;
    auto find_all = [&](std::string_view text, int slot, std::size_t times) {
      std::size_t n = 0;
      for (auto p = set.find(text); p != std::string_view::npos; p = set.find(text, p + 1)) {
        at.emplace_back(p, slot);
        ++n;
      }
      if (n != times) found = false;
    };
    for (const auto& [slot, text] : marks) find_all(text, static_cast<int>(slot), 1);
    find_all(k_control_text, k_control_slot, 2);
    if (found) {
      std::sort(at.begin(), at.end());
      std::size_t from = 0;
      for (const auto& found_at : at) {
        const auto offset = found_at.first;
        const int slot = found_at.second;  // a plain name: lambdas may not capture a binding
        t.pieces.push_back({std::string(set.substr(from, offset - from)), slot});
        from = offset + (slot == k_control_slot
                             ? k_control_text.size()
                             : std::find_if(marks.begin(), marks.end(), [&](const auto& m) {
                                 return static_cast<int>(m.first) == slot;
                               })->second.size());
      }
      t.pieces.push_back({std::string(set.substr(from)), -1});
      t.usable = true;
    }
  }
  m_templates.emplace_back(shape, std::move(t));
  return m_templates.back().second;
}

template <typename Inquiry>
bool SetTemplates::write_set(const Inquiry& inquiry, const Values& values, const Ranges& ends,
                             std::uint32_t st02, std::string& out) {
  // Each value as the set holds it (a date as CCYYMMDD, a range as two), checked as the writer
  // would check it. Rows repeat their dates of service: the first date of a slot that passed is
  // kept, and the same date again is not checked again.
  unsigned shape = 0;
  Values text;  // set for the slots given, the only ones the template has
  std::array<std::array<char, 17>, k_max_slots> dates;
  for (std::size_t i = 0; i < m_slots.size(); ++i) {
    if (values[i].empty()) continue;
    shape |= 1u << i;
    if (!ends[i].empty()) shape |= 1u << (i + k_max_slots);
    if (m_slots[i].kind == Kind::text) {
      // Checking a string costs less than remembering it.
      text[i] = values[i];
      if (!passes(i, text[i])) return false;
      continue;
    }
    Passed& first = m_passed[i];
    const bool known = first.valid && first.value == values[i] && first.end == ends[i];
    if (known) {
      text[i] = first.text;
    } else {
      char* d = dates[i].data();
      if (!d8_into(values[i], d)) return false;
      std::size_t n = 8;
      if (!ends[i].empty()) {
        d[8] = '-';
        if (!d8_into(ends[i], d + 9)) return false;
        n = 17;
      }
      text[i] = std::string_view(d, n);
    }
    if (known) continue;
    if (!passes(i, text[i])) return false;
    if (!first.valid) {
      first.value.assign(values[i]);
      first.end.assign(ends[i]);
      first.text.assign(text[i]);
      first.valid = true;
    }
  }
  const Template& t = template_of(shape, inquiry, ends);
  if (!t.usable) return false;
  char control[16];
  const std::string_view st02_text(control, control_into(st02, control));
  std::size_t size = out.size();
  for (const Piece& p : t.pieces) {
    size += p.text.size();
    if (p.slot == k_control_slot)
      size += st02_text.size();
    else if (p.slot >= 0)
      size += text[static_cast<std::size_t>(p.slot)].size();
  }
  std::size_t at = out.size();
  out.resize(size);
  char* dst = out.data();
  auto copy = [&](std::string_view v) {
    std::memcpy(dst + at, v.data(), v.size());
    at += v.size();
  };
  for (const Piece& p : t.pieces) {
    copy(p.text);
    if (p.slot == k_control_slot)
      copy(st02_text);
    else if (p.slot >= 0)
      copy(text[static_cast<std::size_t>(p.slot)]);
  }
  return true;
}

bool SetTemplates::write(const x12::EligibilityInquiry& inquiry, std::uint32_t st02,
                         std::string& out) {
  if (!canonical(inquiry)) return false;
  Values values{};
  Ranges ends{};
  for_slots(inquiry,
            [&](std::size_t i, const std::string& v, const std::string*) { values[i] = v; });
  return write_set(inquiry, values, ends, st02, out);
}

bool SetTemplates::write(const x12::ClaimInquiry& inquiry, std::uint32_t st02, std::string& out) {
  if (!canonical(inquiry)) return false;
  Values values{};
  Ranges ends{};
  for_slots(inquiry, [&](std::size_t i, const std::string& v, const std::string* end) {
    values[i] = v;
    if (end) ends[i] = *end;
  });
  return write_set(inquiry, values, ends, st02, out);
}

}  // namespace portal::wire::x12w
