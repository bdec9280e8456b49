// 276 claim status request and 277 response (005010X212): writers and streaming readers.
#include <string>
#include <utility>
#include <vector>

#include "x12/guide.hpp"
#include "x12/transactions.hpp"
#include "x12/transactions_detail.hpp"

namespace x12 {
namespace {

using detail::Builder;
using detail::Emitter;
using detail::Field;
using detail::party_empty;
using detail::Problems;
using detail::SetContext;

// "a:b:c" split on ':' into at most four components (STC10/STC11 as StatusInfo::more has them).
std::vector<std::string_view> split_components(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t p = text.find(':');
    parts.push_back(text.substr(0, p));
    if (p == std::string_view::npos) break;
    text.remove_prefix(p + 1);
  }
  return parts;
}

void write_stc(Emitter& out, const StatusInfo& st) {
  if (!out.ok()) return;
  if (!out.require(st.category, "STC", 1, "STC01-1, the status category")) return;
  if (!out.require(st.status, "STC", 1, "STC01-2, the status code")) return;
  if (st.more.size() > 2) {
    out.fail(ErrorCode::too_many_elements, "STC", 11,
             "a status holds at most two more composites (STC10, STC11), not " +
                 std::to_string(st.more.size()));
    return;
  }
  const std::string_view main[] = {st.category, st.status, st.entity, st.code_list};
  std::vector<std::string_view> more[2];
  for (std::size_t i = 0; i < st.more.size(); ++i) {
    more[i] = split_components(st.more[i]);
    if (more[i].size() > 4) {
      out.fail(ErrorCode::too_many_elements, "STC", static_cast<int>(10 + i),
               "STC" + std::to_string(10 + i) + " has at most 4 components", st.more[i]);
      return;
    }
  }
  out.segment("STC", {Field::composite(main), out.d8(st.effective_date, "STC", 2), st.action,
                      st.total_charge, st.paid, out.d8(st.adjudication_date, "STC", 6),
                      st.payment_method, out.d8(st.payment_date, "STC", 8), st.check_number,
                      Field::composite(more[0]), Field::composite(more[1]), st.message});
}

void write_svc(Emitter& out, const ServiceLine& line) {
  if (line.modifiers.size() > 4) {
    out.fail(ErrorCode::too_many_elements, "SVC", 1,
             "a procedure has at most 4 modifiers (SVC01-3..6), not " +
                 std::to_string(line.modifiers.size()));
    return;
  }
  std::vector<std::string_view> procedure{line.procedure_qualifier, line.procedure};
  procedure.insert(procedure.end(), line.modifiers.begin(), line.modifiers.end());
  if (!out.require(line.procedure, "SVC", 1, "SVC01-2, the procedure code")) return;
  out.segment("SVC", {Field::composite(procedure), line.charge, line.paid, line.revenue_code, "",
                      "", line.units});
}

// 2210D/E of a 276 and 2220D/E of a 277: SVC, its statuses (277), REF*FJ, DTP*472.
void write_lines(Emitter& out, const std::vector<ServiceLine>& lines, std::string_view loop,
                 bool statuses) {
  for (const ServiceLine& line : lines) {
    if (!out.ok()) return;
    out.loop(loop);
    write_svc(out, line);
    if (statuses) {
      if (line.statuses.empty())
        out.fail(ErrorCode::missing_segment, "STC", 0,
                 "a service line of a 277 needs a status (STC) in loop " + std::string(loop));
      for (const StatusInfo& st : line.statuses) write_stc(out, st);
    } else if (!line.statuses.empty()) {
      out.fail(ErrorCode::unexpected_segment, "STC", 0,
               "a 276's service line carries no status (loop " + std::string(loop) + ")");
    }
    if (!line.line_control.empty()) out.segment("REF", {"FJ", line.line_control});
    if (!line.service.from.empty()) out.dtp(line.service, "472");
  }
}

}  // namespace

