// 835 health care claim payment/advice (005010X221A1): amounts in cents, balancing, the writer
// and the streaming reader.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "x12/guide.hpp"
#include "x12/remittance.hpp"
#include "x12/transactions_detail.hpp"

namespace x12 {

// X12 R values hold at most 18 digits; in cents, 16 before the point keep a value under 10^18,
// which an int64 holds with room for the sums of a check.
constexpr std::size_t k_max_whole_digits = 16;

std::optional<Cents> parse_cents(std::string_view v) {
  bool negative = false;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    negative = v[0] == '-';
    v.remove_prefix(1);
  }
  const std::size_t dot = v.find('.');
  const std::string_view whole = v.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  if (whole.size() > k_max_whole_digits || whole.size() + fraction.size() > 18) return std::nullopt;
  while (fraction.size() > 2 && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > 2) return std::nullopt;
  Cents cents = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  return negative ? -cents : cents;
}

char* format_cents_to(char* out, Cents cents) {
  // Unsigned, so the most negative value has a magnitude too.
  const std::uint64_t magnitude =
      cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  if (cents < 0) *out++ = '-';
  char digits[20];
  char* d = digits + sizeof digits;
  std::uint64_t whole = magnitude / 100;
  do {
    *--d = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole != 0);
  while (d != digits + sizeof digits) *out++ = *d++;
  const std::uint64_t rest = magnitude % 100;
  if (rest != 0) {
    *out++ = '.';
    *out++ = static_cast<char>('0' + rest / 10);
    if (rest % 10 != 0) *out++ = static_cast<char>('0' + rest % 10);
  }
  return out;
}

std::string format_cents(Cents cents) {
  char buf[k_cents_text_max];
  return std::string(buf, format_cents_to(buf, cents));
}

// ---- balancing -----------------------------------------------------------------------------

namespace {

Cents sum(const std::vector<Adjustment>& adjustments) {
  Cents total = 0;
  for (const Adjustment& a : adjustments) total += a.amount;
  return total;
}

}  // namespace

std::vector<BalanceFinding> balance(const Remittance& r) {
  std::vector<BalanceFinding> out;
  // The claim and rule become strings only for a sum that is off: every line and claim of every
  // check is summed.
  auto add = [&](const std::string& claim, std::size_t line, std::string_view rule, Cents expected,
                 Cents actual, std::size_t position) {
    if (expected == actual) return;
    out.push_back({r.trace.number, claim, line, std::string(rule), expected, actual, position});
  };
  Cents paid = 0;
  for (const RemittanceClaim& c : r.claims) {
    paid += c.paid;
    Cents line_adjustments = 0, line_paid = 0;
    for (std::size_t i = 0; i < c.lines.size(); ++i) {
      const RemittanceLine& l = c.lines[i];
      const Cents adjusted = sum(l.adjustments);
      line_adjustments += adjusted;
      line_paid += l.paid;
      add(c.patient_control_number, i + 1, "SVC03 = SVC02 - line CAS", l.charged - adjusted, l.paid,
          l.position);
    }
    const Cents claim_adjustments = sum(c.adjustments);
    add(c.patient_control_number, 0, "CLP04 = CLP03 - claim CAS - line CAS",
        c.charged - claim_adjustments - line_adjustments, c.paid, c.position);
    if (!c.lines.empty())
      add(c.patient_control_number, 0, "CLP04 = sum of SVC03 - claim CAS",
          line_paid - claim_adjustments, c.paid, c.position);
  }
  Cents provider = 0;
  for (const ProviderAdjustment& p : r.provider_adjustments) provider += p.amount;
  const Cents total = detail::is(r.credit_debit, "D") ? -r.total_paid : r.total_paid;
  add({}, 0, "BPR02 = sum of CLP04 - PLB", paid - provider, total, r.position);
  return out;
}

std::string to_string(const BalanceFinding& f) {
  std::string out = "check " + f.check;
  if (!f.claim.empty()) out += " claim " + f.claim;
  if (f.line != 0) out += " line " + std::to_string(f.line);
  out += ": expected " + format_cents(f.expected) + ", found " + format_cents(f.actual) +
         " (difference " + format_cents(f.difference()) + "); " + f.rule;
  return out;
}

