// The portal's cases ⇄ X12 278 (005010X217), as docs/core.md section 9 writes them: a case
// record becomes a request for review, a response becomes the case answer of the JSON API.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "caqh/fields.hpp"
#include "portal/util/strings.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "portal/wire/x12/vocabulary_detail.hpp"
#include "x12/codes.hpp"
#include "x12/reader.hpp"

namespace portal::wire::x12w {

namespace json = boost::json;
using detail::text;

namespace {

constexpr std::size_t k_msg_max = 264;       // MSG01
constexpr std::size_t k_diagnoses_max = 12;  // HI01..HI12

// Free text (additional_info) as an X12 AN value: the interchange's delimiters and line breaks
// become a space or a dash, characters outside ASCII a '?'. The words stay; nothing is dropped
// silently but what X12 cannot hold.
std::string free_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
      out.push_back('?');
    } else if (c == ':' || c == '~') {
      out.push_back('-');
    } else if (c < 0x20 || c == 0x7f || c == '*' || c == '^') {
      out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// A clinical answer as MSG text: numbers and booleans as JSON writes them.
std::string answer_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

bool x12_value_ok(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '*' || c == '~' || c == ':' || c == '^' || c == ';' ||
        c == '=')
      return false;
  }
  return true;
}

// An ICD-10-CM code as X12 writes it: without the dot.
std::string without_dot(std::string_view code) {
  std::string out;
  for (char c : code)
    if (c != '.') out.push_back(c);
  return out;
}

// The status of HCR01 (and HCR03): the JSON API's order status.
std::string status_of(const x12::ReviewDecision& d) {
  if (d.action == "A1" || d.action == "NA") return "approved";
  if (d.action == "A2" || d.action == "A6") return "partially-approved";
  if (d.action == "A3") return "denied";
  if (d.action == "C") return "cancelled";
  if (d.action == "A4" && d.reason == "0U") return "needs-documents";
  return "pended";  // A4, CT (contact the payer)
}