void write_276(Writer& writer, std::uint32_t st02, const ClaimInquiry& q) {
  Emitter out(writer, k_guide_276);
  const bool dependent = !party_empty(q.dependent);
  out.begin(st02);
  detail::write_bht(out, "0010", "13", q.reference, q.created_date, q.created_time);
  out.loop("2000A");
  out.segment("HL", {"1", "", "20", "1"});
  out.loop("2100A");
  detail::write_nm1(out, q.payer, "PR", "PI");
  out.loop("2000B");
  out.segment("HL", {"2", "1", "21", "1"});
  out.loop("2100B");
  detail::write_nm1(out, q.receiver, "41", "46");
  out.loop("2000C");
  out.segment("HL", {"3", "2", "19", "1"});
  out.loop("2100C");
  detail::write_nm1(out, q.provider, "1P", "XX");
  out.loop("2000D");
  out.segment("HL", {"4", "3", "22", dependent ? "1" : "0"});
  if (!dependent) detail::write_dmg(out, q.date_of_birth, q.gender);
  out.loop("2100D");
  detail::write_nm1(out, q.subscriber, "IL", "MI");
  if (dependent) {
    out.loop("2000E");
    out.segment("HL", {"5", "4", "23"});
    detail::write_dmg(out, q.date_of_birth, q.gender);
    out.loop("2100E");
    detail::write_nm1(out, q.dependent, "QC", "MI");
  }
  out.loop(dependent ? "2200E" : "2200D");
  if (out.ok() && out.require(q.trace.number, "TRN", 2, "the claim's trace number")) {
    detail::write_trn(out, q.trace, "1");
    if (!q.payer_claim_number.empty()) out.segment("REF", {"1K", q.payer_claim_number});
    if (!q.bill_type.empty()) out.segment("REF", {"BLT", q.bill_type});
    if (!q.patient_account.empty()) out.segment("REF", {"EJ", q.patient_account});
    if (!q.total_charge.empty()) out.segment("AMT", {"T3", q.total_charge});
    if (!q.service.from.empty()) out.dtp(q.service, "472");
    write_lines(out, q.lines, dependent ? "2210E" : "2210D", false);
  }
  out.end();
}

namespace {

void write_claim(Emitter& out, const ClaimStatusItem& c, std::string_view loop,
                 std::string_view lines_loop) {
  if (!out.ok()) return;
  out.loop(loop);
  if (!out.require(c.trace.number, "TRN", 2, "the trace number")) return;
  detail::write_trn(out, c.trace, loop == "2200C" ? "1" : "2");
  if (c.statuses.empty())
    out.fail(ErrorCode::missing_segment, "STC", 0,
             "a 277 claim needs a status (STC) in loop " + std::string(loop));
  for (const StatusInfo& st : c.statuses) write_stc(out, st);
  if (!c.payer_claim_number.empty()) out.segment("REF", {"1K", c.payer_claim_number});
  if (!c.bill_type.empty()) out.segment("REF", {"BLT", c.bill_type});
  if (!c.patient_account.empty()) out.segment("REF", {"EJ", c.patient_account});
  if (!c.service.from.empty()) out.dtp(c.service, "472");
  write_lines(out, c.lines, lines_loop, true);
}

// The claims of a 277 by where they go: the receiver's level, the provider's, the patient's.
struct ClaimsByLevel {
  const ClaimStatusItem* receiver = nullptr;
  const ClaimStatusItem* provider = nullptr;
  std::vector<const ClaimStatusItem*> patient;
};

ClaimsByLevel sort_claims(Emitter& out, const ClaimStatusResponse& r) {
  ClaimsByLevel by;
  for (const ClaimStatusItem& c : r.claims) {
    if (c.loop.empty()) {
      by.patient.push_back(&c);
      continue;
    }
    const bool receiver = c.loop == "2200B";
    if (!receiver && c.loop != "2200C") {
      out.fail(ErrorCode::unexpected_segment, "TRN", 0,
               "a claim's loop '" + c.loop.substr(0, 8) + "' is not \"\", 2200B or 2200C", c.loop);
      return by;
    }
    if ((receiver ? by.receiver : by.provider) != nullptr) {
      out.fail(ErrorCode::loop_over_max, "TRN", 0, "loop " + c.loop + " appears at most once");
      return by;
    }
    if (!c.payer_claim_number.empty() || !c.patient_account.empty() || !c.bill_type.empty() ||
        !c.service.from.empty() || !c.lines.empty()) {
      out.fail(ErrorCode::unexpected_segment, "REF", 0,
               "a status at loop " + c.loop + " carries only its trace and statuses");
      return by;
    }
    (receiver ? by.receiver : by.provider) = &c;
  }
  return by;
}

}  // namespace