// ---- writing -------------------------------------------------------------------------------

namespace {

using detail::Builder;
using detail::Emitter;
using detail::Field;
using detail::party_empty;
using detail::Problems;
using detail::SetContext;

constexpr std::size_t k_cas_triplets = 6;
constexpr std::size_t k_plb_pairs = 6;
constexpr std::size_t k_moa_remarks = 5;

// CAS segments of `adjustments`: one per run of the same group, at most 6 triplets each.
void write_cas(Emitter& out, const std::vector<Adjustment>& adjustments) {
  std::size_t i = 0;
  while (i < adjustments.size() && out.ok()) {
    const std::string& group = adjustments[i].group;
    std::vector<std::string> amounts;
    std::size_t end = i;
    while (end < adjustments.size() && end - i < k_cas_triplets && adjustments[end].group == group)
      amounts.push_back(format_cents(adjustments[end++].amount));
    std::vector<std::string_view> f(19);
    f[0] = group;
    for (std::size_t k = i; k < end; ++k) {
      f[1 + 3 * (k - i)] = adjustments[k].reason;
      f[2 + 3 * (k - i)] = amounts[k - i];
      f[3 + 3 * (k - i)] = adjustments[k].quantity;
    }
    out.segment("CAS", {f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11],
                        f[12], f[13], f[14], f[15], f[16], f[17], f[18]});
    i = end;
  }
}

void write_dates(Emitter& out, const std::vector<DatePeriod>& dates) {
  for (const DatePeriod& d : dates) {
    if (!out.ok()) return;
    out.segment("DTM", {d.qualifier, out.d8(d.from, "DTM", 2)});
  }
}

void write_line(Emitter& out, const RemittanceLine& l) {
  if (l.modifiers.size() > 4) {
    out.fail(ErrorCode::too_many_elements, "SVC", 1,
             "a procedure has at most 4 modifiers (SVC01-3..6), not " +
                 std::to_string(l.modifiers.size()));
    return;
  }
  if (!out.require(l.procedure, "SVC", 1, "SVC01-2, the procedure code")) return;
  const std::string_view qualifier = l.procedure_qualifier.empty()
                                         ? std::string_view("HC")
                                         : std::string_view(l.procedure_qualifier);
  std::vector<std::string_view> procedure{qualifier, l.procedure};
  procedure.insert(procedure.end(), l.modifiers.begin(), l.modifiers.end());
  out.segment("SVC", {Field::composite(procedure), format_cents(l.charged), format_cents(l.paid),
                      l.revenue_code, l.units});
  write_dates(out, l.dates);
  write_cas(out, l.adjustments);
  if (!l.control_number.empty()) out.segment("REF", {"6R", l.control_number});
  if (l.allowed) out.segment("AMT", {"B6", format_cents(*l.allowed)});
  for (const std::string& remark : l.remarks) out.segment("LQ", {"HE", remark});
}

void write_claim(Emitter& out, const RemittanceClaim& c) {
  out.loop("2100");
  out.segment("CLP",
              {c.patient_control_number, c.status, format_cents(c.charged), format_cents(c.paid),
               c.patient_responsibility != 0 ? format_cents(c.patient_responsibility) : "",
               c.filing_indicator, c.payer_claim_control_number, c.facility_code, c.frequency});
  write_cas(out, c.adjustments);
  Party patient = c.patient;
  patient.entity_type = '1';  // the guide's only type for a patient
  detail::write_nm1(out, patient, "QC", "MI");
  if (!party_empty(c.subscriber)) detail::write_nm1(out, c.subscriber, "IL", "MI");
  if (c.remarks.size() > k_moa_remarks) {
    out.fail(
        ErrorCode::too_many_elements, "MOA", 7,
        "MOA holds at most 5 remark codes (MOA03..07), not " + std::to_string(c.remarks.size()));
    return;
  }
  if (!c.remarks.empty()) {
    std::vector<std::string_view> r(5);
    for (std::size_t i = 0; i < c.remarks.size(); ++i) r[i] = c.remarks[i];
    out.segment("MOA", {"", "", r[0], r[1], r[2], r[3], r[4]});
  }
  write_dates(out, c.dates);
  for (const RemittanceLine& l : c.lines) {
    if (!out.ok()) return;
    out.loop("2110");
    write_line(out, l);
  }
}

