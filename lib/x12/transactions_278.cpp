// 278 health care services review, request and response (005010X217): writer and streaming
// reader.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "x12/guide.hpp"
#include "x12/transactions.hpp"
#include "x12/transactions_detail.hpp"

namespace x12 {

std::string_view ServiceReview::request_trace() const {
  for (const Trace& t : traces)
    if (t.type == "2") return t.number;
  for (const Trace& t : traces)
    if (t.type == "1" || t.type.empty()) return t.number;
  return {};
}

namespace {

using detail::Builder;
using detail::Emitter;
using detail::Field;
using detail::party_empty;
using detail::Problems;
using detail::SetContext;

// The most diagnoses an HI holds and modifiers a procedure composite holds.
constexpr std::size_t k_max_diagnoses = 12;
constexpr std::size_t k_max_modifiers = 4;

void write_aaa(Emitter& out, const Rejection& r) {
  const char valid = r.valid == 0 ? 'N' : r.valid;
  out.segment("AAA", {std::string_view(&valid, 1), "", r.reason, r.follow_up});
}

// The AAA segments of `rejections` that belong in `loop`.
void write_rejections(Emitter& out, const std::vector<Rejection>& rejections,
                      std::string_view loop) {
  for (const Rejection& r : rejections)
    if (r.loop == loop) write_aaa(out, r);
}

void write_traces(Emitter& out, const std::vector<Trace>& traces, bool response) {
  for (const Trace& t : traces) detail::write_trn(out, t, response ? "2" : "1");
}

void write_hcr(Emitter& out, const ReviewDecision& d, bool response) {
  if (d.action.empty() && d.certification.empty() && d.reason.empty()) return;
  if (!response) {
    out.fail(ErrorCode::unexpected_segment, "HCR", 0,
             "a request for review carries no decision (HCR); only a response (BHT02 11) does");
    return;
  }
  out.segment("HCR", {d.action, d.certification, d.reason, d.second_opinion});
}

void write_dates(Emitter& out, const std::vector<DatePeriod>& dates) {
  for (const DatePeriod& d : dates) {
    if (!out.ok()) return;
    if (!out.require(d.qualifier, "DTP", 1, "the date's qualifier")) return;
    out.dtp(d, d.qualifier);
  }
}

void write_delivery(Emitter& out, const std::vector<std::string>& hsd) {
  if (hsd.empty()) return;
  if (hsd.size() > 8) {
    out.fail(ErrorCode::too_many_elements, "HSD", 9,
             "HSD has 8 elements, not " + std::to_string(hsd.size()));
    return;
  }
  const auto at = [&hsd](std::size_t i) -> std::string_view {
    return i < hsd.size() ? std::string_view(hsd[i]) : std::string_view();
  };
  out.segment("HSD", {at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)});
}

void write_paperwork(Emitter& out, const std::vector<Paperwork>& paperwork) {
  for (const Paperwork& p : paperwork) {
    if (!out.ok()) return;
    const std::string_view qualifier = p.control_number.empty() ? "" : "AC";
    out.segment(
        "PWK", {p.report_type, p.transmission, "", "", qualifier, p.control_number, p.description});
  }
}

void write_providers(Emitter& out, const std::vector<ReviewProvider>& providers,
                     std::string_view loop, bool response) {
  for (const ReviewProvider& p : providers) {
    if (!out.ok()) return;
    out.loop(loop);
    detail::write_nm1(out, p.party, "SJ", "XX");
    if (!p.contact.empty())
      out.segment("PER", {"IC", "", detail::or_default(p.contact_qualifier, "TE"), p.contact});
    if (response)
      for (const Rejection& r : p.rejections) write_aaa(out, r);
    else if (!p.rejections.empty())
      out.fail(ErrorCode::unexpected_segment, "AAA", 0,
               "a request for review carries no AAA (loop " + std::string(loop) + ")");
  }
}

// SV1 or SV2 of a service.
void write_procedure(Emitter& out, const ReviewService& s) {
  if (s.procedure.empty() && s.revenue_code.empty()) return;
  if (s.modifiers.size() > k_max_modifiers) {
    out.fail(ErrorCode::too_many_elements, s.revenue_code.empty() ? "SV1" : "SV2", 1,
             "a procedure has at most 4 modifiers, not " + std::to_string(s.modifiers.size()));
    return;
  }
  std::vector<std::string_view> procedure;
  if (!s.procedure.empty()) {
    procedure = {detail::or_default(s.procedure_qualifier, "HC"), s.procedure};
    procedure.insert(procedure.end(), s.modifiers.begin(), s.modifiers.end());
  }
  const std::string_view basis =
      s.quantity.empty() ? std::string_view(s.unit_basis) : detail::or_default(s.unit_basis, "UN");
  if (s.revenue_code.empty()) {
    out.segment("SV1", {Field::composite(procedure), s.charge, basis, s.quantity});
  } else {
    out.segment("SV2", {s.revenue_code, Field::composite(procedure), s.charge, basis, s.quantity});
  }
}

void write_service(Emitter& out, const ServiceReview& r, const ReviewService& s, int hl, int parent,
                   bool response) {
  if (!out.ok()) return;
  out.loop("2000F");
  out.segment("HL", {std::to_string(hl), std::to_string(parent), "SS", "0"});
  write_traces(out, s.traces, response);
  if (response)
    write_rejections(out, s.rejections, "2000F");
  else if (!s.rejections.empty())
    out.fail(ErrorCode::unexpected_segment, "AAA", 0,
             "a request for review carries no AAA (loop 2000F)");
  out.segment("UM", {detail::or_default(s.category, r.category),
                     detail::or_default(s.certification_type, r.certification_type)});
  write_hcr(out, s.decision, response);
  if (!s.previous_certification.empty()) out.segment("REF", {"BB", s.previous_certification});
  write_dates(out, s.dates);
  write_procedure(out, s);
  write_delivery(out, s.delivery);
  if (response && !s.paperwork.empty())
    out.fail(ErrorCode::unexpected_segment, "PWK", 0, "a response carries no PWK (loop 2000F)");
  write_paperwork(out, s.paperwork);
  if (!s.message.empty()) out.segment("MSG", {s.message});
  write_providers(out, s.providers, "2010F", response);
}

void write_diagnoses(Emitter& out, const std::vector<Diagnosis>& diagnoses) {
  if (diagnoses.empty()) return;
  if (diagnoses.size() > k_max_diagnoses) {
    out.fail(ErrorCode::too_many_elements, "HI", 13,
             "an HI holds at most 12 diagnoses, not " + std::to_string(diagnoses.size()));
    return;
  }
  std::vector<std::string> dates(diagnoses.size());
  std::vector<std::array<std::string_view, 4>> parts(diagnoses.size());
  for (std::size_t i = 0; i < diagnoses.size(); ++i) {
    const Diagnosis& d = diagnoses[i];
    if (!d.date.empty()) dates[i] = out.d8(d.date, "HI", static_cast<int>(i + 1));
    parts[i] = {detail::or_default(d.qualifier, i == 0 ? "ABK" : "ABF"), d.code,
                d.date.empty() ? "" : "D8", dates[i]};
  }
  const auto at = [&parts](std::size_t i) {
    return i < parts.size() ? Field::composite(parts[i]) : Field();
  };
  out.segment(
      "HI", {at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8), at(9), at(10), at(11)});
}

}  // namespace