void write_277(Writer& writer, std::uint32_t st02, const ClaimStatusResponse& r) {
  Emitter out(writer, k_guide_277);
  out.begin(st02);
  const ClaimsByLevel claims = sort_claims(out, r);
  const bool dependent = r.subscriber.entity_code == "QC";
  const bool patient = !party_empty(r.subscriber) || !claims.patient.empty();
  const bool provider = patient || claims.provider != nullptr || !party_empty(r.provider);
  if (out.ok() && dependent && party_empty(r.insured))
    out.fail(ErrorCode::missing_segment, "NM1", 0,
             "a dependent (NM1*QC, 2100E) needs the subscriber it is under in `insured` (2100D)");
  if (out.ok() && dependent && claims.patient.empty())
    out.fail(ErrorCode::missing_segment, "TRN", 0,
             "a dependent (NM1*QC, 2000E) needs a claim (2200E) to answer about");
  detail::write_bht(out, "0010", "08", r.reference, r.created_date, r.created_time, "DG");
  out.loop("2000A");
  out.segment("HL", {"1", "", "20", "1"});
  out.loop("2100A");
  detail::write_nm1(out, r.payer, "PR", "PI");
  out.loop("2000B");
  out.segment("HL", {"2", "1", "21", provider ? "1" : "0"});
  out.loop("2100B");
  detail::write_nm1(out, r.receiver, "41", "46");
  if (claims.receiver != nullptr) write_claim(out, *claims.receiver, "2200B", "");
  if (provider) {
    out.loop("2000C");
    out.segment("HL", {"3", "2", "19", patient ? "1" : "0"});
    out.loop("2100C");
    detail::write_nm1(out, r.provider, "1P", "XX");
    if (claims.provider != nullptr) write_claim(out, *claims.provider, "2200C", "");
  }
  if (patient) {
    out.loop("2000D");
    out.segment("HL", {"4", "3", "22", dependent ? "1" : "0"});
    out.loop("2100D");
    detail::write_nm1(out, dependent ? r.insured : r.subscriber, "IL", "MI");
    if (dependent) {
      out.loop("2000E");
      out.segment("HL", {"5", "4", "23"});
      out.loop("2100E");
      detail::write_nm1(out, r.subscriber, "QC", "MI");
    }
    for (const ClaimStatusItem* c : claims.patient)
      write_claim(out, *c, dependent ? "2200E" : "2200D", dependent ? "2220E" : "2220D");
  }
  out.end();
}