void write_plb(Emitter& out, const std::vector<ProviderAdjustment>& items) {
  std::size_t i = 0;
  while (i < items.size() && out.ok()) {
    const ProviderAdjustment& first = items[i];
    std::size_t end = i;
    std::vector<std::string> amounts;
    std::vector<std::array<std::string_view, 2>> reasons;
    while (end < items.size() && end - i < k_plb_pairs && items[end].provider == first.provider &&
           items[end].fiscal_date == first.fiscal_date) {
      amounts.push_back(format_cents(items[end].amount));
      reasons.push_back({items[end].reason, items[end].reference});
      ++end;
    }
    std::vector<Field> f(12);
    for (std::size_t k = 0; k < reasons.size(); ++k) {
      f[2 * k] = Field::composite(reasons[k]);
      f[2 * k + 1] = amounts[k];
    }
    const std::string date = out.d8(first.fiscal_date, "PLB", 2);
    out.segment("PLB", {first.provider, date, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8],
                        f[9], f[10], f[11]});
    i = end;
  }
}

void write_address(Emitter& out, const Address& a) {
  out.segment("N3", {a.street, a.street2});
  out.segment("N4", {a.city, a.state, a.postal});
}

}  // namespace

void write_835(Writer& writer, std::uint32_t st02, const Remittance& r) {
  Emitter out(writer, k_guide_835);
  out.begin(st02);
  out.segment(
      "BPR",
      {r.handling, format_cents(r.total_paid), r.credit_debit, r.payment_method, r.payment_format,
       r.sender_dfi_qualifier, r.sender_dfi, r.sender_account_qualifier, r.sender_account,
       r.originator_id, r.originator_supplement, r.receiver_dfi_qualifier, r.receiver_dfi,
       r.receiver_account_qualifier, r.receiver_account, out.d8(r.payment_date, "BPR", 16)});
  if (out.require(r.trace.number, "TRN", 2, "the check or EFT trace number"))
    detail::write_trn(out, r.trace, "1");
  if (!r.production_date.empty()) out.segment("DTM", {"405", out.d8(r.production_date, "DTM", 2)});
  out.loop("1000A");
  out.segment("N1", {"PR", r.payer.last_or_org, r.payer.id.empty() ? "" : r.payer.id_qualifier,
                     r.payer.id});
  if (out.require(r.payer_address.street, "N3", 1, "the payer's address"))
    write_address(out, r.payer_address);
  out.loop("1000B");
  out.segment("N1", {"PE", r.payee.last_or_org, detail::or_default(r.payee.id_qualifier, "XX"),
                     r.payee.id});
  if (!r.payee_address.street.empty()) write_address(out, r.payee_address);
  if (!r.payee_tax_id.empty()) out.segment("REF", {"TJ", r.payee_tax_id});
  if (!r.claims.empty()) {
    out.loop("2000");
    out.segment("LX", {"1"});
    for (const RemittanceClaim& c : r.claims) {
      if (!out.ok()) break;
      write_claim(out, c);
    }
  }
  out.loop("ST");
  write_plb(out, r.provider_adjustments);
  out.end();
}

// ---- reading -------------------------------------------------------------------------------

namespace {

using detail::assign;
using detail::is;

// The reader keeps one Remittance and refills it check after check: its strings and lists (and
// those of its claims and lines) keep their memory, so an inbox of checks of the same shape is
// read without allocating. Every field is emptied or assigned for each check, claim and line, so
// nothing of one check shows in the next.
class Read835 final : public Builder {
 public:
  explicit Read835(const Each<Remittance>& each) : m_each(each) {}
  void begin(const SetContext& set) override {
    m_set = &set;
    clear_item();
    m_item.handling.clear();
    m_item.credit_debit.clear();
    m_item.position = set.st.position();
    m_where = Where::header;
    m_skip_claim = m_skip_line = false;
    set.problems->new_item();
  }
  void on(const Segment& s) override;
  void end(bool complete) override {
    close_claim();
    m_item.claims.resize(m_claims);
    if (complete && !m_stopped && !m_each(std::move(m_item), m_set->st)) m_stopped = true;
  }