void write_278(Writer& writer, std::uint32_t st02, const ServiceReview& r) {
  const bool response = r.is_response();
  Emitter out(writer, response ? k_guide_278_response : k_guide_278);
  const bool event = !r.category.empty();
  const bool dependent = !party_empty(r.dependent);
  if (!response && !event) {
    out.fail(ErrorCode::missing_segment, "UM", 1,
             "a request for review needs its patient event: UM01, the request category");
    return;
  }
  if (!event && (!r.decision.action.empty() || !r.decision.certification.empty() ||
                 !r.decision.reason.empty() || !r.services.empty() || !r.traces.empty() ||
                 !r.dates.empty() || !r.diagnoses.empty() || !r.providers.empty() ||
                 !r.paperwork.empty() || !r.message.empty())) {
    out.fail(ErrorCode::missing_segment, "UM", 1,
             "the patient event's data (a decision, services, traces, dates...) needs its UM01, "
             "the request category");
    return;
  }
  if (response && !event) {
    bool above = false;
    for (const Rejection& rej : r.rejections) above = above || rej.loop != "2000E";
    if (!above) {
      out.fail(ErrorCode::missing_segment, "AAA", 0,
               "a response without a patient event (UM01) needs a rejection (AAA) above it "
               "saying why");
      return;
    }
  }
  const bool subscriber = event || dependent || !party_empty(r.subscriber);
  const bool requester = subscriber || !party_empty(r.requester);
  out.begin(st02);
  detail::write_bht(out, "0007", detail::or_default(r.purpose, "13"), r.reference, r.created_date,
                    r.created_time, response ? std::string_view(r.response_type) : "");
  out.loop("2000A");
  out.segment("HL", {"1", "", "20", requester ? "1" : "0"});
  if (response) write_rejections(out, r.rejections, "2000A");
  out.loop("2010A");
  detail::write_nm1(out, r.umo, "X3", "46");
  if (response) write_rejections(out, r.rejections, "2010A");
  int hl = 1;
  if (requester) {
    out.loop("2000B");
    out.segment("HL", {"2", "1", "21", subscriber ? "1" : "0"});
    out.loop("2010B");
    detail::write_nm1(out, r.requester, "1P", "XX");
    if (response) write_rejections(out, r.rejections, "2010B");
    hl = 2;
  }
  if (subscriber) {
    out.loop("2000C");
    out.segment("HL", {"3", "2", "22", event || dependent ? "1" : "0"});
    out.loop("2010C");
    detail::write_nm1(out, r.subscriber, "IL", "MI");
    if (response) write_rejections(out, r.rejections, "2010C");
    if (!dependent) detail::write_dmg(out, r.date_of_birth, r.gender);
    hl = 3;
  }
  if (dependent) {
    out.loop("2000D");
    out.segment("HL", {"4", "3", "23", event ? "1" : "0"});
    out.loop("2010D");
    detail::write_nm1(out, r.dependent, "QC", "");
    if (response) write_rejections(out, r.rejections, "2010D");
    detail::write_dmg(out, r.date_of_birth, r.gender);
    hl = 4;
  }
  if (!response) {
    for (const Rejection& rej : r.rejections)
      out.fail(ErrorCode::unexpected_segment, "AAA", 0,
               "a request for review carries no AAA (loop " + rej.loop.substr(0, 8) + ")");
  } else {
    for (const Rejection& rej : r.rejections) {
      const std::string_view l = rej.loop;
      const bool written = l == "2000A" || l == "2010A" || (l == "2010B" && requester) ||
                           (l == "2010C" && subscriber) || (l == "2010D" && dependent) ||
                           (l == "2000E" && event);
      if (!written)
        out.fail(ErrorCode::unexpected_segment, "AAA", 0,
                 "a 278 AAA's loop '" + rej.loop.substr(0, 8) +
                     "' is not one of 2000A, 2010A, 2010B, 2010C, 2010D, 2000E, or names a "
                     "party the response does not hold");
    }
  }
  if (event) {
    const int event_hl = hl + 1;
    out.loop("2000E");
    out.segment(
        "HL", {std::to_string(event_hl), std::to_string(hl), "EV", r.services.empty() ? "0" : "1"});
    write_traces(out, r.traces, response);
    if (response) write_rejections(out, r.rejections, "2000E");
    const std::string_view um04[] = {r.place_of_service, r.place_of_service.empty() ? "" : "B"};
    out.segment("UM", {r.category, r.certification_type, r.service_type, Field::composite(um04), "",
                       r.level_of_service, "", "", r.release_of_information});
    write_hcr(out, r.decision, response);
    if (!r.previous_certification.empty()) out.segment("REF", {"BB", r.previous_certification});
    if (!r.administrative_reference.empty()) out.segment("REF", {"NT", r.administrative_reference});
    write_dates(out, r.dates);
    write_diagnoses(out, r.diagnoses);
    write_delivery(out, r.delivery);
    if (response && !r.paperwork.empty())
      out.fail(ErrorCode::unexpected_segment, "PWK", 0, "a response carries no PWK (loop 2000E)");
    write_paperwork(out, r.paperwork);
    if (!r.message.empty()) out.segment("MSG", {r.message});
    write_providers(out, r.providers, "2010EA", response);
    int next = event_hl + 1;
    for (const ReviewService& s : r.services) write_service(out, r, s, next++, event_hl, response);
  }
  out.end();
}