namespace {

// The loops of 276 and 277 a reader tracks.
enum class Level : std::uint8_t {
  header,
  source,
  receiver,
  provider,
  subscriber,
  dependent,
  unknown
};

class ClaimStatusWalk {
 protected:
  std::string_view loop_name() const {
    const bool d = m_level == Level::subscriber;
    switch (m_level) {
      case Level::header:
        return "ST";
      case Level::source:
        return m_named ? "2100A" : "2000A";
      case Level::receiver:
        return m_in_claim ? "2200B" : m_named ? "2100B" : "2000B";
      case Level::provider:
        return m_in_claim ? "2200C" : m_named ? "2100C" : "2000C";
      case Level::subscriber:
      case Level::dependent:
        if (m_in_line) return d ? m_line_loop_d : m_line_loop_e;
        if (m_in_claim) return d ? "2200D" : "2200E";
        return m_named ? (d ? "2100D" : "2100E") : (d ? "2000D" : "2000E");
      case Level::unknown:
        break;
    }
    return {};
  }
  bool patient() const { return m_level == Level::subscriber || m_level == Level::dependent; }
  void misplaced(Problems& problems, const Segment& s, std::string_view loop,
                 std::string_view why = {}) {
    problems.add(s, ErrorCode::unexpected_segment, loop, 0,
                 "segment " + std::string(s.id().substr(0, 3)) + " is out of place" +
                     (loop.empty() ? std::string() : " in loop " + std::string(loop)) +
                     (why.empty() ? std::string() : " (" + std::string(why) + ")") + "; skipped");
  }
  void unknown_level(Problems& problems, const Segment& s, std::string_view set) {
    problems.add(s, ErrorCode::hl_invalid, {}, 3,
                 "HL03 '" + std::string(s.element(3).substr(0, 4)) + "' is not a level of a " +
                     std::string(set) + " (20, 21, 19, 22, 23); its loop is skipped",
                 s.element(3));
    m_level = Level::unknown;
  }

  Level m_level = Level::header;
  bool m_named = false;      // the current level's NM1 was read
  bool m_in_claim = false;   // after a TRN of 2200B-E
  bool m_in_line = false;    // after an SVC
  bool m_skip_line = false;  // the current line was over the cap: what follows it is dropped
  std::string_view m_line_loop_d = "2220D", m_line_loop_e = "2220E";
};

class Read276 final : public Builder, ClaimStatusWalk {
 public:
  explicit Read276(const Each<ClaimInquiry>& each) : m_each(each) {
    m_line_loop_d = "2210D";
    m_line_loop_e = "2210E";
  }
  void begin(const SetContext& set) override {
    m_set = &set;
    m_base = {};
    m_level = Level::header;
    m_named = m_in_claim = m_in_line = m_skip_line = false;
  }
  void on(const Segment& s) override;
  void end(bool complete) override {
    if (complete) flush();
    m_in_claim = false;
  }

 private:
  void on_hl(const Segment& s);
  void flush() {
    if (!m_in_claim || m_stopped) return;
    m_in_claim = m_in_line = false;
    if (!m_each(std::move(m_claim), m_set->st)) m_stopped = true;
  }