// The MSG01 value of `key` in "key=value;key=value" (or "key=a,b"), "" when absent.
std::string message_value(std::string_view message, std::string_view key) {
  while (!message.empty()) {
    const std::size_t semi = message.find(';');
    std::string_view pair = message.substr(0, semi);
    message = semi == std::string_view::npos ? std::string_view() : message.substr(semi + 1);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=')
      return std::string(pair.substr(key.size() + 1));
  }
  return {};
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    if (comma != 0) out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// The record field an AAA points at: its loop and reason (docs/core.md section 9, and the
// guide's AAA03 meanings for any payer).
std::string field_of_aaa(std::string_view loop, std::string_view reason) {
  if (reason == "72" || reason == "75" || reason == "76" || reason == "52") return "member_id";
  if (reason == "73") return "last_name";
  if (reason == "58" || reason == "71") return "date_of_birth";
  if (reason == "79" || loop == "2010A") return "health_plan";
  if (reason == "43" || reason == "44" || reason == "41" || loop == "2010B") return "ordering_npi";
  if (reason == "AG") return "procedures";
  if (reason == "AF") return "diagnoses";
  if (reason == "57" || reason == "62" || reason == "56") return "service_start";
  if (loop == "2010C") return "member_id";
  return "case";
}

// The member ID as X12 writes it: upper case.
std::string member_id_of(const json::object& record) {
  return util::upper(text(record, "member_id"));
}

// What every 278 of a record names: BHT02 `purpose`, the UMO, the requester, the member and the
// event's TRN*1 (the row's trace).
void fill_head(x12::ServiceReview& r, std::string_view purpose, const json::object& record,
               const Payers& payers, const Parties& parties, std::string_view trace,
               std::vector<FieldError>& errors) {
  r.purpose = std::string(purpose);
  r.reference = std::string(trace.substr(0, 30));
  r.created_date = detail::now_date();
  const Payer* payer = detail::payer_for(text(record, "health_plan"), payers, errors);
  if (payer) r.umo = {"X3", '2', payer->name, "", "", "PI", payer->payer_id};
  r.requester = {"1P", '2', "ORDERING PROVIDER", "", "", "XX", text(record, "ordering_npi")};
  r.subscriber = {"IL", '1', "", "", "", "MI", member_id_of(record)};
  detail::assign_x12_name(r.subscriber.last_or_org, text(record, "last_name"));
  detail::assign_x12_name(r.subscriber.first, text(record, "first_name"));
  if (r.subscriber.last_or_org.empty())
    errors.push_back({"last_name", "has no letter X12 can carry (2010C NM103)"});
  r.date_of_birth = text(record, "date_of_birth");
  r.traces.push_back({"1", std::string(trace), detail::originator_of(parties.sender_id), ""});
  r.category = "HS";
}

// The diagnoses of a record as HI: the first ABK (principal) unless `all_other`, the rest ABF.
void fill_diagnoses(x12::ServiceReview& r, const json::object& record, bool all_other,
                    std::vector<FieldError>& errors) {
  const auto* dx = record.if_contains("diagnoses");
  if (!dx || !dx->is_array()) return;
  const auto& a = dx->get_array();
  if (a.size() > k_diagnoses_max) {
    errors.push_back({"diagnoses", "has " + std::to_string(a.size()) +
                                       " codes; the X12 278 carries at most 12 (HI01..HI12)"});
  }
  for (std::size_t i = 0; i < a.size() && i < k_diagnoses_max; ++i)
    if (a[i].is_string())
      r.diagnoses.push_back(
          {i == 0 && !all_other ? "ABK" : "ABF", without_dot(a[i].get_string()), ""});
}

// One 2000F per procedure of a record: SV1*HC:code**UN*units.
void fill_services(x12::ServiceReview& r, const json::object& record) {
  const auto* procs = record.if_contains("procedures");
  if (!procs || !procs->is_array()) return;
  for (const auto& p : procs->get_array()) {
    if (!p.is_object()) continue;
    x12::ReviewService s;
    s.procedure_qualifier = "HC";
    s.procedure = text(p.get_object(), "code");
    s.unit_basis = "UN";
    const auto* units = p.get_object().if_contains("units");
    s.quantity = units && units->is_int64() ? std::to_string(units->get_int64()) : "1";
    r.services.push_back(std::move(s));
  }
}

// A change of an order (`what`: "cancellation", "revision"): the plan, member and requester its
// 278 names must be in the row; REF*BB is the order. UM02 `certification_type`.
Checked<x12::ServiceReview> change_review(std::string_view what, std::string_view purpose,
                                          std::string_view certification_type,
                                          const json::object& record, const Payers& payers,
                                          const Parties& parties, std::string_view trace) {
  std::vector<FieldError> errors;
  for (const char* field :
       {"health_plan", "member_id", "last_name", "date_of_birth", "ordering_npi"}) {
    if (text(record, field).empty()) {
      errors.push_back({field, "is missing: a 278 " + std::string(what) +
                                   " names the order's plan, member and requester (loops "
                                   "2010A-2010C) as the case did; add it (a " +
                                   std::string(field) + " column, or its flag)"});
    }
  }
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  x12::ServiceReview r;
  fill_head(r, purpose, record, payers, parties, trace, errors);
  r.certification_type = std::string(certification_type);
  r.previous_certification = text(record, "order_id");
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return r;
}

}  // namespace

std::string attachment_control(std::string_view trace, std::size_t index) {
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "A%02zu", index + 1);
  return std::string(trace) + suffix;
}

