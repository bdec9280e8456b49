// What the transaction writers and readers share (transactions_detail.hpp), and the date
// conversions of transactions.hpp.
#include <algorithm>
#include <optional>
#include <utility>

#include "x12/guide_check.hpp"
#include "x12/text.hpp"
#include "x12/transactions.hpp"
#include "x12/transactions_detail.hpp"

namespace x12 {

std::string to_d8(std::string_view iso) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return {};
  std::string out;
  out.reserve(8);
  out.append(iso.substr(0, 4)).append(iso.substr(5, 2)).append(iso.substr(8, 2));
  return detail::valid_date8(out) ? out : std::string();
}

std::string from_d8(std::string_view d8) {
  std::string out;
  detail::assign_d8(out, d8);
  return out;
}

std::string_view EligibilityResponse::request_trace() const {
  for (const Trace& t : traces)
    if (t.type == "2") return t.number;
  return {};
}

namespace detail {
namespace {

std::string element_name(std::string_view id, int element) {
  return std::string(id) + (element < 10 ? "0" : "") + std::to_string(element);
}

// A value of up to `n` characters for a reason or an error value.
std::string_view head(std::string_view v, std::size_t n = 80) { return v.substr(0, n); }

}  // namespace

bool Field::empty() const {
  if (parts.empty()) return text.empty();
  return std::all_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); });
}

std::string_view or_default(std::string_view value, std::string_view fallback) {
  return value.empty() ? fallback : value;
}

bool party_empty(const Party& p) {
  return p.entity_code.empty() && p.last_or_org.empty() && p.first.empty() && p.middle.empty() &&
         p.id_qualifier.empty() && p.id.empty();
}

void Emitter::fail(ErrorCode code, std::string_view id, int element, std::string reason,
                   std::string_view value) {
  Error e;
  e.code = code;
  e.segment_id = std::string(head(id, 3));
  e.loop = std::string(m_loop);
  e.element = element;
  e.value = std::string(head(value));
  e.reason = std::move(reason);
  m_writer.fail(std::move(e));
}

bool Emitter::require(std::string_view value, std::string_view id, int element,
                      std::string_view what) {
  if (!value.empty()) return true;
  fail(ErrorCode::element_missing, id, element,
       element_name(id, element) + " (" + std::string(what) + ") is required in loop " +
           std::string(m_loop));
  return false;
}

std::string Emitter::d8(std::string_view iso, std::string_view id, int element) {
  std::string out = to_d8(iso);
  if (out.empty() && !iso.empty())
    fail(ErrorCode::invalid_date, id, element,
         element_name(id, element) + " '" + std::string(head(iso, 40)) +
             "' is not a YYYY-MM-DD date (loop " + std::string(m_loop) + ")",
         iso);
  return out;
}

void Emitter::dtp(const DatePeriod& period, std::string_view qualifier) {
  if (!ok()) return;
  if (!require(period.from, "DTP", 3, "the date")) return;
  const std::string from = d8(period.from, "DTP", 3);
  if (period.to.empty()) {
    segment("DTP", {qualifier, "D8", from});
    return;
  }
  const std::string to = d8(period.to, "DTP", 3);
  segment("DTP", {qualifier, "RD8", from + "-" + to});
}

void Emitter::loop(std::string_view name) {
  m_loop = name;
  m_loop_rules = find_loop(*m_guide.root, name);
}

void Emitter::begin(std::uint32_t st02) {
  if (!ok()) return;
  loop("ST");
  if (m_writer.group_id() != m_guide.functional_group ||
      m_writer.group_version() != m_guide.version) {
    fail(ErrorCode::transaction_not_supported, "ST", 1,
         "a " + std::string(m_guide.set_id) + " belongs in a GS01 " +
             std::string(m_guide.functional_group) + " group of version " +
             std::string(m_guide.version) + ", but the open group is " +
             std::string(head(m_writer.group_id(), 3)) + " " +
             std::string(head(m_writer.group_version(), 20)));
    return;
  }
  m_writer.begin_transaction(m_guide.set_id, st02);
}

void Emitter::end() {
  if (!ok()) return;
  loop("ST");
  m_writer.end_transaction();
}