 private:
  enum class Where : std::uint8_t { header, payer, payee, claim, line };
  std::string_view loop_name() const {
    switch (m_where) {
      case Where::header:
        return "ST";
      case Where::payer:
        return "1000A";
      case Where::payee:
        return "1000B";
      case Where::claim:
        return "2100";
      default:
        return "2110";
    }
  }
  // m_item emptied but for the memory of its strings and lists (the claims kept for
  // next_claim()). Moving a default value in keeps a string's memory: an empty string is
  // copied into the buffer the string has.
  void clear_item() {
    std::vector<RemittanceClaim> claims = std::move(m_item.claims);
    std::vector<ProviderAdjustment> plb = std::move(m_item.provider_adjustments);
    m_item = Remittance{};
    plb.clear();
    m_item.claims = std::move(claims);
    m_item.provider_adjustments = std::move(plb);
    m_claims = m_lines = 0;
    m_claim = nullptr;
  }
  // A new claim of the check: one kept from a check before, emptied, or a new one; nullptr over
  // the cap. Its lines are kept for next_line().
  RemittanceClaim* next_claim(const Segment& s) {
    if (m_claims < m_item.claims.size()) {
      RemittanceClaim& c = m_item.claims[m_claims++];
      std::vector<Adjustment> adjustments = std::move(c.adjustments);
      std::vector<DatePeriod> dates = std::move(c.dates);
      std::vector<std::string> remarks = std::move(c.remarks);
      std::vector<RemittanceLine> lines = std::move(c.lines);
      c = RemittanceClaim{};
      adjustments.clear();
      dates.clear();
      remarks.clear();
      c.adjustments = std::move(adjustments);
      c.dates = std::move(dates);
      c.remarks = std::move(remarks);
      c.lines = std::move(lines);
      return &c;
    }
    RemittanceClaim* c = m_set->problems->push(m_item.claims, s, "claims");
    if (c != nullptr) ++m_claims;
    return c;
  }
  // A new service line of claim `c`, as next_claim() does.
  RemittanceLine* next_line(RemittanceClaim& c, const Segment& s) {
    if (m_lines < c.lines.size()) {
      RemittanceLine& l = c.lines[m_lines++];
      std::vector<std::string> modifiers = std::move(l.modifiers);
      std::vector<DatePeriod> dates = std::move(l.dates);
      std::vector<Adjustment> adjustments = std::move(l.adjustments);
      std::vector<std::string> remarks = std::move(l.remarks);
      l = RemittanceLine{};
      modifiers.clear();
      dates.clear();
      adjustments.clear();
      remarks.clear();
      l.modifiers = std::move(modifiers);
      l.dates = std::move(dates);
      l.adjustments = std::move(adjustments);
      l.remarks = std::move(remarks);
      return &l;
    }
    RemittanceLine* l = m_set->problems->push(c.lines, s, "service lines");
    if (l != nullptr) ++m_lines;
    return l;
  }
  // The claim being read ends: the lines kept beyond its own go.
  void close_claim() {
    if (m_claim != nullptr) m_claim->lines.resize(m_lines);
    m_claim = nullptr;
    m_lines = 0;
  }
  void misplaced(const Segment& s, std::string_view why = {}) {
    m_set->problems->add(s, ErrorCode::unexpected_segment, loop_name(), 0,
                         "segment " + std::string(s.id().substr(0, 3)) + " is out of place" +
                             (why.empty() ? std::string() : ": " + std::string(why)) + "; skipped");
  }
  // The cents of element `i`, or 0 with a problem when it is not a decimal amount.
  Cents amount(const Segment& s, std::size_t i, bool required = true) {
    const std::string_view v = s.element(i);
    if (v.empty() && !required) return 0;
    if (auto c = parse_cents(v)) return *c;
    m_set->problems->add(s, ErrorCode::invalid_content, loop_name(), static_cast<int>(i),
                         std::string(s.id().substr(0, 3)) + (i < 10 ? "0" : "") +
                             std::to_string(i) +
                             (v.empty() ? " (an amount) is missing"
                                        : " is not a decimal amount of at most 2 decimals") +
                             "; read as 0",
                         v);
    return 0;
  }
  RemittanceClaim* claim() { return m_skip_claim ? nullptr : m_claim; }
  RemittanceLine* line() {
    RemittanceClaim* c = claim();
    return m_where != Where::line || m_skip_line || c == nullptr || m_lines == 0
               ? nullptr
               : &c->lines[m_lines - 1];
  }
  void read_cas(const Segment& s, std::vector<Adjustment>& list);
  void read_plb(const Segment& s);
  void read_dtm(const Segment& s, std::vector<DatePeriod>& list);
  void read_clp(const Segment& s);
  void read_svc(const Segment& s);