namespace {

// The levels of a 278 a reader tracks.
enum class Level : std::uint8_t {
  header,
  umo,
  requester,
  subscriber,
  dependent,
  event,
  service,
  unknown
};

class Read278 final : public Builder {
 public:
  explicit Read278(const Each<ServiceReview>& each) : m_each(each) {}
  void begin(const SetContext& set) override {
    m_set = &set;
    m_item = {};
    m_level = Level::header;
    m_named = m_have_event = m_events_handed = m_skip_service = false;
    m_provider = nullptr;
  }
  void on(const Segment& s) override;
  void end(bool complete) override {
    if (complete) flush(true);
    m_have_event = false;
  }

 private:
  void on_hl(const Segment& s);
  void on_event(const Segment& s, std::string_view loop);
  void on_service(const Segment& s, std::string_view loop);
  std::string_view loop_name() const;
  void misplaced(const Segment& s, std::string_view loop) {
    m_set->problems->add(s, ErrorCode::unexpected_segment, loop, 0,
                         "segment " + std::string(s.id().substr(0, 3)) + " is out of place" +
                             (loop.empty() ? std::string() : " in loop " + std::string(loop)) +
                             "; skipped");
  }
  // Hands over the event read (or, at the set's end, a response that answered above any
  // event): the parties stay for the next event under them.
  void flush(bool at_end) {
    if (m_stopped) return;
    if (m_have_event) {
      m_have_event = false;
      ServiceReview item = m_item;
      if (!m_each(std::move(item), m_set->st)) m_stopped = true;
      clear_event();
      m_events_handed = true;
      return;
    }
    if (at_end && !m_events_handed && m_item.is_response() && !m_item.rejections.empty()) {
      if (!m_each(std::move(m_item), m_set->st)) m_stopped = true;
    }
  }
  void clear_event() {
    m_item.traces.clear();
    m_item.category.clear();
    m_item.certification_type.clear();
    m_item.service_type.clear();
    m_item.place_of_service.clear();
    m_item.level_of_service.clear();
    m_item.release_of_information.clear();
    m_item.decision = {};
    m_item.previous_certification.clear();
    m_item.administrative_reference.clear();
    m_item.dates.clear();
    m_item.diagnoses.clear();
    m_item.delivery.clear();
    m_item.paperwork.clear();
    m_item.message.clear();
    m_item.providers.clear();
    m_item.services.clear();
    std::erase_if(m_item.rejections, [](const Rejection& r) { return r.loop == "2000E"; });
  }
  ReviewService* service() { return m_item.services.empty() ? nullptr : &m_item.services.back(); }