void Emitter::segment(std::string_view id, std::initializer_list<Field> fields) {
  if (!ok()) return;
  const Field* const f = fields.begin();
  const auto count = static_cast<int>(fields.size());
  auto text_of = [&](std::size_t i) -> std::string_view {
    return i >= 1 && i <= fields.size() ? f[i - 1].first() : std::string_view();
  };
  const SegmentRule* row = m_loop_rules ? find_row(*m_loop_rules, id, text_of) : nullptr;
  if (row == nullptr) {
    fail(ErrorCode::unexpected_segment, id, 0,
         "the " + std::string(m_guide.set_id) + " guide has no segment " + std::string(id) +
             " in loop " + std::string(m_loop));
    return;
  }
  int last = 0;
  for (int i = 0; i < count; ++i)
    if (!f[i].empty()) last = i + 1;
  if (row->count != 0 && last > row->count) {
    fail(ErrorCode::too_many_elements, id, last,
         std::string(id) + " has " + std::to_string(last) + " elements; the standard defines " +
             std::to_string(row->count));
    return;
  }
  // A loop's first row starts a new iteration of it; other rows count their uses in a row.
  const bool opens = row == &m_loop_rules->segments[0];
  m_uses = row == m_row && !opens ? m_uses + 1 : 1;
  m_row = row;
  if (row->max_use != 0 && m_uses > row->max_use) {
    fail(ErrorCode::segment_over_max, id, 0,
         std::string(id) + " may appear at most " + std::to_string(row->max_use) +
             " times in a row in loop " + std::string(m_loop));
    return;
  }
  const char component = m_writer.options().delimiters.component;
  for (const ElementRule& e : row->elements) {
    const int i = e.index;
    const Field field = i <= count ? f[i - 1] : Field();
    // Built only for a failure: this runs for every element written.
    auto where = [&] { return " in loop " + std::string(m_loop); };
    if (field.empty()) {
      if (e.usage == Usage::required) {
        fail(ErrorCode::element_missing, id, i,
             "required element " + element_name(id, i) + " is missing" + where());
        return;
      }
      continue;
    }
    if (e.usage == Usage::not_used) {
      fail(ErrorCode::element_not_used, id, i,
           element_name(id, i) + " is not used" + where() + " but holds a value", field.first());
      return;
    }
    if (e.type == Type::binary || field.binary) {
      if (e.type != Type::binary || !field.binary) {
        fail(ErrorCode::invalid_content, id, i,
             element_name(id, i) + (field.binary ? " holds no binary data" : " is binary data") +
                 where());
        return;
      }
      continue;
    }
    if (field.repeated && !e.repeats && field.parts.size() > 1) {
      fail(ErrorCode::too_many_elements, id, i, element_name(id, i) + " does not repeat" + where(),
           field.first());
      return;
    }
    if (!field.parts.empty() && !field.repeated && e.type != Type::composite) {
      fail(ErrorCode::invalid_content, id, i, element_name(id, i) + " is not a composite" + where(),
           field.first());
      return;
    }
    const std::string_view format = i >= 2 ? text_of(static_cast<std::size_t>(i - 1)) : "";
    const std::size_t n = field.repeated ? field.parts.size() : 1;
    for (std::size_t k = 0; k < n; ++k) {
      const std::string_view v = field.repeated ? field.parts[k] : field.first();
      if (v.empty()) {
        fail(ErrorCode::element_missing, id, i,
             "repetition " + std::to_string(k + 1) + " of " + element_name(id, i) + " is empty" +
                 where());
        return;
      }
      if (auto problem = check_value(e, v, format, component)) {
        fail(problem->code, id, i, element_name(id, i) + " " + problem->reason + where(), v);
        return;
      }
    }
  }
  m_writer.begin_segment(id);
  for (int i = 0; i < count; ++i) {
    const Field& field = f[i];
    if (field.binary) {
      m_writer.binary(field.text);
      continue;
    }
    if (field.parts.empty()) {
      m_writer.element(field.text);
      continue;
    }
    std::size_t used = field.parts.size();
    while (used > 1 && field.parts[used - 1].empty()) --used;
    m_writer.element(field.parts[0]);
    for (std::size_t k = 1; k < used; ++k) {
      if (field.repeated)
        m_writer.repetition(field.parts[k]);
      else
        m_writer.component(field.parts[k]);
    }
  }
  m_writer.end_segment();
}

void write_bht(Emitter& out, std::string_view structure, std::string_view purpose,
               std::string_view reference, std::string_view created_date,
               std::string_view created_time, std::string_view transaction_type) {
  const std::string date = created_date.empty() ? std::string(out.writer().interchange_date())
                                                : out.d8(created_date, "BHT", 4);
  const std::string_view time =
      created_time.empty() ? out.writer().interchange_time() : created_time;
  out.segment("BHT", {structure, purpose, reference, date, time, transaction_type});
}