  const Each<Remittance>& m_each;
  const SetContext* m_set = nullptr;
  Remittance m_item;
  std::size_t m_claims = 0;            // the claims of m_item read so far
  RemittanceClaim* m_claim = nullptr;  // the claim being read (nullptr over the cap)
  std::size_t m_lines = 0;             // its lines read so far
  std::string m_date;                  // a date read, before it goes where it belongs
  Where m_where = Where::header;
  bool m_skip_claim = false;
  bool m_skip_line = false;
};

void Read835::read_cas(const Segment& s, std::vector<Adjustment>& list) {
  Problems& problems = *m_set->problems;
  if (s.size() > 1 + 3 * k_cas_triplets) {
    problems.add(s, ErrorCode::too_many_elements, loop_name(), static_cast<int>(s.size()),
                 "CAS has " + std::to_string(s.size()) +
                     " elements; it holds at most 6 adjustments (19 elements); the rest are "
                     "skipped");
  }
  const std::string_view group = s.element(1);
  if (group.empty())
    problems.add(s, ErrorCode::element_missing, loop_name(), 1,
                 "CAS01, the adjustment group, is missing");
  for (std::size_t k = 0; k < k_cas_triplets; ++k) {
    const std::size_t at = 2 + 3 * k;
    const std::string_view reason = s.element(at);
    if (reason.empty()) {
      if (!s.element(at + 1).empty())
        problems.add(s, ErrorCode::element_missing, loop_name(), static_cast<int>(at),
                     "CAS" + std::to_string(at) + ", the reason of an amount, is missing");
      continue;
    }
    Adjustment* a = problems.push(list, s, "adjustments");
    if (a == nullptr) return;
    assign(a->group, group);
    assign(a->reason, reason);
    a->amount = amount(s, at + 1);
    assign(a->quantity, s.element(at + 2));
  }
}

void Read835::read_plb(const Segment& s) {
  Problems& problems = *m_set->problems;
  if (s.size() > 2 + 2 * k_plb_pairs)
    problems.add(s, ErrorCode::too_many_elements, loop_name(), static_cast<int>(s.size()),
                 "PLB has " + std::to_string(s.size()) +
                     " elements; it holds at most 6 adjustments (14 elements); the rest are "
                     "skipped");
  detail::assign_d8(m_date, s.element(2));
  if (m_date.empty())
    problems.add(s, ErrorCode::invalid_date, loop_name(), 2, "PLB02 is not a CCYYMMDD date",
                 s.element(2));
  for (std::size_t k = 0; k < k_plb_pairs; ++k) {
    const std::size_t at = 3 + 2 * k;
    if (s.element(at).empty()) {
      if (!s.element(at + 1).empty())
        problems.add(s, ErrorCode::element_missing, loop_name(), static_cast<int>(at),
                     "PLB" + std::string(at < 10 ? "0" : "") + std::to_string(at) +
                         ", the reason of an amount, is missing");
      continue;
    }
    ProviderAdjustment* p = problems.push(m_item.provider_adjustments, s, "provider adjustments");
    if (p == nullptr) return;
    assign(p->provider, s.element(1));
    assign(p->fiscal_date, m_date);
    std::string_view parts[2];
    detail::split_parts(s.element(at), s.delimiters().component, parts, 2);
    assign(p->reason, parts[0]);
    assign(p->reference, parts[1]);
    p->amount = amount(s, at + 1);
  }
}

void Read835::read_dtm(const Segment& s, std::vector<DatePeriod>& list) {
  detail::assign_d8(m_date, s.element(2));
  if (m_date.empty()) {
    m_set->problems->add(s, ErrorCode::invalid_date, loop_name(), 2,
                         "DTM02 is not a CCYYMMDD date; skipped", s.element(2));
    return;
  }
  if (DatePeriod* d = m_set->problems->push(list, s, "dates")) {
    assign(d->qualifier, s.element(1));
    assign(d->from, m_date);
  }
}

void Read835::read_clp(const Segment& s) {
  if (m_where == Where::header || m_where == Where::payer)
    return misplaced(s, "a claim before the payee (N1*PE)");
  close_claim();
  m_set->problems->new_item();
  RemittanceClaim* c = next_claim(s);
  m_where = Where::claim;
  m_skip_claim = c == nullptr;
  m_skip_line = false;
  m_claim = c;
  if (c == nullptr) return;
  c->position = s.position();
  assign(c->patient_control_number, s.element(1));
  assign(c->status, s.element(2));
  c->charged = amount(s, 3);
  c->paid = amount(s, 4);
  c->patient_responsibility = amount(s, 5, false);
  assign(c->filing_indicator, s.element(6));
  assign(c->payer_claim_control_number, s.element(7));
  assign(c->facility_code, s.component(8, 1));
  assign(c->frequency, s.element(9));
}

void Read835::read_svc(const Segment& s) {
  if (m_where != Where::claim && m_where != Where::line)
    return misplaced(s, "a service line outside a claim");
  m_where = Where::line;
  RemittanceClaim* c = claim();
  if (c == nullptr) return;
  RemittanceLine* l = next_line(*c, s);
  m_skip_line = l == nullptr;
  if (l == nullptr) return;
  l->position = s.position();
  // SVC01: qualifier, procedure and the modifiers up to the last one given (detail::read_svc's
  // reading, into the kept line).
  std::string_view parts[6];
  detail::split_parts(s.element(1), s.delimiters().component, parts, 6);
  assign(l->procedure_qualifier, parts[0]);
  assign(l->procedure, parts[1]);
  std::size_t used = 0;
  for (std::size_t k = 3; k <= 6; ++k)
    if (!parts[k - 1].empty()) used = k - 2;
  for (std::size_t k = 3; k < 3 + used; ++k) l->modifiers.emplace_back(parts[k - 1]);
  l->charged = amount(s, 2);
  l->paid = amount(s, 3);
  assign(l->revenue_code, s.element(4));
  assign(l->units, s.element(5));
}

void Read835::on(const Segment& s) {
  const std::string_view id = s.id();
  Problems& problems = *m_set->problems;
  // The segments of claims and lines first: they are nearly all of a check.
  const bool in_claim = m_where == Where::claim || m_where == Where::line;
  if (is(id, "CAS")) {
    if (!in_claim) return misplaced(s, "an adjustment outside a claim");
    if (RemittanceLine* l = line()) return read_cas(s, l->adjustments);
    if (m_where == Where::claim)
      if (RemittanceClaim* c = claim()) read_cas(s, c->adjustments);
    return;
  }
  if (is(id, "DTM")) {
    if (m_where == Where::header) {
      if (is(s.element(1), "405")) detail::assign_d8(m_item.production_date, s.element(2));
      return;
    }
    if (!in_claim) return misplaced(s);
    if (RemittanceLine* l = line()) return read_dtm(s, l->dates);
    if (m_where == Where::claim)
      if (RemittanceClaim* c = claim()) read_dtm(s, c->dates);
    return;
  }
  if (is(id, "SVC")) return read_svc(s);
  if (is(id, "CLP")) return read_clp(s);
  if (is(id, "AMT")) {
    if (RemittanceLine* l = line(); l != nullptr && is(s.element(1), "B6"))
      l->allowed = amount(s, 2);
    return;
  }
  if (is(id, "NM1")) {
    if (m_where != Where::claim) return misplaced(s, "a claim's party outside its claim");
    RemittanceClaim* c = claim();
    if (c == nullptr) return;
    const std::string_view code = s.element(1);
    if (is(code, "QC"))
      detail::read_party(s, c->patient);
    else if (is(code, "IL"))
      detail::read_party(s, c->subscriber);
    return;
  }
  if (is(id, "LQ")) {
    if (m_where != Where::line) return misplaced(s, "a remark outside a service line");
    if (RemittanceLine* l = line())
      if (std::string* slot = problems.push(l->remarks, s, "remarks")) assign(*slot, s.element(2));
    return;
  }
  if (is(id, "REF")) {
    if (m_where == Where::payee && is(s.element(1), "TJ")) {
      assign(m_item.payee_tax_id, s.element(2));
    } else if (RemittanceLine* l = line(); l != nullptr && is(s.element(1), "6R")) {
      assign(l->control_number, s.element(2));
    }
    return;
  }
  const bool moa = is(id, "MOA");
  if (moa || is(id, "MIA")) {
    if (m_where != Where::claim) return misplaced(s);
    RemittanceClaim* c = claim();
    if (c == nullptr) return;
    auto remark = [&](std::size_t i) {
      if (!s.element(i).empty())
        if (std::string* slot = problems.push(c->remarks, s, "remarks"))
          assign(*slot, s.element(i));
    };
    if (moa) {
      for (std::size_t i = 3; i <= 7; ++i) remark(i);
    } else {
      remark(5);
      for (std::size_t i = 20; i <= 24; ++i) remark(i);
    }
    return;
  }
  if (is(id, "BPR")) {
    if (m_where != Where::header || !m_item.handling.empty()) return misplaced(s);
    m_item.position = s.position();
    assign(m_item.handling, s.element(1));
    m_item.total_paid = amount(s, 2);
    assign(m_item.credit_debit, s.element(3));
    assign(m_item.payment_method, s.element(4));
    assign(m_item.payment_format, s.element(5));
    assign(m_item.sender_dfi_qualifier, s.element(6));
    assign(m_item.sender_dfi, s.element(7));
    assign(m_item.sender_account_qualifier, s.element(8));
    assign(m_item.sender_account, s.element(9));
    assign(m_item.originator_id, s.element(10));
    assign(m_item.originator_supplement, s.element(11));
    assign(m_item.receiver_dfi_qualifier, s.element(12));
    assign(m_item.receiver_dfi, s.element(13));
    assign(m_item.receiver_account_qualifier, s.element(14));
    assign(m_item.receiver_account, s.element(15));
    detail::assign_d8(m_item.payment_date, s.element(16));
    if (m_item.payment_date.empty())
      problems.add(s, ErrorCode::invalid_date, "ST", 16, "BPR16 is not a CCYYMMDD date",
                   s.element(16));
    return;
  }
  if (is(id, "TRN")) {
    if (m_where != Where::header) return misplaced(s);
    detail::read_trace(s, m_item.trace);
    return;
  }
  if (is(id, "N1")) {
    const std::string_view code = s.element(1);
    Party* party = nullptr;
    if (is(code, "PR") && m_where == Where::header) {
      m_where = Where::payer;
      party = &m_item.payer;
    } else if (is(code, "PE") && (m_where == Where::header || m_where == Where::payer)) {
      m_where = Where::payee;
      party = &m_item.payee;
    } else {
      return misplaced(s);
    }
    assign(party->entity_code, code);
    party->entity_type = '2';
    assign(party->last_or_org, s.element(2));
    assign(party->id_qualifier, s.element(3));
    assign(party->id, s.element(4));
    return;
  }
  const bool n3 = is(id, "N3");
  if (n3 || is(id, "N4")) {
    Address* a = m_where == Where::payer   ? &m_item.payer_address
                 : m_where == Where::payee ? &m_item.payee_address
                                           : nullptr;
    if (a == nullptr) return misplaced(s);
    if (n3) {
      assign(a->street, s.element(1));
      assign(a->street2, s.element(2));
    } else {
      assign(a->city, s.element(1));
      assign(a->state, s.element(2));
      assign(a->postal, s.element(3));
    }
    return;
  }
  if (is(id, "LX")) {
    if (m_where == Where::header) return misplaced(s, "a header number before the payee");
    return;
  }
  if (is(id, "PLB")) {
    if (m_where == Where::header || m_where == Where::payer)
      return misplaced(s, "a provider adjustment before the payee (N1*PE)");
    close_claim();
    m_where = Where::payee;  // after the claims: nothing of a claim follows
    m_skip_claim = true;
    return read_plb(s);
  }
}

}  // namespace

ReadSummary read_835(Reader& reader, const Each<Remittance>& each) {
  Read835 builder(each);
  return detail::read_sets(reader, k_guide_835, builder);
}

}  // namespace x12