  const Each<ClaimInquiry>& m_each;
  const SetContext* m_set = nullptr;
  ClaimInquiry m_base;      // the header, payer, receiver and provider
  ClaimInquiry m_patient;   // and the subscriber (or dependent) being read
  ClaimInquiry m_template;  // the subscriber, for the dependents under it
  ClaimInquiry m_claim;     // and the claim being read
};

void Read276::on_hl(const Segment& s) {
  const std::string_view level = s.element(3);
  Problems& problems = *m_set->problems;
  flush();
  m_named = false;
  problems.new_item();
  if (level == "20") {
    m_base.payer = m_base.receiver = m_base.provider = {};
    m_level = Level::source;
  } else if (level == "21") {
    m_base.receiver = m_base.provider = {};
    m_level = Level::receiver;
  } else if (level == "19") {
    m_base.provider = {};
    m_level = Level::provider;
  } else if (level == "22") {
    m_patient = m_base;
    m_level = Level::subscriber;
  } else if (level == "23") {
    if (!patient()) {
      misplaced(problems, s, "2000E", "a dependent's HL without a subscriber before it");
      m_level = Level::unknown;
      return;
    }
    if (m_level == Level::subscriber) {
      m_template = m_patient;
      m_template.date_of_birth.clear();
      m_template.gender.clear();
    }
    m_patient = m_template;
    m_level = Level::dependent;
  } else {
    unknown_level(problems, s, "276");
  }
}

void Read276::on(const Segment& s) {
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  const std::string_view loop = loop_name();
  if (id == "HL") return on_hl(s);
  if (id == "BHT") {
    if (m_level != Level::header) return misplaced(problems, s, loop);
    m_base.reference = s.element(3);
    m_base.created_date = from_d8(s.element(4));
    m_base.created_time = s.element(5);
    return;
  }
  if (id == "NM1") {
    if (m_named || m_in_claim || m_level == Level::header || m_level == Level::unknown)
      return misplaced(problems, s, loop);
    m_named = true;
    Party party = detail::read_party(s);
    switch (m_level) {
      case Level::source:
        m_base.payer = std::move(party);
        break;
      case Level::receiver:
        m_base.receiver = std::move(party);
        break;
      case Level::provider:
        m_base.provider = std::move(party);
        break;
      case Level::subscriber:
        m_patient.subscriber = std::move(party);
        break;
      default:
        m_patient.dependent = std::move(party);
        break;
    }
    return;
  }
  if (id == "DMG") {
    if (!patient() || m_in_claim) return misplaced(problems, s, loop);
    detail::read_dmg(s, m_patient.date_of_birth, m_patient.gender, problems, loop);
    return;
  }
  if (id == "TRN") {
    if (!patient() || !m_named) return misplaced(problems, s, loop);
    flush();
    problems.new_item();
    m_claim = m_patient;
    m_claim.trace = detail::read_trace(s);
    m_in_claim = true;
    m_in_line = m_skip_line = false;
    return;
  }
  if (id == "SVC") {
    if (!m_in_claim) return misplaced(problems, s, loop);
    ServiceLine* line = problems.push(m_claim.lines, s, "service lines");
    m_in_line = true;
    m_skip_line = line == nullptr;
    if (line != nullptr) detail::read_svc(s, *line);
    return;
  }
  if (!m_in_claim) {
    if ((id == "REF" || id == "AMT" || id == "DTP")) return misplaced(problems, s, loop);
    return;
  }
  if (m_in_line && m_skip_line) return;
  ServiceLine* line = m_in_line ? &m_claim.lines.back() : nullptr;
  if (id == "REF") {
    const std::string_view qualifier = s.element(1);
    if (line != nullptr) {
      if (qualifier == "FJ") line->line_control = s.element(2);
    } else if (qualifier == "1K") {
      m_claim.payer_claim_number = s.element(2);
    } else if (qualifier == "EJ") {
      m_claim.patient_account = s.element(2);
    } else if (qualifier == "BLT") {
      m_claim.bill_type = s.element(2);
    }
    return;
  }
  if (id == "AMT") {
    if (line != nullptr) return misplaced(problems, s, loop);
    if (s.element(1) == "T3") m_claim.total_charge = s.element(2);
    return;
  }
  if (id == "DTP") {
    detail::read_dtp(s, line != nullptr ? line->service : m_claim.service, problems, loop);
    return;
  }
}

class Read277 final : public Builder, ClaimStatusWalk {
 public:
  explicit Read277(const Each<ClaimStatusResponse>& each) : m_each(each) {}
  void begin(const SetContext& set) override {
    m_set = &set;
    m_base = {};
    m_level = Level::header;
    m_named = m_in_claim = m_in_line = m_skip_claim = m_skip_line = false;
    m_have_item = m_have_level_claim = false;
  }
  void on(const Segment& s) override;
  void end(bool complete) override {
    if (complete) {
      flush_level_claim();
      flush();
    }
    m_have_item = m_have_level_claim = false;
  }