Checked<x12::ServiceReview> service_review(const json::object& record, const Payers& payers,
                                           const Parties& parties, std::string_view trace) {
  std::vector<FieldError> errors;
  x12::ServiceReview r;
  fill_head(r, "13", record, payers, parties, trace, errors);
  r.certification_type = "I";
  r.level_of_service = text(record, "urgency") == "urgent" ? "U" : "E";
  const std::string start = text(record, "service_start"), end = text(record, "service_end");
  r.dates.push_back({"AAH", start, end.empty() || end == start ? std::string() : end});
  fill_diagnoses(r, record, false, errors);
  // MSG: the solution and the answers to its questions.
  std::string message = "solution=" + text(record, "solution");
  if (const auto* answers = record.if_contains("answers"); answers && answers->is_object()) {
    for (const auto& kv : answers->get_object()) {
      const std::string key(kv.key());
      const std::string value = answer_text(kv.value());
      if (!x12_value_ok(key) || !x12_value_ok(value)) {
        errors.push_back({"answers." + key,
                          "cannot travel in the X12 278's MSG01 (no ';', '=', '*', ':', '^', '~', "
                          "line breaks or characters outside ASCII in answers)"});
        continue;
      }
      message += ";" + key + "=" + value;
    }
  }
  if (message.size() > k_msg_max) {
    errors.push_back({"answers", "the solution and answers take " + std::to_string(message.size()) +
                                     " characters; the X12 278's MSG01 holds at most 264"});
  }
  r.message = std::move(message);
  x12::ReviewProvider servicing;
  servicing.party = {"SJ", '2', "SERVICING PROVIDER", "", "", "XX", text(record, "servicing_npi")};
  r.providers.push_back(std::move(servicing));
  if (const auto* files = record.if_contains("attachments"); files && files->is_array()) {
    for (std::size_t i = 0; i < files->get_array().size(); ++i)
      r.paperwork.push_back({"77", "EL", attachment_control(trace, i), ""});
  }
  const std::string info = free_text(text(record, "additional_info"));
  if (info.size() > k_msg_max) {
    errors.push_back({"additional_info", "is " + std::to_string(info.size()) +
                                             " characters; the X12 278 carries at most 264 "
                                             "(MSG01 of the first service)"});
  }
  fill_services(r, record);
  if (!r.services.empty()) r.services.front().message = info;
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return r;
}

x12::Attachment attachment_of(const json::object& record, const Payers& payers,
                              std::string_view trace, std::size_t index) {
  x12::Attachment a;
  a.purpose = "02";  // sent unsolicited, after the 278's PWK
  a.reference = attachment_control(trace, index);
  if (const Payer* payer = payers.of_plan(text(record, "health_plan")))
    a.payer = {"PR", '2', payer->name, "", "", "PI", payer->payer_id};
  a.provider = {"1P", '2', "ORDERING PROVIDER", "", "", "XX", text(record, "ordering_npi")};
  a.patient = {"QC", '1', "", "", "", "MI", member_id_of(record)};
  detail::assign_x12_name(a.patient.last_or_org, text(record, "last_name"));
  detail::assign_x12_name(a.patient.first, text(record, "first_name"));
  const std::string start = text(record, "service_start"), end = text(record, "service_end");
  if (!start.empty()) a.service = {"472", start, end == start ? std::string() : end};
  a.control = {"1", attachment_control(trace, index), "", ""};
  return a;
}

std::string mime_entity(std::string_view content_type, std::string_view bytes) {
  return "Content-Type: " + std::string(content_type) +
         "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + caqh::detail::base64_encode(bytes);
}

Checked<x12::ServiceReview> cancel_review(const json::object& record, const Payers& payers,
                                          const Parties& parties, std::string_view trace) {
  auto r = change_review("cancellation", "01", "3", record, payers, parties, trace);
  if (!r) return r;
  r->message = free_text(text(record, "reason"));
  if (r->message.size() > k_msg_max) {
    return tl::unexpected(std::vector<FieldError>{
        {"reason", "is " + std::to_string(r->message.size()) +
                       " characters; the X12 278 carries at most 264 (MSG01)"}});
  }
  return r;
}

Checked<x12::ServiceReview> revision_review(const json::object& record, const Payers& payers,
                                            const Parties& parties, std::string_view trace) {
  auto r = change_review("revision", "13", "S", record, payers, parties, trace);
  if (!r) return r;
  std::vector<FieldError> errors;
  if (const std::string end = text(record, "service_end"); !end.empty())
    r->dates.push_back({"036", end, ""});
  fill_diagnoses(*r, record, true, errors);
  fill_services(*r, record);
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return r;
}

