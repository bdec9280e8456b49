#include "sandbox/remittances.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <tuple>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/eligibility.hpp"
#include "sandbox/page_token.hpp"
#include "x12/reader.hpp"
#include "x12/remittance_records.hpp"
#include "x12/writer.hpp"

namespace portal::sandbox {

namespace json = boost::json;
using x12::Cents;

namespace {

// Patient responsibility by reason: a flat co-payment and deductible, coinsurance as a share of
// what the payer paid (25% of the paid amount is 20% of the allowed).
constexpr Cents k_copay = 2500, k_deductible = 5000;
// Prompt-pay interest: a claim paid more than this many days after its receipt earns interest
// at 9% a year on the paid amount for the days beyond.
constexpr int k_prompt_pay_days = 14;
constexpr Cents k_interest_percent_per_year = 9;

// A stable 1..999999999 for a control number (ISA13, GS06): FNV-1a of `text`.
std::uint32_t control_of(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return static_cast<std::uint32_t>(h % 999999999ull) + 1;
}

// "1" and nine digits: the payer's TRN03 (1 + an EIN), stable for a payer ID.
std::string originator_of(std::string_view payer_id) {
  std::string digits = std::to_string(100000000 + control_of(payer_id) % 900000000);
  return "1" + digits;
}

std::string digits_of(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

// CLP06 of a plan type: the claim filing indicator.
std::string filing_indicator(std::string_view plan_type) {
  if (plan_type == "commercial") return "12";
  if (plan_type == "medicare-advantage") return "16";
  if (plan_type == "medicaid") return "MC";
  if (plan_type == "hmo") return "HM";
  return "15";
}

bool has_reason(const ClaimEvent& e, std::string_view code) {
  return std::find(e.reasons.begin(), e.reasons.end(), code) != e.reasons.end();
}

// The CLP of `claim` as paid by `event` (an F1 or F3 event with a paid amount).
x12::RemittanceClaim paid_claim(const Claim& claim, const ClaimEvent& event, const Roster& roster,
                                const ClaimCalendar& calendar) {
  const Cents billed = claim.billed_cents();
  const Cents paid = *event.paid_cents;
  // Patient responsibility, reason by reason, never more than the charge leaves.
  std::vector<std::pair<std::string, Cents>> owed;
  Cents owed_total = 0;
  for (const auto& reason : event.reasons) {
    Cents want = reason == "3"   ? k_copay
                 : reason == "1" ? k_deductible
                 : reason == "2" ? (paid + 2) / 4
                                 : 0;
    Cents amount = std::min(want, billed - paid - owed_total);
    if (amount <= 0) continue;
    owed.emplace_back(reason, amount);
    owed_total += amount;
  }
  const Cents allowed = paid + owed_total;

  x12::RemittanceClaim c;
  c.patient_control_number = claim.claim_number;
  c.status = "1";
  c.charged = billed;
  c.paid = paid;
  c.patient_responsibility = owed_total;
  c.payer_claim_control_number = claim.claim_number;
  const Member* member = member_anywhere(roster, claim.member_id);
  const HealthPlan* plan = member ? roster.plan(member->plan) : nullptr;
  c.filing_indicator = filing_indicator(plan ? plan->type : "");
  c.patient = {"QC",
               '1',
               member ? ascii_name(member->last_name) : "",
               member ? ascii_name(member->first_name) : "",
               "",
               "MI",
               claim.member_id};
  c.dates = {{"232", format_date(calendar.date(claim.service_from_day)), ""},
             {"233", format_date(calendar.date(claim.service_to_day)), ""}};

  // Each line is allowed its charge's share of the allowed amount (cumulative rounding keeps
  // every share within its charge and the shares summing to the whole).
  std::vector<Cents> line_allowed;
  Cents cumulative = 0, given = 0;
  for (const auto& l : claim.lines) {
    cumulative += l.billed_cents;
    const Cents upto = allowed * cumulative / billed;
    line_allowed.push_back(upto - given);
    given = upto;
  }
  std::vector<std::vector<x12::Adjustment>> line_owed(claim.lines.size());
  std::vector<Cents> line_owed_total(claim.lines.size(), 0);
  for (const auto& [reason, amount] : owed) {
    Cents left = amount;
    for (std::size_t i = 0; i < claim.lines.size() && left > 0; ++i) {
      const Cents take = std::min(left, line_allowed[i] - line_owed_total[i]);
      if (take <= 0) continue;
      line_owed[i].push_back({"PR", reason, take, ""});
      line_owed_total[i] += take;
      left -= take;
    }
  }
  const bool bundled = has_reason(event, "97");
  const std::string service_date = format_date(calendar.date(claim.service_from_day));
  for (std::size_t i = 0; i < claim.lines.size(); ++i) {
    const ClaimLine& source = claim.lines[i];
    x12::RemittanceLine l;
    l.procedure_qualifier = "HC";
    l.procedure = source.procedure_code;
    l.charged = source.billed_cents;
    l.paid = line_allowed[i] - line_owed_total[i];
    l.units = std::to_string(source.units);
    l.dates = {{"472", service_date, ""}};
    l.allowed = line_allowed[i];
    const bool last = i + 1 == claim.lines.size();
    if (const Cents contractual = source.billed_cents - line_allowed[i]; contractual > 0) {
      l.adjustments.push_back({"CO", bundled && last ? "97" : "45", contractual, ""});
      if (bundled && last) l.remarks.push_back("M15");
    }
    l.adjustments.insert(l.adjustments.end(), line_owed[i].begin(), line_owed[i].end());
    l.control_number = claim.claim_number + "-" + std::to_string(i + 1);
    c.lines.push_back(std::move(l));
  }
  return c;
}

// The reversal of a claim's earlier payment: CLP02 22, every amount negated.
x12::RemittanceClaim reversal_of(x12::RemittanceClaim c) {
  c.status = "22";
  c.charged = -c.charged;
  c.paid = -c.paid;
  c.patient_responsibility = -c.patient_responsibility;
  for (auto& a : c.adjustments) a.amount = -a.amount;
  for (auto& l : c.lines) {
    l.charged = -l.charged;
    l.paid = -l.paid;
    if (l.allowed) l.allowed = -*l.allowed;
    for (auto& a : l.adjustments) a.amount = -a.amount;
  }
  return c;
}

// One payment of a claim: which event pays it, on which day, on which check.
struct Payment {
  const Claim* claim = nullptr;
  std::size_t event = 0;
  int day = 0;
};

// A check's key: payee, payer, day, check number.
using CheckKey = std::tuple<int, std::string, std::string, std::string>;  // day first: the order

std::string payer_of(const Claim& claim, const Roster& roster, std::string* name) {
  const Member* member = member_anywhere(roster, claim.member_id);
  const HealthPlan* plan = member ? roster.plan(member->plan) : nullptr;
  if (name) *name = plan ? ascii_name(plan->name) : "HEALTH PLAN";
  if (plan && !plan->payer_id.empty()) return plan->payer_id;
  return plan ? plan->id : "PAYER";
}

}  // namespace

std::vector<IssuedRemittance> issue_remittances(const ClaimCatalog& catalog, const Roster& roster,
                                                const std::map<std::string, Payee>& payees,
                                                const ClaimCalendar& calendar, SysTime until) {
  // The payments, grouped into checks: (day, payee, payer, check number).
  std::map<CheckKey, std::vector<Payment>> checks;
  for (const Claim& claim : catalog.claims()) {
    if (!payees.count(claim.organization_id)) continue;
    const std::string payer = payer_of(claim, roster, nullptr);
    for (std::size_t i = 0; i < claim.timeline.size(); ++i) {
      const ClaimEvent& e = claim.timeline[i];
      if (!e.paid_cents) continue;
      const int day = claim.received_day + e.day;
      checks[{day, claim.organization_id, payer, e.check_number}].push_back({&claim, i, day});
    }
  }
  std::vector<IssuedRemittance> out;
  // Balances carried forward (PLB FB) by payee and payer, recovered from the next check (WO).
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, Cents>>> owed;
  for (const auto& [key, payments] : checks) {
    const auto& [day, organization_id, payer_id, check_number] = key;
    const Payee& payee = payees.at(organization_id);
    const std::string date = format_date(calendar.date(day));
    const std::string fiscal = format_date(std::chrono::year_month_day{
        calendar.date(day).year(), std::chrono::December, std::chrono::day{31}});
    x12::Remittance r;
    r.trace = {"1", check_number, originator_of(payer_id), ""};
    r.payment_date = date;
    r.production_date = date;
    std::string payer_name;
    payer_of(*payments.front().claim, roster, &payer_name);
    r.payer = {"PR", '2', payer_name, "", "", "XV", payer_id};
    r.payer_address = {"PO BOX 4000", "", "CHICAGO", "IL", "60601"};
    r.payee = {"PE", '2', ascii_name(payee.name), "", "", "XX", payee.npi};
    r.payee_tax_id = digits_of(payee.tax_id);
    Cents claims_paid = 0;
    for (const Payment& p : payments) {
      const ClaimEvent& event = p.claim->timeline[p.event];
      // A revision after a payment: the earlier payment is reversed first.
      for (std::size_t k = p.event; event.category == "F3" && k-- > 0;) {
        const ClaimEvent& earlier = p.claim->timeline[k];
        if (!earlier.paid_cents) continue;
        r.claims.push_back(reversal_of(paid_claim(*p.claim, earlier, roster, calendar)));
        claims_paid += r.claims.back().paid;
        break;
      }
      r.claims.push_back(paid_claim(*p.claim, event, roster, calendar));
      claims_paid += r.claims.back().paid;
      if (const int late = p.claim->timeline[p.event].day - k_prompt_pay_days;
          late > 0 && event.category == "F1") {
        const Cents interest = std::max<Cents>(
            1, (*event.paid_cents * late * k_interest_percent_per_year + 18250) / 36500);
        r.provider_adjustments.push_back(
            {payee.npi, fiscal, "L6", p.claim->claim_number, -interest});
      }
    }
    Cents total = claims_paid;
    for (const auto& a : r.provider_adjustments) total -= a.amount;
    auto& carried = owed[{organization_id, payer_id}];
    if (total < 0) {
      // Nothing to pay: the balance goes forward and a later check recovers it.
      r.provider_adjustments.push_back(
          {payee.npi, fiscal, "FB", r.claims.front().payer_claim_control_number, total});
      carried.emplace_back(r.claims.front().payer_claim_control_number, -total);
      total = 0;
    } else {
      for (auto it = carried.begin(); it != carried.end();) {
        if (it->second >= total) {
          ++it;
          continue;
        }
        r.provider_adjustments.push_back({payee.npi, fiscal, "WO", it->first, it->second});
        total -= it->second;
        it = carried.erase(it);
      }
    }
    r.total_paid = total;
    const bool eft = check_number.starts_with("EFT");
    if (total == 0) {
      r.handling = "H";
      r.payment_method = "NON";
    } else if (eft) {
      r.handling = "C";
      r.payment_method = "ACH";
      r.payment_format = "CCP";
      r.sender_dfi_qualifier = "01";
      r.sender_dfi = "071000013";
      r.sender_account_qualifier = "DA";
      r.sender_account = "40000" + std::to_string(control_of(payer_id) % 10000);
      r.originator_id = r.trace.originator;
      r.receiver_dfi_qualifier = "01";
      r.receiver_dfi = "071000039";
      r.receiver_account_qualifier = "DA";
      r.receiver_account = "80000" + std::to_string(control_of(payee.npi) % 10000);
    } else {
      r.handling = "C";
      r.payment_method = "CHK";
    }
    if (const auto findings = x12::balance(r); !findings.empty())
      throw std::runtime_error("the sandbox's 835 for check " + check_number +
                               " does not balance: " + x12::to_string(findings.front()));

    if (calendar.start_of(day) > until) continue;
    x12::Writer w;
    x12::InterchangeHeader h;
    h.sender_id = payer_id;
    h.receiver_id = payee.npi;
    h.time = calendar.start_of(day);
    const std::uint32_t control = control_of(organization_id + "/" + check_number);
    w.begin_interchange(h, control);
    w.begin_group("HP", payer_id, payee.npi, "005010X221A1", control);
    x12::write_835(w, 1, r);
    w.end_group();
    w.end_interchange();
    if (!w.status())
      throw std::runtime_error("the sandbox cannot write its 835 for check " + check_number + ": " +
                               x12::to_string(w.status().error()));
    out.push_back({check_number, organization_id, payer_id, payer_name, date,
                   calendar.start_of(day), total, r.payment_method, std::move(w.out())});
  }
  return out;
}

namespace {

// The records of x12/remittance_records.hpp as JSON values: one object per record, handed to
// `done` when it ends.
class ValueSink final : public x12::RecordSink {
 public:
  explicit ValueSink(std::function<void(json::object&&)> done) : m_done(std::move(done)) {}
  void begin_record(x12::RecordKind) override { m_record = json::object{}; }
  void end_record(x12::RecordKind) override { m_done(std::move(m_record)); }
  void text(std::string_view key, std::string_view value) override { m_record.emplace(key, value); }
  void amount(std::string_view key, Cents cents) override {
    m_record.emplace(key, x12::format_cents(cents));
  }
  void no_amount(std::string_view key) override { m_record.emplace(key, nullptr); }
  void count(std::string_view key, std::size_t n) override { m_record.emplace(key, n); }
  void flag(std::string_view key, bool value) override { m_record.emplace(key, value); }
  void begin_list(std::string_view key) override {
    m_list_key = key;
    m_list = json::array{};
  }
  void code(std::string_view value) override { m_list.emplace_back(value); }
  void adjustment(std::string_view group, std::string_view reason, Cents amount) override {
    m_list.push_back(
        json::object{{"group", group}, {"carc", reason}, {"amount", x12::format_cents(amount)}});
  }
  void plb_item(const x12::ProviderAdjustment& p) override {
    m_list.push_back(json::object{{"reason", p.reason},
                                  {"reference", p.reference},
                                  {"fiscal_date", p.fiscal_date},
                                  {"amount", x12::format_cents(p.amount)}});
  }
  void end_list() override { m_record.emplace(m_list_key, std::move(m_list)); }

