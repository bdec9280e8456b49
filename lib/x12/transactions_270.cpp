// 270 eligibility inquiry and 271 response (005010X279A1): writers and streaming readers.
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

// EQ01 repeats at most 99 times (005010X279A1 1.4.7).
constexpr std::size_t k_max_service_types = 99;
// The REF qualifiers of 2100C/D that name the plan or group (6P group number, IG insurance
// policy, 18 plan number, 1L group or policy number).
constexpr std::string_view k_group_qualifiers = "6P IG 18 1L";
// Where a 271 may carry AAA.
constexpr std::string_view k_aaa_loops = "2000A 2100A 2100B 2100C 2110C 2100D 2110D";

void write_eq(Emitter& out, const std::vector<std::string>& types) {
  static constexpr std::string_view k_plan_coverage[] = {"30"};
  if (types.size() > k_max_service_types) {
    out.fail(ErrorCode::too_many_elements, "EQ", 1,
             "EQ01 repeats at most 99 times, not " + std::to_string(types.size()));
    return;
  }
  if (types.empty()) {
    out.segment("EQ", {Field::repeats(k_plan_coverage)});
    return;
  }
  const std::vector<std::string_view> parts(types.begin(), types.end());
  out.segment("EQ", {Field::repeats(parts)});
}

void write_aaa(Emitter& out, const std::vector<Rejection>& rejections, std::string_view loop) {
  for (const Rejection& r : rejections)
    if (r.loop == loop)
      out.segment("AAA", {std::string_view(&r.valid, 1), "", r.reason, r.follow_up});
}

bool has_rejection_in(const std::vector<Rejection>& rejections, std::string_view loops) {
  for (const Rejection& r : rejections)
    if (has_code(loops, r.loop)) return true;
  return false;
}

// Whether a 271 says anything about a subscriber or dependent (then 2000C is written).
bool has_patient(const EligibilityResponse& r) {
  return !party_empty(r.subscriber) || !party_empty(r.dependent) || !r.traces.empty() ||
         !r.date_of_birth.empty() || !r.gender.empty() || !r.group_number.empty() ||
         !r.dates.empty() || !r.benefits.empty() ||
         has_rejection_in(r.rejections, "2100C 2110C 2100D 2110D");
}

void check_subscriber(Emitter& out, const Party& subscriber) {
  if (subscriber.id.empty() && subscriber.last_or_org.empty())
    out.fail(ErrorCode::element_missing, "NM1", 9,
             "the subscriber needs NM109 (its member ID) or NM103 (its last name) in loop 2100C");
}

void write_benefits(Emitter& out, const EligibilityResponse& r, bool dependent) {
  const std::string_view loop = dependent ? "2110D" : "2110C";
  for (std::size_t i = 0; i < r.benefits.size() && out.ok(); ++i) {
    const Benefit& b = r.benefits[i];
    out.loop(loop);
    const std::vector<std::string_view> types(b.service_types.begin(), b.service_types.end());
    out.segment("EB", {b.info, b.coverage_level, Field::repeats(types), b.insurance_type,
                       b.plan_description, b.time_period, b.amount, b.percent, b.quantity_qualifier,
                       b.quantity, b.authorization, b.in_network});
    for (const DatePeriod& d : b.dates) out.dtp(d, d.qualifier);
    if (i + 1 == r.benefits.size()) write_aaa(out, r.rejections, loop);
    for (const std::string& m : b.messages) out.segment("MSG", {m});
  }
}

// Checks every rejection names a loop the response writes.
void check_rejections(Emitter& out, const EligibilityResponse& r, bool dependent) {
  for (const Rejection& rej : r.rejections) {
    std::string problem;
    if (!has_code(k_aaa_loops, rej.loop))
      problem = "is not one of " + std::string(k_aaa_loops);
    else if (dependent && rej.loop == "2110C")
      problem = "holds the subscriber's benefits, but the benefits are the dependent's (2110D)";
    else if (!dependent && (rej.loop == "2100D" || rej.loop == "2110D"))
      problem = "is a dependent's loop, but the response has no dependent";
    else if ((rej.loop == "2110C" || rej.loop == "2110D") && r.benefits.empty())
      problem = "needs a benefit (EB) to follow";
    if (!problem.empty()) {
      out.fail(ErrorCode::unexpected_segment, "AAA", 0,
               "an AAA's loop '" + rej.loop.substr(0, 8) + "' " + problem, rej.loop);
      return;
    }
  }
}

}  // namespace

