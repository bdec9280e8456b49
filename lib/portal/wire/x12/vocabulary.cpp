#include "portal/wire/x12/vocabulary.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include <boost/json.hpp>

#include "portal/output/json_text.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"
#include "x12/codes.hpp"
#include "x12/reader.hpp"
#include "x12/writer.hpp"

namespace portal::wire::x12w {

namespace json = boost::json;

namespace detail {

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace detail

using detail::text;
using util::upper;

namespace {

std::string_view text_view(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// ASCII upper case; other bytes as they are (X12 data is ASCII; UTF-8 is folded before).
char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// `out` = `s` in upper case, reusing out's memory.
void assign_upper(std::string& out, std::string_view s) {
  out.assign(s);
  for (auto& c : out) c = ascii_upper(c);
}

// `out` = a name as X12's basic character set holds it: upper case, letters outside it dropped
// to their nearest ASCII (the payer matches names folded anyway). Reuses out's memory.
void assign_x12_name(std::string& out, std::string_view name) {
  out.clear();
  for (std::size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      if (c == '*' || c == '~' || c == ':' || c == '^' || c < 0x20) continue;
      out.push_back(ascii_upper(static_cast<char>(c)));
    } else if (c == 0xC3 && i + 1 < name.size()) {
      // Latin-1 letters in UTF-8 (À..ÿ): their base letter.
      static constexpr std::string_view k_base =
          "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTSaaaaaaaceeeeiiiidnooooo/ouuuuyty";
      unsigned char d = static_cast<unsigned char>(name[++i]);
      if (d >= 0x80 && d <= 0xBF) {
        char b = k_base[d - 0x80];
        if (std::isalpha(static_cast<unsigned char>(b))) out.push_back(ascii_upper(b));
      }
    } else {
      // Other multi-byte characters are left out.
      while (i + 1 < name.size() && (static_cast<unsigned char>(name[i + 1]) & 0xC0) == 0x80) ++i;
    }
  }
}

// `s` = `v`; a string refilled row after row mostly holds its value already (compared here
// character by character: these are short, and a call to memcmp costs more).
void put(std::string& s, std::string_view v) {
  if (s.size() == v.size()) {
    std::size_t i = 0;
    while (i < v.size() && s[i] == v[i]) ++i;
    if (i == v.size()) return;
  }
  s.assign(v);
}

// `p` = the NM1 party given, reusing p's memory.
void assign_party(x12::Party& p, std::string_view entity, char type, std::string_view last,
                  std::string_view id_qualifier, std::string_view id) {
  put(p.entity_code, entity);
  p.entity_type = type;
  put(p.last_or_org, last);
  p.first.clear();
  p.middle.clear();
  put(p.id_qualifier, id_qualifier);
  put(p.id, id);
}

// The plan types of the portal and the EB04 insurance type codes a 271 gives them.
struct PlanType {
  std::string_view type, code;
};
constexpr PlanType k_plan_types[] = {
    {"commercial", "C1"}, {"medicare-advantage", "HN"},  {"medicaid", "MC"},
    {"hmo", "HM"},        {"individual-exchange", "IP"},
};

std::string plan_type_of(std::string_view code) {
  for (const auto& t : k_plan_types)
    if (t.code == code) return std::string(t.type);
  return std::string(code);
}

// A solution name from a 271 message ("PRIOR AUTHORIZATION REQUIRED: GENETIC TESTING" →
// genetic_testing).
std::string solution_of(std::string_view message) {
  if (auto colon = message.rfind(':'); colon != std::string_view::npos)
    message = message.substr(colon + 1);
  std::string out;
  for (char c : message) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// A whole-dollar amount as a JSON number when it is one, else the decimal as given.
json::value amount(std::string_view a) {
  if (a.empty()) return nullptr;
  char* end = nullptr;
  std::string s(a);
  double v = std::strtod(s.c_str(), &end);
  if (end && *end == '\0') {
    if (v == static_cast<double>(static_cast<long long>(v))) return static_cast<long long>(v);
    return v;
  }
  return json::string(s);
}

// The text of dollars with two decimals ("185.00"), in `buf` or `a` itself; nullopt for none.
std::optional<std::string_view> money_text(std::string_view a, char (&buf)[64]) {
  if (a.empty()) return std::nullopt;
  // Digits with at most two decimals (what amounts mostly are): padded as printf would (up to
  // twelve whole digits, where a double still holds every cent).
  const std::size_t dot = a.find('.');
  const std::string_view whole = a.substr(0, dot);
  const std::string_view cents = dot == std::string_view::npos ? "" : a.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!whole.empty() && whole.size() <= 12 && (whole.size() == 1 || whole[0] != '0') &&
      cents.size() <= 2 && digits(whole) && digits(cents) &&
      (dot == std::string_view::npos || !cents.empty())) {
    std::memcpy(buf, whole.data(), whole.size());
    std::size_t n = whole.size();
    buf[n++] = '.';
    buf[n++] = cents.size() > 0 ? cents[0] : '0';
    buf[n++] = cents.size() > 1 ? cents[1] : '0';
    return std::string_view(buf, n);
  }
  const std::string s(a);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (!end || *end != '\0') return a;
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return std::string_view(buf);
}

// Dollars with two decimals ("185.00"), or null; in `storage`.
json::value money(std::string_view a, json::storage_ptr storage = {}) {
  char buf[64];
  const auto text = money_text(a, buf);
  return text ? json::value(json::string_view(*text), storage) : json::value(nullptr, storage);
}

FieldError field_error(std::string field, std::string message) {
  return FieldError{std::move(field), std::move(message)};
}

const Payer* payer_for(std::string_view plan, const Payers& payers,
                       std::vector<FieldError>& errors) {
  if (plan.empty()) {
    errors.push_back(field_error("health_plan",
                                 "is missing (the X12 inquiry names the payer: loop 2100A); add "
                                 "a health_plan column"));
    return nullptr;
  }
  const Payer* p = payers.of_plan(plan);
  if (!p) {
    const std::string name(plan);
    errors.push_back(field_error("health_plan", "no payer ID for health plan \"" + name +
                                                    "\" in the payers file " + payers.origin() +
                                                    ": add it (`" + name +
                                                    ": {payer_id: ID, name: NAME}`)"));
  }
  return p;
}

// Now in ISO 8601 (UTC, seconds), formatted once a second per thread: a file of answers asks for
// it per answer.
const std::string& now_iso() {
  thread_local std::chrono::sys_seconds last{};
  thread_local std::string text;
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  if (text.empty() || now != last) {
    last = now;
    text = format_iso8601(now);
  }
  return text;
}

std::string now_date() { return now_iso().substr(0, 10); }

std::string_view reason_title(x12::codes::List list, std::string_view code) {
  // codes::find walks its list; answers repeat a few codes, each looked up once per thread.
  thread_local std::unordered_map<std::string, std::string_view> seen;
  std::string key(1, static_cast<char>(list));
  key.append(code);
  if (auto it = seen.find(key); it != seen.end()) return it->second;
  const auto* c = x12::codes::find(list, code);
  const std::string_view title = c ? std::string_view(c->title) : std::string_view();
  if (seen.size() < 4096) seen.emplace(std::move(key), title);
  return title;
}

std::string reason_words(x12::codes::List list, std::string_view code) {
  return std::string(reason_title(list, code));
}

}  // namespace

void assign_trace(std::string& out, std::string_view key) {
  const auto md = sha256(key);
  // The first 24 hexadecimal digits (12 bytes), upper case.
  util::assign_hex(out, std::string_view(reinterpret_cast<const char*>(md.data()), 12), true);
}

std::string trace_of(std::string_view key) {
  std::string out;
  assign_trace(out, key);
  return out;
}

std::string trace_originator(std::string_view sender_id) {
  std::string id;
  for (char c : sender_id)
    if (std::isalnum(static_cast<unsigned char>(c))) id.push_back(c);
  id = upper(id).substr(0, 9);
  while (id.size() < 9) id.push_back('0');
  return "9" + id;
}

namespace {

// trace_originator of the last sender asked on this thread (a batch's rows share one).
const std::string& originator_of(std::string_view sender_id) {
  thread_local std::string sender, originator;
  if (originator.empty() || sender != sender_id) {
    sender.assign(sender_id);
    originator = trace_originator(sender_id);
  }
  return originator;
}

// The fields of a record the inquiries read, found in one pass over it.
struct Fields {
  std::string_view member_id, first_name, last_name, date_of_birth, health_plan, provider_npi,
      service_date, claim_number, service_from, service_to;
};

// Each field's member in Fields.
constexpr std::pair<std::string_view, std::string_view Fields::*> k_fields[] = {
    {"member_id", &Fields::member_id},       {"first_name", &Fields::first_name},
    {"last_name", &Fields::last_name},       {"date_of_birth", &Fields::date_of_birth},
    {"health_plan", &Fields::health_plan},   {"provider_npi", &Fields::provider_npi},
    {"service_date", &Fields::service_date}, {"claim_number", &Fields::claim_number},
    {"service_from", &Fields::service_from}, {"service_to", &Fields::service_to},
};

Fields fields_of(const json::object& record) {
  Fields f;
  for (const auto& kv : record) {
    if (!kv.value().is_string()) continue;
    for (const auto& [name, member] : k_fields) {
      if (kv.key() == name) {
        f.*member = kv.value().get_string();
        break;
      }
    }
  }
  return f;
}

// The payer of an inquiry (NM1*PR), or none.
void assign_payer(x12::Party& p, const Payer* payer) {
  if (payer) {
    assign_party(p, "PR", '2', payer->name, "PI", payer->payer_id);
  } else {
    p = {};
  }
}

// The subscriber of an inquiry (NM1*IL): the names as X12 carries them, the member ID in upper
// case.
void assign_subscriber(x12::Party& p, const Fields& f) {
  assign_party(p, "IL", '1', "", "MI", {});
  assign_x12_name(p.last_or_org, f.last_name);
  assign_x12_name(p.first, f.first_name);
  assign_upper(p.id, f.member_id);
}

}  // namespace

std::vector<FieldError> fill_eligibility_inquiry(const json::object& record, const Payers& payers,
                                                 const Parties& parties, std::string_view trace,
                                                 x12::EligibilityInquiry& q) {
  std::vector<FieldError> errors;
  const Fields f = fields_of(record);
  const Payer* payer = payer_for(f.health_plan, payers, errors);
  q.reference.assign(trace.substr(0, 30));
  assign_payer(q.payer, payer);
  assign_party(q.provider, "1P", '2', "PROVIDER", "XX", f.provider_npi);
  put(q.trace.type, "1");
  q.trace.number.assign(trace);
  put(q.trace.originator, originator_of(parties.sender_id));
  q.trace.detail.clear();
  assign_subscriber(q.subscriber, f);
  if (q.subscriber.last_or_org.empty()) {
    errors.push_back(field_error("last_name", "has no letter X12 can carry (NM103)"));
  }
  q.date_of_birth.assign(f.date_of_birth);
  if (!f.service_date.empty()) {
    q.dates.resize(1);
    put(q.dates[0].qualifier, "291");
    put(q.dates[0].from, f.service_date);
    q.dates[0].to.clear();
  } else {
    q.dates.clear();
  }
  q.service_types.resize(1);
  put(q.service_types[0], "30");
  return errors;
}

namespace {

// A new inquiry filled in by `fill`, created today.
template <typename Inquiry, typename Fill>
Checked<Inquiry> inquiry_of(Fill fill, const json::object& record, const Payers& payers,
                            const Parties& parties, std::string_view trace) {
  Inquiry q;
  auto errors = fill(record, payers, parties, trace, q);
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  q.created_date = now_date();
  return q;
}

}  // namespace

Checked<x12::EligibilityInquiry> eligibility_inquiry(const json::object& record,
                                                     const Payers& payers, const Parties& parties,
                                                     std::string_view trace) {
  return inquiry_of<x12::EligibilityInquiry>(fill_eligibility_inquiry, record, payers, parties,
                                             trace);
}

std::vector<FieldError> fill_claim_inquiry(const json::object& record, const Payers& payers,
                                           const Parties& parties, std::string_view trace,
                                           x12::ClaimInquiry& q) {
  std::vector<FieldError> errors;
  const Fields f = fields_of(record);
  // The 276 names the subscriber (NM103 and NM109 are required in 2100D), the provider (2100C)
  // and the dates of service (2200D DTP*472) whatever else the record gives.
  const Payer* payer = payer_for(f.health_plan, payers, errors);
  for (auto [field, value, seg] : {std::tuple{"member_id", f.member_id, "2100D NM109"},
                                   std::tuple{"last_name", f.last_name, "2100D NM103"},
                                   std::tuple{"provider_npi", f.provider_npi, "2100C NM109"},
                                   std::tuple{"service_from", f.service_from, "2200D DTP*472"}}) {
    if (value.empty()) {
      errors.push_back(field_error(field, std::string("is missing (the X12 276 requires it: ") +
                                              seg + "); add a " + field + " column"));
    }
  }
  q.reference.assign(trace.substr(0, 30));
  assign_payer(q.payer, payer);
  assign_party(q.receiver, "41", '2', "PROVPORTAL SUBMITTER", "46", parties.sender_id);
  assign_party(q.provider, "1P", '2', "PROVIDER", "XX", f.provider_npi);
  assign_subscriber(q.subscriber, f);
  q.date_of_birth.assign(f.date_of_birth);
  // A 276's 2200D TRN has no originator.
  put(q.trace.type, "1");
  q.trace.number.assign(trace);
  q.trace.originator.clear();
  q.trace.detail.clear();
  q.payer_claim_number.assign(f.claim_number);
  put(q.service.qualifier, "472");
  put(q.service.from, f.service_from);
  if (f.service_to.empty() || f.service_to == f.service_from) {
    q.service.to.clear();
  } else {
    q.service.to.assign(f.service_to);
  }
  return errors;
}

Checked<x12::ClaimInquiry> claim_inquiry(const json::object& record, const Payers& payers,
                                         const Parties& parties, std::string_view trace) {
  return inquiry_of<x12::ClaimInquiry>(fill_claim_inquiry, record, payers, parties, trace);
}

namespace {

// Which record field makes an element of a 270 or 276 (element 0: every element of the segment).
struct ElementField {
  Function function;
  std::string_view loop, segment;
  int element;
  std::string_view field;
};
constexpr ElementField k_element_fields[] = {
    {Function::eligibility, "2100A", "NM1", 0, "health_plan"},
    {Function::eligibility, "2100B", "NM1", 0, "provider_npi"},
    {Function::eligibility, "2100C", "NM1", 3, "last_name"},
    {Function::eligibility, "2100C", "NM1", 4, "first_name"},
    {Function::eligibility, "2100C", "NM1", 9, "member_id"},
    {Function::eligibility, "2100C", "DMG", 0, "date_of_birth"},
    {Function::eligibility, "2100C", "DTP", 0, "service_date"},
    {Function::claim_inquiry, "2100A", "NM1", 0, "health_plan"},
    {Function::claim_inquiry, "2100C", "NM1", 0, "provider_npi"},
    {Function::claim_inquiry, "2100D", "NM1", 3, "last_name"},
    {Function::claim_inquiry, "2100D", "NM1", 4, "first_name"},
    {Function::claim_inquiry, "2100D", "NM1", 9, "member_id"},
    {Function::claim_inquiry, "2000D", "DMG", 0, "date_of_birth"},
    {Function::claim_inquiry, "2200D", "REF", 0, "claim_number"},
    {Function::claim_inquiry, "2200D", "DTP", 0, "service_from"},
};

}  // namespace

FieldError field_error_of(Function f, const x12::Error& refusal) {
  std::string_view field;
  for (const auto& e : k_element_fields) {
    if (e.function == f && e.loop == refusal.loop && e.segment == refusal.segment_id &&
        (e.element == 0 || e.element == refusal.element)) {
      field = e.field;
      break;
    }
  }
  const x12::AckCode ack = x12::ack_code(refusal.code);
  std::string_view why = ack.level == x12::AckLevel::element   ? x12::ik4_reason(ack.code)
                         : ack.level == x12::AckLevel::segment ? x12::ik3_reason(ack.code)
                                                               : std::string_view();
  std::string where = refusal.segment_id;
  if (refusal.element != 0) {
    char pos[16];
    std::snprintf(pos, sizeof pos, "%02d", refusal.element);
    where += pos;
  }
  if (!refusal.loop.empty()) where += " (loop " + refusal.loop + ")";
  std::string set = f == Function::eligibility ? "270" : "276";
  return field_error(
      std::string(field),
      "the X12 " + set + " cannot carry it: " + where + ": " +
          (why.empty() ? std::string(x12::code_name(refusal.code)) : std::string(why)));
}

namespace {

template <typename Inquiry, typename Write>
Expected<std::string> interchange(std::string_view functional_id, std::string_view version,
                                  const Inquiry& inquiry, const Parties& parties,
                                  std::string_view receiver_id, const Controls& controls,
                                  std::chrono::sys_seconds time, Write write) {
  x12::Writer w;
  x12::InterchangeHeader h;
  h.sender_id = parties.sender_id;
  h.receiver_id = receiver_id;
  h.usage = parties.usage;
  h.time = time;
  w.begin_interchange(h, controls.interchange);
  w.begin_group(functional_id, parties.sender_id, receiver_id, version, controls.group);
  write(w, controls.transaction, inquiry);
  w.end_group();
  w.end_interchange();
  if (!w.status()) {
    const auto& e = w.status().error();
    return fail(ErrorKind::input, "the X12 request cannot be written: " + x12::to_string(e));
  }
  return std::move(w.out());
}

}  // namespace

Expected<std::string> interchange_270(const x12::EligibilityInquiry& inquiry,
                                      const Parties& parties, std::string_view receiver_id,
                                      const Controls& controls, std::chrono::sys_seconds time) {
  return interchange("HS", "005010X279A1", inquiry, parties, receiver_id, controls, time,
                     [](x12::Writer& w, std::uint32_t st02, const x12::EligibilityInquiry& q) {
                       x12::write_270(w, st02, q);
                     });
}

Expected<std::string> interchange_276(const x12::ClaimInquiry& inquiry, const Parties& parties,
                                      std::string_view receiver_id, const Controls& controls,
                                      std::chrono::sys_seconds time) {
  return interchange("HR", "005010X212", inquiry, parties, receiver_id, controls, time,
                     [](x12::Writer& w, std::uint32_t st02, const x12::ClaimInquiry& q) {
                       x12::write_276(w, st02, q);
                     });
}

Expected<std::string> interchange_278(const x12::ServiceReview& review, const Parties& parties,
                                      std::string_view receiver_id, const Controls& controls,
                                      std::chrono::sys_seconds time) {
  return interchange("HI", "005010X217", review, parties, receiver_id, controls, time,
                     [](x12::Writer& w, std::uint32_t st02, const x12::ServiceReview& r) {
                       x12::write_278(w, st02, r);
                     });
}

Expected<std::string> interchange_275(const x12::Attachment& attachment, std::string_view bin,
                                      const Parties& parties, std::string_view receiver_id,
                                      const Controls& controls, std::chrono::sys_seconds time) {
  return interchange("PI", "005010X210", attachment, parties, receiver_id, controls, time,
                     [bin](x12::Writer& w, std::uint32_t st02, const x12::Attachment& a) {
                       x12::write_275(w, st02, a, bin);
                     });
}

std::string reject_code_of_aaa(std::string_view aaa) {
  if (aaa == "72") return "invalid_member_id";
  if (aaa == "73") return "name_mismatch";
  if (aaa == "75") return "subscriber_not_found";
  if (aaa == "71" || aaa == "58") return "invalid_date_of_birth";
  if (aaa == "42" || aaa == "80") return "payer_unavailable";
  if (aaa == "43" || aaa == "51") return "invalid_provider";
  if (aaa == "57" || aaa == "62") return "invalid_service_date";
  if (aaa == "79") return "invalid_payer";
  if (aaa == "15") return "required_information_missing";
  return "aaa_" + std::string(aaa);
}

Result eligibility_result(const x12::EligibilityResponse& r, const json::object& record,
                          const Payers& payers, json::storage_ptr storage) {
  // The answer made in `storage` (an assignment would keep the storage it has, and copy).
  Result out{.http_status = 200, .answer = json::object(storage)};
  json::object answer(storage);
  if (auto ref = text(record, "ref"); !ref.empty()) answer["ref"] = ref;
  if (!r.rejections.empty()) {
    // The subscriber's reason first: it names the field to fix.
    const x12::Rejection* aaa = &r.rejections.front();
    for (const auto& rej : r.rejections)
      if (rej.loop.starts_with("2100C") || rej.loop.starts_with("2110C")) aaa = &rej;
    const auto* code = x12::codes::find(x12::codes::List::aaa, aaa->reason);
    std::string words = code ? std::string(code->title) : "reject reason " + aaa->reason;
    out.outcome = "rejected";
    out.code = "eligibility_rejected";
    out.message = "the payer rejected the inquiry: " + words + " (AAA " + aaa->reason + ")";
    json::object reason{
        {"code", reject_code_of_aaa(aaa->reason)}, {"x12_aaa", aaa->reason}, {"message", words}};
    if (!aaa->follow_up.empty()) {
      reason["follow_up"] = aaa->follow_up;
      if (const auto* f = x12::codes::find(x12::codes::List::aaa_follow_up, aaa->follow_up))
        reason["follow_up_text"] = f->title;
    }
    if (code && !code->action.empty()) reason["fix"] = code->action;
    if (code && !code->field.empty()) {
      out.errors.push_back({std::string(code->field), words});
    }
    answer["reject_reason"] = std::move(reason);
    out.answer = std::move(answer);
    return out;
  }
  // Active or inactive: the EB*1 or EB*6 of the plan.
  std::string status, plan_name, insurance_type;
  for (const auto& b : r.benefits) {
    if (b.info == "1" || b.info == "6") {
      if (status.empty() || b.info == "1") status = b.info == "1" ? "active" : "inactive";
      if (plan_name.empty()) plan_name = b.plan_description;
      if (insurance_type.empty()) insurance_type = b.insurance_type;
    }
  }
  if (status.empty()) {
    out.outcome = "rejected";
    out.code = "eligibility_unreadable";
    out.message = "the 271 has neither an active (EB*1) nor an inactive (EB*6) benefit";
    out.answer = std::move(answer);
    return out;
  }
  answer["status"] = status;
  answer["active"] = status == "active";
  answer["member"] = json::object{{"member_id", r.subscriber.id},
                                  {"first_name", r.subscriber.first},
                                  {"last_name", r.subscriber.last_or_org},
                                  {"date_of_birth", r.date_of_birth}};
  std::string plan_id = text(record, "health_plan");
  if (plan_id.empty()) {
    if (const auto* p = payers.of_id(r.payer.id)) plan_id = p->health_plan;
  }
  answer["plan"] = json::object{{"id", plan_id},
                                {"name", plan_name.empty() ? r.payer.last_or_org : plan_name},
                                {"type", plan_type_of(insurance_type)}};
  std::string start, end;
  for (const auto& d : r.dates) {
    if (d.qualifier == "346" || d.qualifier == "356") start = d.from;
    if (d.qualifier == "347" || d.qualifier == "357") end = d.from;
    if ((d.qualifier == "291" || d.qualifier == "307") && !d.to.empty()) {
      if (start.empty()) start = d.from;
      if (end.empty()) end = d.to;
    }
  }
  answer["coverage"] =
      json::object{{"start", start.empty() ? json::value(nullptr) : json::value(start)},
                   {"end", end.empty() ? json::value(nullptr) : json::value(end)}};
  std::string service_date = text(record, "service_date");
  for (const auto& d : r.dates)
    if (service_date.empty() && d.qualifier == "291") service_date = d.from;
  for (const auto& b : r.benefits)
    for (const auto& d : b.dates)
      if (service_date.empty() && d.qualifier == "291") service_date = d.from;
  answer["service_date"] = service_date;
  json::object copays, deductible, oop;
  json::value coinsurance = nullptr;
  json::array prior_auth;
  for (const auto& b : r.benefits) {
    const bool family = b.coverage_level == "FAM";
    std::string_view st;  // (not a ?: with "": that would view a temporary string)
    if (!b.service_types.empty()) st = b.service_types.front();
    bool specialist = false;
    for (const auto& m : b.messages)
      if (upper(m).find("SPECIALIST") != std::string::npos) specialist = true;
    if (b.info == "B" && !b.amount.empty()) {
      if (st == "86")
        copays["emergency_room"] = amount(b.amount);
      else if (specialist)
        copays["specialist"] = amount(b.amount);
      else if (st == "98" || st == "BY" || st == "BZ")
        copays["primary_care"] = amount(b.amount);
    } else if (b.info == "C" && !b.amount.empty() && b.time_period != "29") {
      deductible[family ? "family" : "individual"] = amount(b.amount);
    } else if (b.info == "G" && !b.amount.empty() && b.time_period != "29") {
      oop[family ? "family" : "individual"] = amount(b.amount);
    } else if (b.info == "A" && !b.percent.empty()) {
      double p = std::strtod(b.percent.c_str(), nullptr);
      coinsurance = static_cast<long long>(p * 100 + 0.5);
    }
    if (b.authorization == "Y") {
      for (const auto& m : b.messages) {
        auto s = solution_of(m);
        if (!s.empty() &&
            std::find(prior_auth.begin(), prior_auth.end(), json::value(s)) == prior_auth.end())
          prior_auth.emplace_back(s);
      }
    }
  }
  answer["benefits"] = json::object{{"copays", std::move(copays)},
                                    {"deductible", std::move(deductible)},
                                    {"out_of_pocket_max", std::move(oop)},
                                    {"coinsurance_percent", coinsurance},
                                    {"prior_authorization", std::move(prior_auth)}};
  if (status == "inactive") {
    answer["reason"] = !start.empty() && !service_date.empty() && service_date < start
                           ? "coverage_not_started"
                           : "coverage_terminated";
  }
  out.outcome = "ok";
  out.answer = std::move(answer);
  return out;
}

namespace {

// The portal's word for a status category, as ClaimStatusCategory lists them.
std::string_view category_word(std::string_view c) {
  static constexpr std::pair<std::string_view, std::string_view> k_words[] = {
      {"A1", "acknowledged"},
      {"A2", "accepted"},
      {"P1", "pending-in-process"},
      {"P2", "pending-payer-review"},
      {"P3", "pending-information-requested"},
      {"P4", "pending-patient-information"},
      {"F1", "finalized-paid"},
      {"F2", "finalized-denied"},
      {"F3", "finalized-revised"},
      {"F4", "finalized-no-payment"},
  };
  for (auto [k, v] : k_words)
    if (k == c) return v;
  return c;
}

// What a 277's E0 status (the inquiry's data could not be matched) says in the JSON API's words:
// its reject reason and the AAA code the JSON API gives with it.
struct StcReject {
  std::string_view status, code, aaa;
};
constexpr StcReject k_stc_rejects[] = {
    {"33", "subscriber_not_found", "75"},   {"164", "invalid_member_id", "72"},
    {"158", "invalid_date_of_birth", "71"}, {"153", "invalid_provider", "43"},
    {"187", "invalid_service_date", "57"},
};

// A status category saying the inquiry could not be matched (E0, and the other A/E categories
// without a claim).
bool refusal_category(std::string_view c) {
  return c == "E0" || c == "E3" || c == "E4" || c == "A3" || c == "A6" || c == "A7" || c == "A8";
}

// A4 (not found) and D0: no claim.
bool no_claim_category(std::string_view c) { return c == "A4" || c == "D0"; }

}  // namespace

Result claim_status_result(const std::vector<x12::ClaimStatusResponse>& responses,
                           const Payers& payers, json::storage_ptr storage) {
  // The answer made in `storage` (an assignment would keep the storage it has, and copy).
  Result out{.http_status = 200, .answer = json::object(storage)};
  json::object answer(storage);
  json::array claims(storage);
  for (const auto& r : responses) {
    for (const auto& c : r.claims) {
      if (c.statuses.empty()) continue;
      const auto& s = c.statuses.front();
      // A4 (not found): no claim; the answer is the claims found, maybe none.
      if (no_claim_category(s.category)) continue;
      // E0 and the other A/E categories without a claim: the inquiry could not be matched.
      if (refusal_category(s.category)) {
        std::string words = reason_words(x12::codes::List::stc_category, s.category);
        std::string status_words = reason_words(x12::codes::List::stc_status, s.status);
        std::string code = "stc_" + s.category + "_" + s.status, aaa;
        for (const auto& r : k_stc_rejects) {
          if (r.status == s.status) {
            code = std::string(r.code);
            aaa = std::string(r.aaa);
          }
        }
        out.outcome = "rejected";
        out.code = "claim_status_rejected";
        const std::string stc =
            s.category + ":" + s.status + (s.entity.empty() ? "" : ":" + s.entity);
        out.message = "the payer could not match the inquiry: " +
                      (status_words.empty() ? words : status_words) + " (STC " + stc + ")";
        json::object reason{{"code", code},
                            {"x12_stc", stc},
                            {"message", status_words.empty() ? words : status_words}};
        if (!aaa.empty()) reason["x12_aaa"] = aaa;
        answer["reject_reason"] = std::move(reason);
        out.answer = std::move(answer);
        return out;
      }
      // Built in `storage` from the start: a claim made elsewhere would be copied into it.
      json::object claim(24, storage);
      auto text_or_null = [&](const std::string& v) {
        return v.empty() ? json::value(nullptr, storage)
                         : json::value(json::string_view(v), storage);
      };
      claim.emplace("claim_number", c.payer_claim_number);
      claim.emplace("status_category", s.category);
      claim.emplace("status", category_word(s.category));
      claim.emplace("status_description", reason_title(x12::codes::List::stc_category, s.category));
      claim.emplace("status_code", s.status);
      if (!s.entity.empty()) claim.emplace("status_entity", s.entity);
      claim.emplace("status_date", s.effective_date);
      claim.emplace("status_reasons", json::array(storage));
      claim.emplace("member_id", r.subscriber.id);
      const auto* p = payers.of_id(r.payer.id);
      claim.emplace("health_plan", p ? p->health_plan : r.payer.id);
      claim.emplace("provider_npi", r.provider.id);
      claim.emplace("rendering_npi", nullptr);
      claim.emplace("service_from", c.service.from);
      claim.emplace("service_to", c.service.to.empty() ? c.service.from : c.service.to);
      claim.emplace("received_date", nullptr);
      claim.emplace("billed_amount", money(s.total_charge, storage));
      const bool finalized = !s.category.empty() && s.category[0] == 'F';
      claim.emplace("paid_amount", finalized ? money(s.paid.empty() ? "0" : s.paid, storage)
                                             : json::value(nullptr, storage));
      claim.emplace("check_number", text_or_null(s.check_number));
      claim.emplace("paid_date", text_or_null(s.payment_date));
      if (!c.patient_account.empty()) claim.emplace("patient_account", c.patient_account);
      json::array lines(storage);
      lines.reserve(c.lines.size());
      int n = 0;
      for (const auto& l : c.lines) {
        long long units = l.units.empty() ? 1 : std::strtoll(l.units.c_str(), nullptr, 10);
        json::object line(4, storage);
        line.emplace("line", ++n);
        line.emplace("procedure_code", l.procedure);
        line.emplace("units", units < 1 ? 1 : units);
        line.emplace("billed_amount", money(l.charge, storage));
        lines.push_back(std::move(line));
      }
      claim.emplace("lines", std::move(lines));
      claim.emplace("status_history", json::array(storage));
      claim.emplace("updated_at", nullptr);
      claims.push_back(std::move(claim));
    }
  }
  answer["as_of"] = now_iso();
  answer["changed_since"] = nullptr;
  answer["claims"] = std::move(claims);
  out.outcome = "ok";
  out.answer = std::move(answer);
  return out;
}

bool claim_status_matched(std::span<const x12::ClaimStatusResponse> responses) {
  for (const auto& r : responses)
    for (const auto& c : r.claims)
      if (!c.statuses.empty() && refusal_category(c.statuses.front().category)) return false;
  return true;
}

void write_claim_status_answer(output::JsonText& out,
                               std::span<const x12::ClaimStatusResponse> responses,
                               const Payers& payers) {
  // claim_status_result()'s answer member by member, in its order.
  char buf[64];
  auto money_or_null = [&](std::string_view a) {
    if (const auto text = money_text(a, buf))
      out.string(*text);
    else
      out.null();
  };
  auto text_or_null = [&](std::string_view v) {
    if (v.empty())
      out.null();
    else
      out.string(v);
  };
  out.key("as_of");
  out.string(now_iso());
  out.key("changed_since");
  out.null();
  out.key("claims");
  out.begin_array();
  for (const auto& r : responses) {
    const Payer* p = payers.of_id(r.payer.id);
    const std::string_view health_plan =
        p ? std::string_view(p->health_plan) : std::string_view(r.payer.id);
    for (const auto& c : r.claims) {
      if (c.statuses.empty()) continue;
      const auto& s = c.statuses.front();
      if (no_claim_category(s.category)) continue;
      out.begin_object();
      out.key("claim_number");
      out.string(c.payer_claim_number);
      out.key("status_category");
      out.string(s.category);
      out.key("status");
      out.string(category_word(s.category));
      out.key("status_description");
      out.string(reason_title(x12::codes::List::stc_category, s.category));
      out.key("status_code");
      out.string(s.status);
      if (!s.entity.empty()) {
        out.key("status_entity");
        out.string(s.entity);
      }
      out.key("status_date");
      out.string(s.effective_date);
      out.key("status_reasons");
      out.begin_array();
      out.end_array();
      out.key("member_id");
      out.string(r.subscriber.id);
      out.key("health_plan");
      out.string(health_plan);
      out.key("provider_npi");
      out.string(r.provider.id);
      out.key("rendering_npi");
      out.null();
      out.key("service_from");
      out.string(c.service.from);
      out.key("service_to");
      out.string(c.service.to.empty() ? c.service.from : c.service.to);
      out.key("received_date");
      out.null();
      out.key("billed_amount");
      money_or_null(s.total_charge);
      out.key("paid_amount");
      if (!s.category.empty() && s.category[0] == 'F')
        money_or_null(s.paid.empty() ? std::string_view("0") : std::string_view(s.paid));
      else
        out.null();
      out.key("check_number");
      text_or_null(s.check_number);
      out.key("paid_date");
      text_or_null(s.payment_date);
      if (!c.patient_account.empty()) {
        out.key("patient_account");
        out.string(c.patient_account);
      }
      out.key("lines");
      out.begin_array();
      long long n = 0;
      for (const auto& l : c.lines) {
        const long long units = l.units.empty() ? 1 : std::strtoll(l.units.c_str(), nullptr, 10);
        out.begin_object();
        out.key("line");
        out.integer(++n);
        out.key("procedure_code");
        out.string(l.procedure);
        out.key("units");
        out.integer(units < 1 ? 1 : units);
        out.key("billed_amount");
        money_or_null(l.charge);
        out.end_object();
      }
      out.end_array();
      out.key("status_history");
      out.begin_array();
      out.end_array();
      out.key("updated_at");
      out.null();
      out.end_object();
    }
  }
  out.end_array();
}

std::optional<Result> acknowledgement_result(const x12::Acknowledgements& acks) {
  for (const auto& t : acks.ta1s) {
    if (t.accepted()) continue;
    Result out;
    out.outcome = "rejected";
    out.http_status = 200;
    out.code = "x12_rejected";
    std::string why(x12::ta1_reason(t.note_code));
    out.message = "the payer rejected the interchange (TA1 " + std::string(1, t.ack_code) + ", " +
                  t.note_code + (why.empty() ? "" : ": " + why) + ")";
    out.errors.push_back({"ISA", why.empty() ? "TA1 note " + t.note_code : why});
    return out;
  }
  for (const auto& g : acks.groups) {
    for (const auto& s : g.sets) {
      if (s.accepted()) continue;
      Result out;
      out.outcome = "rejected";
      out.http_status = 200;
      out.code = "x12_rejected";
      std::string all;
      for (const auto& seg : s.segments) {
        std::string where = seg.segment_id + " at position " + std::to_string(seg.position) +
                            (seg.loop.empty() ? "" : " (loop " + seg.loop + ")");
        std::string seg_why(x12::ik3_reason(seg.code));
        if (seg.elements.empty()) {
          out.errors.push_back({seg.segment_id, where + ": " + seg_why});
        }
        for (const auto& e : seg.elements) {
          char pos[16];
          std::snprintf(pos, sizeof pos, "%02d", e.position);
          std::string el = seg.segment_id + pos;
          std::string why(x12::ik4_reason(e.code));
          out.errors.push_back({el, where + ", element " + el + ": " + why});
        }
        all += (all.empty() ? "" : "; ") + where + ": " + seg_why;
      }
      out.message = "the payer rejected the transaction (999 IK5 " + std::string(1, s.status) +
                    ")" + (all.empty() ? "" : ": " + all);
      return out;
    }
    if (g.status == 'R' && g.sets.empty()) {
      Result out;
      out.outcome = "rejected";
      out.http_status = 200;
      out.code = "x12_rejected";
      out.message = "the payer rejected the functional group (999 AK9 R)";
      return out;
    }
  }
  return std::nullopt;
}

namespace {

// The set id of the first ST in `payload` ("271", "999"), or "" (a TA1 alone has none).
std::string first_set(std::string_view payload, bool& has_ta1) {
  auto reader = x12::Reader::from_memory(payload);
  has_ta1 = false;
  while (const auto* s = reader.next()) {
    if (s->id() == "TA1") has_ta1 = true;
    if (s->id() == "ST") return std::string(s->element(1));
  }
  return {};
}

Result unreadable(std::string message) {
  Result out;
  out.outcome = "failed";
  out.http_status = 200;
  out.code = "x12_unreadable";
  out.message = std::move(message);
  return out;
}

}  // namespace

Result read_answer(Function f, std::string_view payload, const json::object& record,
                   const Payers& payers, json::storage_ptr storage) {
  bool has_ta1 = false;
  const std::string set = first_set(payload, has_ta1);
  if (set == "999" || has_ta1) {
    auto acks = x12::read_acknowledgements(payload);
    if (auto rejected = acknowledgement_result(acks)) return *rejected;
    if (set == "999" || set.empty())
      return unreadable("the payer acknowledged the request but sent no answer");
  }
  if (f == Function::eligibility) {
    if (set != "271") return unreadable("the payer answered with a " + set + ", not a 271");
    std::optional<x12::EligibilityResponse> got;
    auto reader = x12::Reader::from_memory(payload);
    auto summary = x12::read_271(reader, [&](x12::EligibilityResponse&& r, const x12::Segment&) {
      if (!got) got = std::move(r);
      return true;
    });
    if (!got) {
      return unreadable("the 271 could not be read" +
                        (summary.problems.empty()
                             ? std::string()
                             : ": " + x12::to_string(summary.problems.front())));
    }
    return eligibility_result(*got, record, payers, std::move(storage));
  }
  if (f == Function::claim_inquiry) {
    if (set != "277") return unreadable("the payer answered with a " + set + ", not a 277");
    std::vector<x12::ClaimStatusResponse> all;
    auto reader = x12::Reader::from_memory(payload);
    auto summary = x12::read_277(reader, [&](x12::ClaimStatusResponse&& r, const x12::Segment&) {
      all.push_back(std::move(r));
      return all.size() < 10000;
    });
    if (all.empty() && !summary.problems.empty()) {
      return unreadable("the 277 could not be read: " + x12::to_string(summary.problems.front()));
    }
    auto result = claim_status_result(all, payers, std::move(storage));
    if (auto ref = text(record, "ref"); !ref.empty() && result.outcome == "ok")
      result.answer["ref"] = ref;
    return result;
  }
  if (f == Function::case_submission || f == Function::case_update || f == Function::case_cancel) {
    if (set != "278") return unreadable("the payer answered with a " + set + ", not a 278");
    return read_case_answer(payload, record, std::move(storage));
  }
  return unreadable("this wire does not read answers to " + std::string(function_name(f)));
}

std::optional<std::string> payer_busy(Function f, std::string_view payload) {
  auto reader = x12::Reader::from_memory(payload);
  while (const auto* s = reader.next()) {
    if (f != Function::claim_inquiry && s->id() == "AAA") {
      auto code = s->element(3);
      if (code == "42" || code == "80") {
        return "the payer cannot answer now (AAA " + std::string(code) + ": " +
               reason_words(x12::codes::List::aaa, code) + ")";
      }
    }
    if (f == Function::claim_inquiry && s->id() == "STC") {
      auto cat = s->component(1, 1);
      if (cat == "E1" || cat == "E2") {
        return "the payer cannot answer now (STC " + std::string(cat) + ": " +
               reason_words(x12::codes::List::stc_category, cat) + ")";
      }
    }
  }
  return std::nullopt;
}

}  // namespace portal::wire::x12w

namespace portal::wire::x12w::detail {

void assign_x12_name(std::string& out, std::string_view name) { x12w::assign_x12_name(out, name); }
const Payer* payer_for(std::string_view plan, const Payers& payers,
                       std::vector<FieldError>& errors) {
  return x12w::payer_for(plan, payers, errors);
}
std::string reason_words(x12::codes::List list, std::string_view code) {
  return x12w::reason_words(list, code);
}
const std::string& originator_of(std::string_view sender_id) {
  return x12w::originator_of(sender_id);
}
std::string now_date() { return x12w::now_date(); }
Result unreadable(std::string message) { return x12w::unreadable(std::move(message)); }

}  // namespace portal::wire::x12w::detail