 private:
  std::function<void(json::object&&)> m_done;
  json::object m_record;
  std::string m_list_key;
  json::array m_list;
};

}  // namespace

json::object remittance_json(const x12::Remittance& r) {
  json::object check;
  json::array lines;
  ValueSink check_sink([&check](json::object&& record) { check = std::move(record); });
  x12::check_record(r, x12::balance(r).empty(), check_sink);
  ValueSink line_sink([&lines](json::object&& record) { lines.push_back(std::move(record)); });
  x12::service_records(r, line_sink);
  return json::object{{"check", std::move(check)}, {"lines", std::move(lines)}};
}

// ---- the room -----------------------------------------------------------------------------------

namespace {

constexpr const char* k_remittance_columns =
    "check_number, organization_id, payer_id, payer_name, payment_date, issued_at, amount_cents, "
    "payment_method, x12";

IssuedRemittance read_remittance(const Statement& st) {
  IssuedRemittance r;
  r.check_number = st.text(0);
  r.organization_id = st.text(1);
  r.payer_id = st.text(2);
  r.payer_name = st.text(3);
  r.payment_date = st.text(4);
  r.issued_at = SysTime{std::chrono::seconds{st.integer(5)}};
  r.amount_cents = st.integer(6);
  r.payment_method = st.text(7);
  r.x12 = st.text(8);
  return r;
}

// "123.45" (BPR02 is never negative).
std::string dollars(std::int64_t cents) { return format_amount(cents); }

json::object item_json(const IssuedRemittance& issued) {
  json::object item{{"check_number", issued.check_number},
                    {"payer", json::object{{"id", issued.payer_id}, {"name", issued.payer_name}}},
                    {"payment_date", issued.payment_date},
                    {"payment_method", issued.payment_method},
                    {"amount", dollars(issued.amount_cents)},
                    {"issued_at", format_iso8601(issued.issued_at)},
                    {"x12", issued.x12}};
  // The JSON is read back from the stored bytes, so it says exactly what the 835 says.
  x12::Reader reader = x12::Reader::from_memory(std::string_view(issued.x12));
  json::value remittance = nullptr;
  x12::read_835(reader, [&remittance](x12::Remittance&& r, const x12::Segment&) {
    remittance = remittance_json(r);
    return false;
  });
  item["remittance"] = std::move(remittance);
  return item;
}

ApiError validation_error(const std::string& field, const std::string& message) {
  return ApiError{
      400, "validation_failed", "the request is not valid: " + field + " " + message,
      json::object{{"errors", json::array{json::object{{"field", field}, {"message", message}}}}}};
}

}  // namespace

void Remittances::issue_due_locked(SysTime until) {
  m_store.db.exec(
      "CREATE TABLE IF NOT EXISTS remittances ("
      "claims_epoch TEXT NOT NULL, organization_id TEXT NOT NULL, check_number TEXT NOT NULL, "
      "payer_id TEXT NOT NULL, payer_name TEXT NOT NULL, payment_date TEXT NOT NULL, "
      "issued_at INTEGER NOT NULL, amount_cents INTEGER NOT NULL, payment_method TEXT NOT NULL, "
      "x12 TEXT NOT NULL, PRIMARY KEY (claims_epoch, organization_id, check_number))");
  const std::string epoch_text = m_store.settings_locked().claims_epoch;
  auto epoch = parse_date(epoch_text);
  if (!epoch) return;  // no claims epoch yet: no claims either
  if (epoch_text == m_issued_epoch && until <= m_issued_until) return;
  std::map<std::string, Payee> payees;
  {
    auto st = m_store.db.query("SELECT id, name, npi, COALESCE(tax_id, '') FROM organizations");
    while (st.step()) payees[st.text(0)] = {st.text(0), st.text(1), st.text(2), st.text(3)};
  }
  const ClaimCalendar calendar{std::chrono::sys_days{*epoch}};
  const auto due = issue_remittances(*m_store.claims, *m_store.roster, payees, calendar, until);
  Transaction tx(m_store.db);
  for (const auto& r : due) {
    // INSERT OR IGNORE: what was issued once is served as it was.
    m_store.db.run(
        "INSERT OR IGNORE INTO remittances (claims_epoch, organization_id, check_number, "
        "payer_id, payer_name, payment_date, issued_at, amount_cents, payment_method, x12) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {epoch_text, r.organization_id, r.check_number, r.payer_id, r.payer_name, r.payment_date,
         static_cast<std::int64_t>(r.issued_at.time_since_epoch().count()), r.amount_cents,
         r.payment_method, r.x12});
  }
  tx.commit();
  m_issued_epoch = epoch_text;
  m_issued_until = until;
}

std::vector<IssuedRemittance> Remittances::stored_locked(const std::string& organization_id,
                                                         std::optional<SysTime> after,
                                                         SysTime until) {
  std::vector<IssuedRemittance> out;
  auto st = m_store.db.query(
      std::string("SELECT ") + k_remittance_columns +
          " FROM remittances WHERE claims_epoch = ? AND organization_id = ? AND issued_at > ? AND "
          "issued_at <= ? ORDER BY issued_at, check_number",
      {m_store.settings_locked().claims_epoch, organization_id,
       after ? static_cast<std::int64_t>(after->time_since_epoch().count())
             : std::numeric_limits<std::int64_t>::min(),
       static_cast<std::int64_t>(until.time_since_epoch().count())});
  while (st.step()) out.push_back(read_remittance(st));
  return out;
}

std::vector<IssuedRemittance> Remittances::issued_to(const std::string& user_id, SysTime until) {
  std::lock_guard lock(m_store.mutex);
  issue_due_locked(until);
  return stored_locked(m_store.organization_of_locked(user_id), std::nullopt, until);
}

ApiResult<json::object> Remittances::feed(const std::string& user_id,
                                          const std::map<std::string, std::string>& query) {
  for (const auto& entry : query) {
    const std::string& name = entry.first;
    if (name != "changed_since" && name != "page_size" && name != "page_token")
      return tl::unexpected(validation_error(
          quotable(name),
          "is not a parameter of the remittances feed (they are: changed_since, page_size, "
          "page_token)"));
  }
  auto value = [&](const std::string& name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  std::optional<SysTime> changed_since;
  if (!value("changed_since").empty()) {
    changed_since = parse_iso8601(value("changed_since"));
    if (!changed_since)
      return tl::unexpected(validation_error("changed_since",
                                             "must be an RFC 3339 time such as "
                                             "2026-11-17T06:00:00Z"));
  }
  std::size_t page_size = k_remittances_page_size_default;
  if (std::string text = value("page_size"); !text.empty()) {
    const bool digits =
        text.size() < 6 && text.find_first_not_of("0123456789") == std::string::npos;
    page_size = digits ? std::stoul(text) : 0;
    if (page_size < 1 || page_size > k_remittances_page_size_max)
      return tl::unexpected(validation_error(
          "page_size",
          "must be a whole number from 1 to " + std::to_string(k_remittances_page_size_max)));
  }
  // The token pins the first page's as_of and carries the last (issued_at, check) answered.
  const std::string fingerprint =
      sha256_hex("remittances\nchanged_since=" + value("changed_since")).substr(0, 16);
  std::optional<SysTime> pinned;
  std::optional<std::pair<std::int64_t, std::string>> after;
  if (std::string token = value("page_token"); !token.empty()) {
    auto parts = open_page_token(m_store.admin_token_hash, token);
    auto is_number = [](const std::string& t) {
      std::size_t sign = !t.empty() && t[0] == '-' ? 1 : 0;
      return t.size() > sign && t.size() < 19 &&
             t.find_first_not_of("0123456789", sign) == std::string::npos;
    };
    if (!parts || parts->size() != 4 || (*parts)[0] != fingerprint || !is_number((*parts)[1]) ||
        !is_number((*parts)[2]))
      return tl::unexpected(
          ApiError{400,
                   "invalid_page_token",
                   "page_token is not one this feed returned; start again without it",
                   {}});
    pinned = SysTime{std::chrono::seconds{std::stoll((*parts)[1])}};
    after.emplace(std::stoll((*parts)[2]), (*parts)[3]);
  }

  std::vector<IssuedRemittance> rows;
  SysTime as_of;
  {
    std::lock_guard lock(m_store.mutex);
    as_of = pinned.value_or(m_store.now_locked());
    issue_due_locked(as_of);
    rows = stored_locked(m_store.organization_of_locked(user_id), changed_since, as_of);
  }
  if (after) {
    std::erase_if(rows, [&](const IssuedRemittance& r) {
      return std::make_pair(static_cast<std::int64_t>(r.issued_at.time_since_epoch().count()),
                            r.check_number) <= *after;
    });
  }
  json::value next = nullptr;
  if (rows.size() > page_size) {
    rows.resize(page_size);
    next = seal_page_token(m_store.admin_token_hash,
                           {fingerprint, std::to_string(as_of.time_since_epoch().count()),
                            std::to_string(rows.back().issued_at.time_since_epoch().count()),
                            rows.back().check_number});
  }
  json::array items;
  for (const auto& r : rows) items.push_back(item_json(r));
  return json::object{{"as_of", format_iso8601(as_of)},
                      {"changed_since", changed_since ? json::value(format_iso8601(*changed_since))
                                                      : json::value(nullptr)},
                      {"items", std::move(items)},
                      {"next_page_token", std::move(next)}};
}

ApiResult<json::object> Remittances::get(const std::string& user_id,
                                         std::string_view check_number) {
  std::vector<IssuedRemittance> rows;
  {
    std::lock_guard lock(m_store.mutex);
    const SysTime now = m_store.now_locked();
    issue_due_locked(now);
    rows = stored_locked(m_store.organization_of_locked(user_id), std::nullopt, now);
  }
  for (const auto& r : rows)
    if (r.check_number == check_number) return item_json(r);
  return tl::unexpected(ApiError{
      404,
      "not_found",
      "no remittance has the check number " + quotable(check_number) + " in your organisation",
      {}});
}

}  // namespace portal::sandbox