void write_270(Writer& writer, std::uint32_t st02, const EligibilityInquiry& q) {
  Emitter out(writer, k_guide_270);
  out.begin(st02);
  detail::write_bht(out, "0022", "13", q.reference, q.created_date, q.created_time);
  const bool dependent = !party_empty(q.dependent);
  out.loop("2000A");
  out.segment("HL", {"1", "", "20", "1"});
  out.loop("2100A");
  detail::write_nm1(out, q.payer, "PR", "PI");
  out.loop("2000B");
  out.segment("HL", {"2", "1", "21", "1"});
  out.loop("2100B");
  detail::write_nm1(out, q.provider, "1P", "XX");
  out.loop("2000C");
  out.segment("HL", {"3", "2", "22", dependent ? "1" : "0"});
  if (!dependent) detail::write_trn(out, q.trace, "1");
  out.loop("2100C");
  if (out.ok()) check_subscriber(out, q.subscriber);
  detail::write_nm1(out, q.subscriber, "IL", "MI");
  if (dependent) {
    out.loop("2000D");
    out.segment("HL", {"4", "3", "23", "0"});
    detail::write_trn(out, q.trace, "1");
    out.loop("2100D");
    detail::write_nm1(out, q.dependent, "03", "");
  }
  detail::write_dmg(out, q.date_of_birth, q.gender);
  for (const DatePeriod& d : q.dates) out.dtp(d, detail::or_default(d.qualifier, "291"));
  out.loop(dependent ? "2110D" : "2110C");
  write_eq(out, q.service_types);
  out.end();
}

void write_271(Writer& writer, std::uint32_t st02, const EligibilityResponse& r) {
  Emitter out(writer, k_guide_271);
  const bool dependent = !party_empty(r.dependent);
  const bool patient = has_patient(r);
  const bool receiver = patient || !party_empty(r.provider);
  out.begin(st02);
  if (out.ok()) check_rejections(out, r, dependent);
  detail::write_bht(out, "0022", "11", r.reference, r.created_date, r.created_time);
  out.loop("2000A");
  out.segment("HL", {"1", "", "20", receiver ? "1" : "0"});
  write_aaa(out, r.rejections, "2000A");
  out.loop("2100A");
  detail::write_nm1(out, r.payer, "PR", "PI");
  write_aaa(out, r.rejections, "2100A");
  if (receiver) {
    out.loop("2000B");
    out.segment("HL", {"2", "1", "21", patient ? "1" : "0"});
    out.loop("2100B");
    detail::write_nm1(out, r.provider, "1P", "XX");
    write_aaa(out, r.rejections, "2100B");
  } else if (out.ok() && has_rejection_in(r.rejections, "2100B")) {
    out.fail(ErrorCode::missing_segment, "NM1", 0,
             "an AAA of loop 2100B needs the provider (NM1*1P) it answers");
  }
  if (patient && out.ok()) {
    out.loop("2000C");
    out.segment("HL", {"3", "2", "22", dependent ? "1" : "0"});
    if (r.traces.size() > 3)
      out.fail(ErrorCode::segment_over_max, "TRN", 0, "a 271 echoes at most 3 traces (TRN)");
    if (!dependent)
      for (const Trace& t : r.traces) detail::write_trn(out, t, "2");
    out.loop("2100C");
    if (out.ok()) check_subscriber(out, r.subscriber);
    detail::write_nm1(out, r.subscriber, "IL", "MI");
    if (!r.group_number.empty() || !r.group_name.empty())
      out.segment("REF", {"6P", r.group_number, r.group_name});
    write_aaa(out, r.rejections, "2100C");
    if (dependent) {
      out.loop("2000D");
      out.segment("HL", {"4", "3", "23", "0"});
      for (const Trace& t : r.traces) detail::write_trn(out, t, "2");
      out.loop("2100D");
      detail::write_nm1(out, r.dependent, "03", "");
      write_aaa(out, r.rejections, "2100D");
    }
    detail::write_dmg(out, r.date_of_birth, r.gender);
    for (const DatePeriod& d : r.dates) out.dtp(d, d.qualifier);
    write_benefits(out, r, dependent);
  }
  out.end();
}