void write_trn(Emitter& out, const Trace& t, std::string_view default_type) {
  if (t.type.empty() && t.number.empty() && t.originator.empty() && t.detail.empty()) return;
  out.segment("TRN", {or_default(t.type, default_type), t.number, t.originator, t.detail});
}

void write_dmg(Emitter& out, std::string_view date_of_birth, std::string_view gender) {
  if (date_of_birth.empty() && gender.empty()) return;
  if (!out.require(date_of_birth, "DMG", 2, "the birth date, with a gender")) return;
  out.segment("DMG", {"D8", out.d8(date_of_birth, "DMG", 2), gender});
}

void write_nm1(Emitter& out, const Party& p, std::string_view default_entity,
               std::string_view default_qualifier) {
  const std::string_view qualifier = p.id.empty() ? std::string_view(p.id_qualifier)
                                                  : or_default(p.id_qualifier, default_qualifier);
  out.segment("NM1",
              {or_default(p.entity_code, default_entity), std::string_view(&p.entity_type, 1),
               p.last_or_org, p.first, p.middle, "", "", qualifier, p.id});
}

// ---- reading -------------------------------------------------------------------------------

void Problems::add(const Segment& s, ErrorCode code, std::string_view loop, int element,
                   std::string reason, std::string_view value) {
  Error e;
  e.code = code;
  e.segment_position = s.position();
  e.byte_offset = s.offset();
  e.segment_id = std::string(head(s.id(), 3));
  e.loop = std::string(head(loop, 8));
  e.element = element;
  e.value = std::string(head(value));
  e.reason = std::move(reason);
  m_sink.add(std::move(e));
}

void assign_d8(std::string& out, std::string_view d8) {
  if (!valid_date8(d8)) {
    out.clear();
    return;
  }
  const char iso[10] = {d8[0], d8[1], d8[2], d8[3], '-', d8[4], d8[5], '-', d8[6], d8[7]};
  out.assign(iso, sizeof iso);
}

void read_party(const Segment& s, Party& p) {
  assign(p.entity_code, s.element(1));
  const std::string_view type = s.element(2);
  p.entity_type = type.size() == 1 ? type[0] : '?';
  assign(p.last_or_org, s.element(3));
  assign(p.first, s.element(4));
  assign(p.middle, s.element(5));
  assign(p.id_qualifier, s.element(8));
  assign(p.id, s.element(9));
}

Party read_party(const Segment& s) {
  Party p;
  read_party(s, p);
  return p;
}

void read_trace(const Segment& s, Trace& t) {
  assign(t.type, s.element(1));
  assign(t.number, s.element(2));
  assign(t.originator, s.element(3));
  assign(t.detail, s.element(4));
}

Trace read_trace(const Segment& s) {
  Trace t;
  read_trace(s, t);
  return t;
}

bool read_dtp(const Segment& s, DatePeriod& period, Problems& problems, std::string_view loop) {
  assign(period.qualifier, s.element(1));
  const std::string_view format = s.element(2), value = s.element(3);
  if (is(format, "D8")) {
    assign_d8(period.from, value);
    period.to.clear();
    if (!period.from.empty()) return true;
  } else if (is(format, "RD8")) {
    const std::size_t dash = value.find('-');
    if (dash != std::string_view::npos) {
      assign_d8(period.from, value.substr(0, dash));
      assign_d8(period.to, value.substr(dash + 1));
      if (!period.from.empty() && !period.to.empty()) return true;
    }
  } else {
    problems.add(s, ErrorCode::invalid_code, loop, 2,
                 "DTP02 '" + std::string(head(format, 10)) + "' is neither D8 nor RD8; skipped",
                 format);
    return false;
  }
  problems.add(s, ErrorCode::invalid_date, loop, 3,
               "DTP03 is not a " + std::string(format) + " date; skipped", value);
  return false;
}

bool read_dmg(const Segment& s, std::string& date_of_birth, std::string& gender, Problems& problems,
              std::string_view loop) {
  gender = s.element(3);
  if (s.element(1) == "D8") {
    date_of_birth = from_d8(s.element(2));
    if (!date_of_birth.empty()) return true;
  }
  problems.add(s, ErrorCode::invalid_date, loop, 2, "DMG02 is not a D8 birth date; skipped",
               s.element(2));
  return false;
}

namespace {

// A composite as "a:b[:c...]" whatever the interchange's component separator, without trailing
// empty components.
std::string composite_text(const Segment& s, std::size_t element) {
  std::string out;
  std::size_t keep = 0;
  for (std::size_t c = 1; c <= 8; ++c) {
    const std::string_view part = s.component(element, c);
    if (c > 1) out += ':';
    out.append(part);
    if (!part.empty()) keep = out.size();
  }
  out.resize(keep);
  return out;
}

}  // namespace