  const Each<ServiceReview>& m_each;
  const SetContext* m_set = nullptr;
  ServiceReview m_item;
  Level m_level = Level::header;
  bool m_named = false;       // the level's NM1 was read (2010A-D; 2010EA/2010F: a provider)
  bool m_have_event = false;  // an EV level is being read
  bool m_events_handed = false;
  bool m_skip_service = false;
  ReviewProvider* m_provider = nullptr;  // the 2010EA/2010F being read
};

std::string_view Read278::loop_name() const {
  switch (m_level) {
    case Level::header:
      return "ST";
    case Level::umo:
      return m_named ? "2010A" : "2000A";
    case Level::requester:
      return m_named ? "2010B" : "2000B";
    case Level::subscriber:
      return m_named ? "2010C" : "2000C";
    case Level::dependent:
      return m_named ? "2010D" : "2000D";
    case Level::event:
      return m_provider != nullptr ? "2010EA" : "2000E";
    case Level::service:
      return m_provider != nullptr ? "2010F" : "2000F";
    case Level::unknown:
      break;
  }
  return {};
}

void Read278::on_hl(const Segment& s) {
  const std::string_view level = s.element(3);
  Problems& problems = *m_set->problems;
  m_named = false;
  m_provider = nullptr;
  if (level == "SS") {
    if (m_level != Level::event && m_level != Level::service) {
      misplaced(s, "2000F");
      m_level = Level::unknown;
      return;
    }
    m_level = Level::service;
    ReviewService* added = problems.push(m_item.services, s, "services");
    m_skip_service = added == nullptr;
    return;
  }
  flush(false);
  problems.new_item();
  if (level == "20") {
    m_item.umo = m_item.requester = m_item.subscriber = m_item.dependent = {};
    m_item.date_of_birth.clear();
    m_item.gender.clear();
    m_item.rejections.clear();
    m_level = Level::umo;
  } else if (level == "21") {
    m_item.requester = m_item.subscriber = m_item.dependent = {};
    std::erase_if(m_item.rejections,
                  [](const Rejection& r) { return r.loop != "2000A" && r.loop != "2010A"; });
    m_level = Level::requester;
  } else if (level == "22") {
    m_item.subscriber = m_item.dependent = {};
    m_item.date_of_birth.clear();
    m_item.gender.clear();
    std::erase_if(m_item.rejections, [](const Rejection& r) {
      return r.loop == "2010C" || r.loop == "2010D" || r.loop == "2000E";
    });
    m_level = Level::subscriber;
  } else if (level == "23") {
    if (m_level != Level::subscriber && m_level != Level::event && m_level != Level::service &&
        m_level != Level::dependent) {
      misplaced(s, "2000D");
      m_level = Level::unknown;
      return;
    }
    m_item.dependent = {};
    m_item.date_of_birth.clear();
    m_item.gender.clear();
    std::erase_if(m_item.rejections,
                  [](const Rejection& r) { return r.loop == "2010D" || r.loop == "2000E"; });
    m_level = Level::dependent;
  } else if (level == "EV") {
    if (m_level == Level::header || m_level == Level::umo || m_level == Level::requester ||
        m_level == Level::unknown) {
      misplaced(s, "2000E");
      m_level = Level::unknown;
      return;
    }
    m_level = Level::event;
    m_have_event = true;
  } else {
    problems.add(s, ErrorCode::hl_invalid, {}, 3,
                 "HL03 '" + std::string(s.element(3).substr(0, 4)) +
                     "' is not a level of a 278 (20, 21, 22, 23, EV, SS); its loop is skipped",
                 s.element(3));
    m_level = Level::unknown;
  }
}

Diagnosis read_diagnosis(std::string_view composite, char component) {
  Diagnosis d;
  d.qualifier = Segment::nth_part(composite, component, 1);
  d.code = Segment::nth_part(composite, component, 2);
  if (Segment::nth_part(composite, component, 3) == "D8")
    d.date = from_d8(Segment::nth_part(composite, component, 4));
  return d;
}

Rejection read_aaa(const Segment& s, std::string_view loop) {
  Rejection r;
  r.loop = loop;
  const std::string_view valid = s.element(1);
  r.valid = valid.size() == 1 ? valid[0] : '?';
  r.reason = s.element(3);
  r.follow_up = s.element(4);
  return r;
}

ReviewDecision read_hcr(const Segment& s) {
  ReviewDecision d;
  d.action = s.element(1);
  d.certification = s.element(2);
  d.reason = s.element(3);
  d.second_opinion = s.element(4);
  return d;
}

Paperwork read_pwk(const Segment& s) {
  Paperwork p;
  p.report_type = s.element(1);
  p.transmission = s.element(2);
  p.control_number = s.element(6);
  p.description = s.element(7);
  return p;
}

std::vector<std::string> read_elements(const Segment& s, std::size_t n) {
  std::vector<std::string> out;
  std::size_t last = 0;
  for (std::size_t i = 1; i <= n && i <= s.size(); ++i)
    if (!s.element(i).empty()) last = i;
  for (std::size_t i = 1; i <= last; ++i) out.emplace_back(s.element(i));
  return out;
}

void read_procedure(const Segment& s, ReviewService& svc) {
  const bool institutional = s.id() == "SV2";
  const std::string_view composite = s.element(institutional ? 2 : 1);
  const char c = s.delimiters().component;
  svc.procedure_qualifier = Segment::nth_part(composite, c, 1);
  svc.procedure = Segment::nth_part(composite, c, 2);
  svc.modifiers.clear();
  for (std::size_t i = 3; i <= 6; ++i) {
    const std::string_view m = Segment::nth_part(composite, c, i);
    if (!m.empty()) svc.modifiers.emplace_back(m);
  }
  if (institutional) {
    svc.revenue_code = s.element(1);
    svc.charge = s.element(3);
    svc.unit_basis = s.element(4);
    svc.quantity = s.element(5);
  } else {
    svc.charge = s.element(2);
    svc.unit_basis = s.element(3);
    svc.quantity = s.element(4);
  }
}

void Read278::on_event(const Segment& s, std::string_view loop) {
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  ServiceReview& e = m_item;
  if (id == "NM1") {
    m_provider = problems.push(e.providers, s, "providers");
    if (m_provider != nullptr) m_provider->party = detail::read_party(s);
    return;
  }
  if (m_provider != nullptr) {
    if (id == "PER") {
      m_provider->contact_qualifier = s.element(3);
      m_provider->contact = s.element(4);
    } else if (id == "AAA") {
      if (Rejection* r = problems.push(m_provider->rejections, s, "rejections"))
        *r = read_aaa(s, loop);
    }
    return;
  }
  if (id == "TRN") {
    if (Trace* t = problems.push(e.traces, s, "traces")) *t = detail::read_trace(s);
  } else if (id == "AAA") {
    if (Rejection* r = problems.push(e.rejections, s, "rejections")) *r = read_aaa(s, "2000E");
  } else if (id == "UM") {
    e.category = s.element(1);
    e.certification_type = s.element(2);
    e.service_type = s.element(3);
    e.place_of_service = Segment::nth_part(s.element(4), s.delimiters().component, 1);
    e.level_of_service = s.element(6);
    e.release_of_information = s.element(9);
  } else if (id == "HCR") {
    e.decision = read_hcr(s);
  } else if (id == "REF") {
    if (s.element(1) == "BB") e.previous_certification = s.element(2);
    if (s.element(1) == "NT") e.administrative_reference = s.element(2);
  } else if (id == "DTP") {
    DatePeriod* d = problems.push(e.dates, s, "dates");
    if (d != nullptr && !detail::read_dtp(s, *d, problems, loop)) e.dates.pop_back();
  } else if (id == "HI") {
    e.diagnoses.clear();
    for (std::size_t i = 1; i <= s.size() && i <= k_max_diagnoses; ++i)
      if (!s.element(i).empty())
        e.diagnoses.push_back(read_diagnosis(s.element(i), s.delimiters().component));
  } else if (id == "HSD") {
    e.delivery = read_elements(s, 8);
  } else if (id == "PWK") {
    if (Paperwork* p = problems.push(e.paperwork, s, "attachments")) *p = read_pwk(s);
  } else if (id == "MSG") {
    e.message = s.element(1);
  }
}

void Read278::on_service(const Segment& s, std::string_view loop) {
  if (m_skip_service) return;
  ReviewService* svc = service();
  if (svc == nullptr) return;
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  if (id == "NM1") {
    m_provider = problems.push(svc->providers, s, "providers");
    if (m_provider != nullptr) m_provider->party = detail::read_party(s);
    return;
  }
  if (m_provider != nullptr) {
    if (id == "PER") {
      m_provider->contact_qualifier = s.element(3);
      m_provider->contact = s.element(4);
    } else if (id == "AAA") {
      if (Rejection* r = problems.push(m_provider->rejections, s, "rejections"))
        *r = read_aaa(s, loop);
    }
    return;
  }
  if (id == "TRN") {
    if (Trace* t = problems.push(svc->traces, s, "traces")) *t = detail::read_trace(s);
  } else if (id == "AAA") {
    if (Rejection* r = problems.push(svc->rejections, s, "rejections")) *r = read_aaa(s, "2000F");
  } else if (id == "UM") {
    svc->category = s.element(1);
    svc->certification_type = s.element(2);
  } else if (id == "HCR") {
    svc->decision = read_hcr(s);
  } else if (id == "REF") {
    if (s.element(1) == "BB") svc->previous_certification = s.element(2);
  } else if (id == "DTP") {
    DatePeriod* d = problems.push(svc->dates, s, "dates");
    if (d != nullptr && !detail::read_dtp(s, *d, problems, loop)) svc->dates.pop_back();
  } else if (id == "SV1" || id == "SV2") {
    read_procedure(s, *svc);
  } else if (id == "HSD") {
    svc->delivery = read_elements(s, 8);
  } else if (id == "PWK") {
    if (Paperwork* p = problems.push(svc->paperwork, s, "attachments")) *p = read_pwk(s);
  } else if (id == "MSG") {
    svc->message = s.element(1);
  }
}

void Read278::on(const Segment& s) {
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  const std::string_view loop = loop_name();
  if (id == "HL") return on_hl(s);
  if (id == "BHT") {
    if (m_level != Level::header) return misplaced(s, loop);
    m_item.purpose = s.element(2);
    m_item.reference = s.element(3);
    m_item.created_date = from_d8(s.element(4));
    m_item.created_time = s.element(5);
    m_item.response_type = s.element(6);
    return;
  }
  switch (m_level) {
    case Level::header:
      return misplaced(s, loop);
    case Level::unknown:
      return;
    case Level::event:
      return on_event(s, loop);
    case Level::service:
      return on_service(s, loop);
    default:
      break;
  }
  // 2000A-2010D: a party, its DMG and the AAA.
  if (id == "NM1") {
    if (m_named) return misplaced(s, loop);
    m_named = true;
    Party party = detail::read_party(s);
    switch (m_level) {
      case Level::umo:
        m_item.umo = std::move(party);
        break;
      case Level::requester:
        m_item.requester = std::move(party);
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
  if (id == "DMG") {
    if (m_level != Level::subscriber && m_level != Level::dependent) return misplaced(s, loop);
    detail::read_dmg(s, m_item.date_of_birth, m_item.gender, problems, loop);
    return;
  }
  if (id == "AAA") {
    if (Rejection* r = problems.push(m_item.rejections, s, "rejections")) *r = read_aaa(s, loop);
    return;
  }
  if (id == "UM" || id == "HCR" || id == "TRN" || id == "SV1" || id == "SV2")
    return misplaced(s, loop);
}

}  // namespace

ReadSummary read_278(Reader& reader, const Each<ServiceReview>& each) {
  Read278 builder(each);
  return detail::read_sets(reader, k_guide_278, builder);
}

}  // namespace x12