namespace {

// The loops of 270 and 271 a reader tracks.
enum class Level : std::uint8_t { header, source, receiver, subscriber, dependent, unknown };

// What both readers share: the HL level, whether its NM1 came, and where a segment is.
class EligibilityWalk {
 protected:
  // The loop a segment at this point belongs to, for problems and AAA.
  std::string_view loop_name(bool benefit) const {
    switch (m_level) {
      case Level::header:
        return "ST";
      case Level::source:
        return m_named ? "2100A" : "2000A";
      case Level::receiver:
        return m_named ? "2100B" : "2000B";
      case Level::subscriber:
        return benefit ? "2110C" : m_named ? "2100C" : "2000C";
      case Level::dependent:
        return benefit ? "2110D" : m_named ? "2100D" : "2000D";
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

  Level m_level = Level::header;
  bool m_named = false;  // the current level's NM1 was read
};

class Read270 final : public Builder, EligibilityWalk {
 public:
  explicit Read270(const Each<EligibilityInquiry>& each) : m_each(each) {}
  void begin(const SetContext& set) override {
    m_set = &set;
    m_base = {};
    m_level = Level::header;
    m_named = false;
    m_have_item = false;
  }
  void on(const Segment& s) override;
  void end(bool complete) override {
    if (complete) flush();
    m_have_item = false;
  }

 private:
  void on_hl(const Segment& s);
  void flush() {
    if (!m_have_item || m_stopped) return;
    m_have_item = false;
    if (!m_each(std::move(m_item), m_set->st)) m_stopped = true;
  }

  const Each<EligibilityInquiry>& m_each;
  const SetContext* m_set = nullptr;
  EligibilityInquiry m_base;      // the header and the source's and receiver's names
  EligibilityInquiry m_item;      // the patient being read
  EligibilityInquiry m_template;  // the subscriber, for the dependents under it
  bool m_have_item = false;
  Level m_item_level = Level::header;
  bool m_trace_here = false;  // the current level's TRN was read
};

void Read270::on_hl(const Segment& s) {
  const std::string_view level = s.element(3);
  Problems& problems = *m_set->problems;
  m_named = false;
  m_trace_here = false;
  if (level == "20") {
    flush();
    m_base.payer = {};
    m_base.provider = {};
    m_level = Level::source;
  } else if (level == "21") {
    flush();
    m_base.provider = {};
    m_level = Level::receiver;
  } else if (level == "22") {
    flush();
    m_item = m_base;
    m_have_item = true;
    m_item_level = m_level = Level::subscriber;
  } else if (level == "23") {
    if (!m_have_item && m_level != Level::dependent) {
      misplaced(problems, s, "2000D", "a dependent's HL without a subscriber before it");
      m_level = Level::unknown;
      return;
    }
    if (m_item_level == Level::subscriber && m_have_item) {
      m_template = m_item;
      if (!m_item.service_types.empty()) flush();
      m_template.date_of_birth.clear();
      m_template.gender.clear();
      m_template.dates.clear();
      m_template.service_types.clear();
    } else {
      flush();
    }
    m_item = m_template;
    m_have_item = true;
    m_item_level = m_level = Level::dependent;
  } else {
    flush();
    problems.add(s, ErrorCode::hl_invalid, {}, 3,
                 "HL03 '" + std::string(level.substr(0, 4)) +
                     "' is not a level of a 270 (20, 21, 22, 23); its loop is skipped",
                 level);
    m_level = Level::unknown;
  }
  problems.new_item();
}

void Read270::on(const Segment& s) {
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  const std::string_view loop = loop_name(false);
  if (id == "HL") return on_hl(s);
  if (id == "BHT") {
    if (m_level != Level::header) return misplaced(problems, s, loop);
    m_base.reference = s.element(3);
    m_base.created_date = from_d8(s.element(4));
    m_base.created_time = s.element(5);
    return;
  }
  if (id == "NM1") {
    if (m_named || m_level == Level::header || m_level == Level::unknown)
      return misplaced(problems, s, loop);
    m_named = true;
    Party party = detail::read_party(s);
    switch (m_level) {
      case Level::source:
        m_base.payer = std::move(party);
        break;
      case Level::receiver:
        m_base.provider = std::move(party);
        break;
      case Level::subscriber:
        m_item.subscriber = std::move(party);
        break;
      default:
        m_item.dependent = std::move(party);
        break;
    }
    return;
  }
  if (id == "TRN") {
    if (!patient() || m_named) return misplaced(problems, s, loop);
    if (!m_trace_here) m_item.trace = detail::read_trace(s);
    m_trace_here = true;
    return;
  }
  if (id == "DMG") {
    if (!patient() || !m_named) return misplaced(problems, s, loop);
    detail::read_dmg(s, m_item.date_of_birth, m_item.gender, problems, loop);
    return;
  }
  if (id == "DTP") {
    if (!patient() || !m_named) return misplaced(problems, s, loop);
    DatePeriod d;
    if (!detail::read_dtp(s, d, problems, loop)) return;
    if (DatePeriod* slot = problems.push(m_item.dates, s, "dates")) *slot = std::move(d);
    return;
  }
  if (id == "EQ") {
    if (!patient() || !m_named) return misplaced(problems, s, loop);
    for (std::string_view type : detail::repetitions(s, 1))
      if (std::string* slot = problems.push(m_item.service_types, s, "service types")) *slot = type;
    return;
  }
}

class Read271 final : public Builder, EligibilityWalk {
 public:
  explicit Read271(const Each<EligibilityResponse>& each) : m_each(each) {}
  void begin(const SetContext& set) override {
    m_set = &set;
    m_base = {};
    m_level = Level::header;
    m_named = false;
    m_have_item = false;
    m_base_used = false;
    m_in_eb = m_in_ls = false;
  }
  void on(const Segment& s) override;
  void end(bool complete) override {
    if (complete) {
      flush();
      flush_base();
    }
    m_have_item = false;
  }

 private:
  void on_hl(const Segment& s);
  void flush() {
    if (!m_have_item || m_stopped) return;
    m_have_item = false;
    if (!m_each(std::move(m_item), m_set->st)) m_stopped = true;
  }
  // A source or receiver that answered alone (an AAA, no subscriber under it) is a response too.
  void flush_base() {
    if (m_base_used || m_stopped || m_base.rejections.empty()) return;
    m_base_used = true;
    EligibilityResponse alone = m_base;
    if (!m_each(std::move(alone), m_set->st)) m_stopped = true;
  }
  Benefit* benefit() { return m_item.benefits.empty() ? nullptr : &m_item.benefits.back(); }

  const Each<EligibilityResponse>& m_each;
  const SetContext* m_set = nullptr;
  EligibilityResponse m_base;      // the header, source and receiver, and their AAA
  EligibilityResponse m_item;      // the patient being read
  EligibilityResponse m_template;  // the subscriber, for the dependents under it
  bool m_have_item = false;
  bool m_base_used = false;  // a patient of this source/receiver carries the base's AAA
  Level m_item_level = Level::header;
  bool m_in_eb = false;     // in 2110C/D, after an EB
  bool m_in_ls = false;     // between LS and LE (2120C/D)
  bool m_skipping = false;  // the current benefit was over the cap
};

void Read271::on_hl(const Segment& s) {
  const std::string_view level = s.element(3);
  Problems& problems = *m_set->problems;
  m_named = false;
  m_in_eb = m_in_ls = m_skipping = false;
  if (level == "20") {
    flush();
    flush_base();
    m_base.payer = {};
    m_base.provider = {};
    m_base.rejections.clear();
    m_base_used = false;
    m_level = Level::source;
  } else if (level == "21") {
    flush();
    // The source's own AAA go with the first receiver under it; a receiver's stay its own.
    if (m_level != Level::source) flush_base();
    m_base.provider = {};
    std::erase_if(m_base.rejections, [](const Rejection& r) { return r.loop == "2100B"; });
    m_base_used = false;
    m_level = Level::receiver;
  } else if (level == "22") {
    flush();
    m_item = m_base;
    m_base_used = true;
    m_have_item = true;
    m_item_level = m_level = Level::subscriber;
  } else if (level == "23") {
    if (!m_have_item && m_level != Level::dependent) {
      misplaced(problems, s, "2000D", "a dependent's HL without a subscriber before it");
      m_level = Level::unknown;
      return;
    }
    if (m_item_level == Level::subscriber && m_have_item) {
      m_template = m_item;
      if (!m_item.benefits.empty()) flush();
      m_template.date_of_birth.clear();
      m_template.gender.clear();
      m_template.dates.clear();
      m_template.benefits.clear();
      std::erase_if(m_template.rejections, [](const Rejection& r) { return r.loop == "2110C"; });
    } else {
      flush();
    }
    m_item = m_template;
    m_have_item = true;
    m_item_level = m_level = Level::dependent;
  } else {
    flush();
    problems.add(s, ErrorCode::hl_invalid, {}, 3,
                 "HL03 '" + std::string(level.substr(0, 4)) +
                     "' is not a level of a 271 (20, 21, 22, 23); its loop is skipped",
                 level);
    m_level = Level::unknown;
  }
  problems.new_item();
}

void Read271::on(const Segment& s) {
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  const std::string_view loop = loop_name(m_in_eb);
  if (id == "HL") return on_hl(s);
  if (m_in_eb && m_skipping && id != "EB") return;
  if (id == "BHT") {
    if (m_level != Level::header) return misplaced(problems, s, loop);
    m_base.reference = s.element(3);
    m_base.created_date = from_d8(s.element(4));
    m_base.created_time = s.element(5);
    return;
  }
  if (id == "NM1") {
    if (m_in_ls) return;  // a benefit's related entity (2120C/D)
    if (m_named || m_level == Level::header || m_level == Level::unknown)
      return misplaced(problems, s, loop);
    m_named = true;
    Party party = detail::read_party(s);
    switch (m_level) {
      case Level::source:
        m_base.payer = std::move(party);
        break;
      case Level::receiver:
        m_base.provider = std::move(party);
        break;
      case Level::subscriber:
        m_item.subscriber = std::move(party);
        break;
      default:
        m_item.dependent = std::move(party);
        break;
    }
    return;
  }
  if (id == "AAA") {
    const bool placed = (m_level == Level::source) ||
                        (m_named && !m_in_ls && (m_level == Level::receiver || patient()));
    if (!placed) return misplaced(problems, s, loop);
    const std::string_view valid = s.element(1);
    Rejection r{std::string(loop), valid.size() == 1 ? valid[0] : '?', std::string(s.element(3)),
                std::string(s.element(4))};
    auto& list = patient() ? m_item.rejections : m_base.rejections;
    if (Rejection* slot = problems.push(list, s, "AAA segments")) *slot = std::move(r);
    return;
  }
  if (id == "TRN") {
    if (!patient() || m_named) return misplaced(problems, s, loop);
    if (Trace* slot = problems.push(m_item.traces, s, "traces")) *slot = detail::read_trace(s);
    return;
  }
  if (id == "REF") {
    if (m_in_eb) return;  // a benefit's reference, not mapped
    if (!patient() || !m_named) {
      if (m_level == Level::receiver && m_named) return;  // the receiver's IDs, not mapped
      return misplaced(problems, s, loop);
    }
    if (m_item.group_number.empty() && has_code(k_group_qualifiers, s.element(1))) {
      m_item.group_number = s.element(2);
      m_item.group_name = s.element(3);
    }
    return;
  }
  if (id == "DMG") {
    if (!patient() || !m_named || m_in_eb) return misplaced(problems, s, loop);
    detail::read_dmg(s, m_item.date_of_birth, m_item.gender, problems, loop);
    return;
  }
  if (id == "DTP") {
    if (!patient() || !m_named || m_in_ls) return misplaced(problems, s, loop);
    DatePeriod d;
    if (!detail::read_dtp(s, d, problems, loop)) return;
    auto& list = m_in_eb ? benefit()->dates : m_item.dates;
    if (DatePeriod* slot = problems.push(list, s, "dates")) *slot = std::move(d);
    return;
  }
  if (id == "EB") {
    if (!patient() || !m_named) return misplaced(problems, s, loop);
    Benefit* b = problems.push(m_item.benefits, s, "benefits");
    m_in_eb = true;
    m_in_ls = false;
    m_skipping = b == nullptr;  // what follows belongs to a skipped benefit
    if (m_skipping) return;
    b->info = s.element(1);
    b->coverage_level = s.element(2);
    for (std::string_view type : detail::repetitions(s, 3)) b->service_types.emplace_back(type);
    b->insurance_type = s.element(4);
    b->plan_description = s.element(5);
    b->time_period = s.element(6);
    b->amount = s.element(7);
    b->percent = s.element(8);
    b->quantity_qualifier = s.element(9);
    b->quantity = s.element(10);
    b->authorization = s.element(11);
    b->in_network = s.element(12);
    return;
  }
  if (id == "MSG") {
    if (!m_in_eb || m_in_ls) return misplaced(problems, s, loop);
    if (std::string* slot = problems.push(benefit()->messages, s, "messages")) *slot = s.element(1);
    return;
  }
  if (id == "LS") {
    if (!m_in_eb) return misplaced(problems, s, loop);
    m_in_ls = true;
    return;
  }
  if (id == "LE") {
    if (!m_in_ls) return misplaced(problems, s, loop);
    m_in_ls = false;
    return;
  }
}

}  // namespace

ReadSummary read_270(Reader& reader, const Each<EligibilityInquiry>& each) {
  Read270 builder(each);
  return detail::read_sets(reader, k_guide_270, builder);
}

ReadSummary read_271(Reader& reader, const Each<EligibilityResponse>& each) {
  Read271 builder(each);
  return detail::read_sets(reader, k_guide_271, builder);
}

}  // namespace x12