Result case_result(const x12::ServiceReview& response, const json::object& record,
                   json::storage_ptr storage) {
  Result out{.answer = json::object(storage)};
  out.http_status = 200;
  json::object& a = out.answer;
  std::vector<x12::Rejection> aaa = response.rejections;
  for (const auto& s : response.services)
    aaa.insert(aaa.end(), s.rejections.begin(), s.rejections.end());
  if (!aaa.empty() || response.category.empty() || response.decision.action.empty()) {
    out.outcome = "rejected";
    out.code = "case_rejected";
    // The sandbox (and a payer following its companion guide) names every reason in MSG01:
    // case_rejected=<code>@<field>,...
    json::array reasons;
    std::string all;
    for (const std::string& item : split_commas(message_value(response.message, "case_rejected"))) {
      const std::size_t at = item.find('@');
      const std::string code = item.substr(0, at);
      const std::string field = at == std::string::npos ? std::string() : item.substr(at + 1);
      out.errors.push_back({field.empty() ? std::string("case") : field, code});
      reasons.push_back(json::object{{"code", code}, {"field", field}});
      all += (all.empty() ? "" : "; ") + code + (field.empty() ? "" : " (" + field + ")");
    }
    for (const auto& r : aaa) {
      const std::string words = detail::reason_words(x12::codes::List::aaa, r.reason);
      const std::string follow = detail::reason_words(x12::codes::List::aaa_follow_up, r.follow_up);
      const std::string line = "AAA " + r.reason + (words.empty() ? "" : " (" + words + ")") +
                               " in loop " + r.loop +
                               (follow.empty() ? "" : "; follow-up: " + follow);
      if (reasons.empty()) {
        out.errors.push_back({field_of_aaa(r.loop, r.reason), line});
        reasons.push_back(json::object{{"code", reject_code_of_aaa(r.reason)},
                                       {"field", field_of_aaa(r.loop, r.reason)}});
      }
      all += (all.empty() ? "" : "; ") + line;
      if (!a.contains("x12_aaa")) {
        a["x12_aaa"] = r.reason;
        a["follow_up"] = r.follow_up;
      }
    }
    if (all.empty()) all = "the 278 response holds no decision (no HCR in the patient event)";
    out.message = "the payer rejected the case: " + all;
    a["code"] = "case_rejected";
    a["message"] = out.message;
    a["reasons"] = std::move(reasons);
    return out;
  }
  out.outcome = "ok";
  const std::string status = status_of(response.decision);
  a["order_id"] = response.decision.certification;
  if (response.administrative_reference.empty())
    a["acmp_number"] = nullptr;
  else
    a["acmp_number"] = response.administrative_reference;
  a["status"] = status;
  json::array required;
  std::string upload;
  for (const std::string& type :
       split_commas(message_value(response.message, "documents_required"))) {
    required.push_back(json::object{{"document_type", type}, {"description", ""}});
    upload += (upload.empty() ? "upload a " : " and a ") + type + " document";
  }
  a["documents_required"] = std::move(required);
  if (status == "approved")
    a["next_step"] =
        response.decision.action == "NA" ? "nothing: no review required" : "nothing: approved";
  else if (status == "partially-approved")
    a["next_step"] = "nothing: partially approved; the letter lists the approved units";
  else if (status == "denied")
    a["next_step"] = "nothing: denied; the letter says how to appeal within 60 days";
  else if (status == "cancelled")
    a["next_step"] = "nothing: cancelled";
  else if (status == "needs-documents")
    a["next_step"] =
        upload.empty() ? std::string("upload the documents the payer asks for") : upload;
  else if (response.decision.action == "CT")
    a["next_step"] = "contact the payer";
  else
    a["next_step"] = "clinical review";
  a["health_plan"] = text(record, "health_plan");
  a["solution"] = text(record, "solution");
  a["x12_action"] = response.decision.action;
  a["x12_reason"] = response.decision.reason;
  return out;
}

Result read_case_answer(std::string_view payload, const json::object& record,
                        json::storage_ptr storage) {
  std::optional<x12::ServiceReview> got;
  auto reader = x12::Reader::from_memory(payload);
  auto summary = x12::read_278(reader, [&](x12::ServiceReview&& r, const x12::Segment&) {
    if (!got && r.is_response()) got = std::move(r);
    return !got;
  });
  if (!got) {
    return detail::unreadable("the 278 response could not be read" +
                              (summary.problems.empty()
                                   ? std::string()
                                   : ": " + x12::to_string(summary.problems.front())));
  }
  return case_result(*got, record, std::move(storage));
}

}  // namespace portal::wire::x12w