 private:
  void on_hl(const Segment& s);
  void hand_over(ClaimStatusResponse&& r) {
    if (!m_stopped && !m_each(std::move(r), m_set->st)) m_stopped = true;
  }
  void flush() {
    if (!m_have_item) return;
    m_have_item = false;
    m_item.claims.resize(m_claims);
    hand_over(std::move(m_item));
  }
  // The next patient, from `from` (the header and parties read so far). The claims of the one
  // handed over before stay in m_item for their memory (unless `each` took them), refilled by
  // next_claim().
  void start_item(ClaimStatusResponse& from) {
    assign_but_claims(m_item, from);
    m_claims = 0;
    m_have_item = true;
  }
  // `to` = `from` but for the claims, which both keep.
  static void assign_but_claims(ClaimStatusResponse& to, ClaimStatusResponse& from) {
    std::vector<ClaimStatusItem> kept = std::move(to.claims), theirs = std::move(from.claims);
    to = from;  // strings keep their memory
    to.claims = std::move(kept);
    from.claims = std::move(theirs);
  }
  // A new claim of the patient: an entry kept from a patient before, emptied, or a new one;
  // nullptr over the cap.
  ClaimStatusItem* next_claim(const Segment& s) {
    if (m_claims < m_item.claims.size()) {
      ClaimStatusItem& c = m_item.claims[m_claims++];
      std::vector<StatusInfo> statuses = std::move(c.statuses);
      std::vector<ServiceLine> lines = std::move(c.lines);
      c = ClaimStatusItem{};  // every field empty; the strings keep their memory
      statuses.clear();
      lines.clear();
      c.statuses = std::move(statuses);
      c.lines = std::move(lines);
      return &c;
    }
    ClaimStatusItem* c = m_set->problems->push(m_item.claims, s, "claims");
    if (c != nullptr) ++m_claims;
    return c;
  }
  // A status for the whole request at the receiver's or provider's level: a response of its own.
  void flush_level_claim() {
    if (!m_have_level_claim) return;
    m_have_level_claim = false;
    ClaimStatusResponse r = m_base;
    r.claims.push_back(std::move(m_level_claim));
    hand_over(std::move(r));
  }
  // The claim segments go to: the level's status, or the patient's last claim; nullptr when it
  // was over the cap.
  ClaimStatusItem* claim() {
    if (m_level == Level::receiver || m_level == Level::provider) return &m_level_claim;
    return m_skip_claim ? nullptr : &m_item.claims[m_claims - 1];
  }