std::vector<std::string_view> repetitions(const Segment& s, std::size_t i) {
  std::vector<std::string_view> out;
  std::string_view rest = s.element(i);
  const char sep = s.delimiters().repetition;
  while (!rest.empty()) {
    const std::size_t p = rest.find(sep);
    if (p != 0) out.push_back(rest.substr(0, p));
    if (p == std::string_view::npos) break;
    rest.remove_prefix(p + 1);
  }
  return out;
}

void read_stc(const Segment& s, StatusInfo& st) {
  std::string_view parts[4];
  split_parts(s.element(1), s.delimiters().component, parts, 4);
  assign(st.category, parts[0]);
  assign(st.status, parts[1]);
  assign(st.entity, parts[2]);
  assign(st.code_list, parts[3]);
  assign_d8(st.effective_date, s.element(2));
  assign(st.action, s.element(3));
  assign(st.total_charge, s.element(4));
  assign(st.paid, s.element(5));
  assign_d8(st.adjudication_date, s.element(6));
  assign(st.payment_method, s.element(7));
  assign_d8(st.payment_date, s.element(8));
  assign(st.check_number, s.element(9));
  st.more.clear();
  for (std::size_t e : {10, 11})
    if (!s.element(e).empty()) st.more.push_back(composite_text(s, e));
  assign(st.message, s.element(12));
}

StatusInfo read_stc(const Segment& s) {
  StatusInfo st;
  read_stc(s, st);
  return st;
}

void read_svc(const Segment& s, ServiceLine& line) {
  std::string_view parts[6];
  split_parts(s.element(1), s.delimiters().component, parts, 6);
  assign(line.procedure_qualifier, parts[0]);
  assign(line.procedure, parts[1]);
  std::size_t used = 0;
  for (std::size_t c = 3; c <= 6; ++c)
    if (!parts[c - 1].empty()) used = c - 2;
  for (std::size_t c = 3; c < 3 + used; ++c) line.modifiers.emplace_back(parts[c - 1]);
  assign(line.charge, s.element(2));
  assign(line.paid, s.element(3));
  assign(line.revenue_code, s.element(4));
  assign(line.units, s.element(7));
}

ReadSummary read_sets(Reader& reader, const Guide& guide, Builder& builder) {
  EnvelopeChecker envelope(k_max_problems);
  Problems problems(envelope);
  ReadSummary summary;
  SetContext set;
  set.problems = &problems;
  std::string st_text;
  std::vector<std::uint32_t> st_starts;
  bool in_set = false, ours = false;
  while (const Segment* s = reader.next()) {
    envelope.on_segment(*s);
    const std::string_view id = s->id();
    if (in_set && (is(id, "ST") || is(id, "GE") || is(id, "IEA") || is(id, "ISA"))) {
      in_set = false;
      if (ours) builder.end(false);
      if (builder.stopped()) break;
    }
    if (is(id, "ST")) {
      in_set = true;
      ours = s->element(1) == guide.set_id;
      if (!ours) {
        problems.add(*s, ErrorCode::transaction_not_supported, {}, 1,
                     "transaction set " + std::string(head(s->element(1), 6)) + " is not a " +
                         std::string(guide.set_id) + "; skipped",
                     s->element(1));
        continue;
      }
      if (envelope.transaction_version() != guide.version)
        problems.add(*s, ErrorCode::version_not_supported, {}, 3,
                     "version '" + std::string(head(envelope.transaction_version(), 20)) +
                         "' is not " + std::string(guide.version) + "; read as if it were",
                     envelope.transaction_version());
      ++summary.sets;
      st_text.assign(s->text());
      set.st = split_segment(st_text, s->delimiters(), st_starts, s->position(), s->offset());
      builder.begin(set);
      if (builder.stopped()) break;
      continue;
    }
    if (!in_set) continue;
    if (is(id, "SE")) {
      in_set = false;
      if (ours) builder.end(true);
      if (builder.stopped()) break;
      continue;
    }
    if (ours) builder.on(*s);
    if (builder.stopped()) break;
  }
  if (!builder.stopped()) {
    if (in_set && ours) builder.end(false);
    if (reader.error())
      envelope.add(*reader.error());
    else
      envelope.on_end(reader.bytes_read());
  }
  summary.problems = std::move(envelope.findings());
  return summary;
}

}  // namespace detail
}  // namespace x12