  const Each<ClaimStatusResponse>& m_each;
  const SetContext* m_set = nullptr;
  ClaimStatusResponse m_base;  // the header, payer, receiver and provider
  ClaimStatusResponse m_item;  // the patient being read: its first m_claims claims
  std::size_t m_claims = 0;
  ClaimStatusResponse m_template;  // the subscriber, for the dependents under it
  ClaimStatusItem m_level_claim;   // a 2200B or 2200C status
  bool m_have_item = false;
  bool m_have_level_claim = false;
  bool m_skip_claim = false;  // the current claim was over the cap: what follows it is dropped
};

void Read277::on_hl(const Segment& s) {
  const std::string_view level = s.element(3);
  Problems& problems = *m_set->problems;
  flush_level_claim();
  m_named = m_in_claim = m_in_line = m_skip_claim = m_skip_line = false;
  if (detail::is(level, "20") || detail::is(level, "21") || detail::is(level, "19")) {
    flush();
    problems.new_item();
    if (detail::is(level, "20")) {
      m_base.payer = m_base.receiver = m_base.provider = {};
      m_level = Level::source;
    } else if (detail::is(level, "21")) {
      m_base.receiver = m_base.provider = {};
      m_level = Level::receiver;
    } else {
      m_base.provider = {};
      m_level = Level::provider;
    }
  } else if (detail::is(level, "22")) {
    flush();
    problems.new_item();
    start_item(m_base);
    m_level = Level::subscriber;
  } else if (detail::is(level, "23")) {
    if (!patient()) {
      misplaced(problems, s, "2000E", "a dependent's HL without a subscriber before it");
      m_level = Level::unknown;
      return;
    }
    if (m_level == Level::subscriber) {
      assign_but_claims(m_template, m_item);
      if (m_claims != 0) flush();
    } else {
      flush();
    }
    problems.new_item();
    start_item(m_template);
    m_level = Level::dependent;
  } else {
    flush();
    unknown_level(problems, s, "277");
  }
}

void Read277::on(const Segment& s) {
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  const std::string_view loop = loop_name();
  if (detail::is(id, "HL")) return on_hl(s);
  if (detail::is(id, "BHT")) {
    if (m_level != Level::header) return misplaced(problems, s, loop);
    detail::assign(m_base.reference, s.element(3));
    detail::assign_d8(m_base.created_date, s.element(4));
    detail::assign(m_base.created_time, s.element(5));
    return;
  }
  if (detail::is(id, "NM1")) {
    if (m_named || m_in_claim || m_level == Level::header || m_level == Level::unknown)
      return misplaced(problems, s, loop);
    m_named = true;
    switch (m_level) {
      case Level::source:
        detail::read_party(s, m_base.payer);
        break;
      case Level::receiver:
        detail::read_party(s, m_base.receiver);
        break;
      case Level::provider:
        detail::read_party(s, m_base.provider);
        break;
      case Level::subscriber:
        detail::read_party(s, m_item.subscriber);
        break;
      default:
        std::swap(m_item.insured, m_item.subscriber);
        detail::read_party(s, m_item.subscriber);
        break;
    }
    return;
  }
  if (detail::is(id, "TRN")) {
    if (!m_named || m_level == Level::source || m_level == Level::header ||
        m_level == Level::unknown)
      return misplaced(problems, s, loop);
    if (m_level == Level::receiver || m_level == Level::provider) {
      if (m_in_claim) return misplaced(problems, s, loop, "one status loop per level");
      m_level_claim = {};
      m_level_claim.loop = m_level == Level::receiver ? "2200B" : "2200C";
      m_level_claim.trace = detail::read_trace(s);
      m_have_level_claim = true;
    } else {
      ClaimStatusItem* c = next_claim(s);
      m_skip_claim = c == nullptr;
      if (c != nullptr) detail::read_trace(s, c->trace);
    }
    m_in_claim = true;
    m_in_line = m_skip_line = false;
    return;
  }
  if (detail::is(id, "SVC")) {
    if (!m_in_claim || !patient()) return misplaced(problems, s, loop);
    ClaimStatusItem* c = claim();
    if (c == nullptr) return;
    ServiceLine* line = problems.push(c->lines, s, "service lines");
    m_in_line = true;
    m_skip_line = line == nullptr;
    if (line != nullptr) detail::read_svc(s, *line);
    return;
  }
  const bool claim_segment =
      detail::is(id, "STC") || detail::is(id, "REF") || detail::is(id, "DTP");
  if (!claim_segment) return;
  if (!m_in_claim) return misplaced(problems, s, loop);
  ClaimStatusItem* c = claim();
  if (c == nullptr) return;
  if (m_in_line && m_skip_line) return;
  ServiceLine* line = m_in_line ? &c->lines.back() : nullptr;
  if (detail::is(id, "STC")) {
    auto& list = line != nullptr ? line->statuses : c->statuses;
    if (StatusInfo* slot = problems.push(list, s, "statuses")) detail::read_stc(s, *slot);
    return;
  }
  if (!patient()) return;  // a level status's REF/DTP: not mapped
  if (detail::is(id, "REF")) {
    const std::string_view qualifier = s.element(1);
    if (line != nullptr) {
      if (detail::is(qualifier, "FJ")) detail::assign(line->line_control, s.element(2));
    } else if (detail::is(qualifier, "1K")) {
      detail::assign(c->payer_claim_number, s.element(2));
    } else if (detail::is(qualifier, "EJ")) {
      detail::assign(c->patient_account, s.element(2));
    } else if (detail::is(qualifier, "BLT")) {
      detail::assign(c->bill_type, s.element(2));
    }
    return;
  }
  detail::read_dtp(s, line != nullptr ? line->service : c->service, problems, loop);
}

}  // namespace

ReadSummary read_276(Reader& reader, const Each<ClaimInquiry>& each) {
  Read276 builder(each);
  return detail::read_sets(reader, k_guide_276, builder);
}

ReadSummary read_277(Reader& reader, const Each<ClaimStatusResponse>& each) {
  Read277 builder(each);
  return detail::read_sets(reader, k_guide_277, builder);
}

}  // namespace x12
