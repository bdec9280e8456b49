// The CAQH CORE endpoint's answers to a valid 278 request for review (docs/core.md, section 9):
// each patient event becomes the case body POST /v1/cases takes, goes through the same rules
// (Orders::submit_case, under an idempotency key made of the sender and the trace, so a 278
// sent again is answered from the order it made) and comes back as a 278 response.
#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/core_answers.hpp"
#include "sandbox/eligibility.hpp"
#include "x12/reader.hpp"
#include "x12/transactions.hpp"

namespace portal::sandbox {

namespace json = boost::json;

namespace {

std::string text_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// `value` as an X12 AN value: characters outside X12's extended set and the answer's delimiters
// left out, at most `max` characters.
std::string x12_text(std::string_view value, std::size_t max) {
  std::string out;
  for (char c : value) {
    if (out.size() >= max) break;
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '*' || c == '^' || c == ':' || c == '~') continue;
    out += c;
  }
  return out;
}

// The 2000E MSG01 of a request: "solution=radiology;q1=yes;q2=8". Empty keys are skipped.
void read_event_message(std::string_view message, json::object& body) {
  json::object answers;
  while (!message.empty()) {
    const std::size_t semi = message.find(';');
    std::string_view pair = message.substr(0, semi);
    message = semi == std::string_view::npos ? std::string_view() : message.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    const std::string key(pair.substr(0, eq));
    const std::string value(pair.substr(eq + 1));
    if (key == "solution")
      body["solution"] = value;
    else
      answers[key] = value;
  }
  if (!answers.empty()) body["answers"] = std::move(answers);
}

// The case body (case.schema.json) a 278 request's event stands for; "" for what it lacks, so
// the schema's checks name the field.
json::object case_body(const Roster& roster, const x12::ServiceReview& r) {
  json::object body;
  const HealthPlan* plan = roster.plan_by_payer_id(r.umo.id);
  body["health_plan"] = plan != nullptr ? plan->id : std::string();
  body["member_id"] = r.subscriber.id;
  body["first_name"] = r.subscriber.first;
  body["last_name"] = r.subscriber.last_or_org;
  body["date_of_birth"] = r.date_of_birth;
  body["ordering_npi"] = r.requester.id;
  std::string servicing;
  for (const x12::ReviewProvider& p : r.providers)
    if (p.party.entity_code == "SJ" && servicing.empty()) servicing = p.party.id;
  body["servicing_npi"] = servicing;
  json::array procedures;
  std::string additional_info;
  for (const x12::ReviewService& s : r.services) {
    if (!s.procedure.empty()) {
      json::object p{{"code", s.procedure}};
      if (!s.quantity.empty()) {
        char* end = nullptr;
        const long units = std::strtol(s.quantity.c_str(), &end, 10);
        if (end != nullptr && *end == '\0')
          p["units"] = units;
        else
          p["units"] = s.quantity;
      } else {
        p["units"] = 1;
      }
      procedures.push_back(std::move(p));
    }
    if (additional_info.empty()) additional_info = s.message;
  }
  body["procedures"] = std::move(procedures);
  json::array diagnoses;
  for (const x12::Diagnosis& d : r.diagnoses) diagnoses.push_back(json::string(d.code));
  body["diagnoses"] = std::move(diagnoses);
  std::string start, end;
  for (const x12::DatePeriod& d : r.dates) {
    if (d.qualifier == "AAH" && start.empty()) {
      start = d.from;
      end = d.to.empty() ? d.from : d.to;
    }
  }
  for (const x12::ReviewService& s : r.services)
    for (const x12::DatePeriod& d : s.dates)
      if (d.qualifier == "472" && start.empty()) {
        start = d.from;
        end = d.to.empty() ? d.from : d.to;
      }
  body["service_start"] = start;
  body["service_end"] = end;
  body["urgency"] = r.level_of_service == "U" || r.level_of_service == "03" ? "urgent" : "routine";
  read_event_message(r.message, body);
  if (!body.contains("solution")) body["solution"] = "";
  if (!additional_info.empty()) body["additional_info"] = additional_info;
  return body;
}

// HCR01 and HCR03 of an order's status (docs/core.md, section 9).
x12::ReviewDecision decision_of(const json::object& order) {
  const std::string status = text_at(order, "status");
  x12::ReviewDecision d;
  d.certification = text_at(order, "order_id");
  if (status == k_status_approved) {
    d.action = "A1";
  } else if (status == k_status_partial) {
    d.action = "A6";
  } else if (status == k_status_denied) {
    d.action = "A3";
  } else if (status == k_status_cancelled) {
    d.action = "C";
  } else if (status == k_status_needs_documents) {
    d.action = "A4";
    d.reason = "0U";
  } else {
    d.action = "A4";
    d.reason = "0V";
  }
  return d;
}

// The MSG01 of an answer: what the JSON API says besides the status (the documents still
// required, the reasons of a refusal), within MSG01's 264 characters.
std::string documents_message(const json::object& order) {
  std::string out;
  if (const json::value* docs = order.if_contains("documents_required"); docs && docs->is_array())
    for (const json::value& d : docs->as_array())
      if (d.is_object())
        out +=
            (out.empty() ? "documents_required=" : ",") + text_at(d.as_object(), "document_type");
  return x12_text(out, 264);
}

// The 2000E AAA03 a refusal's first reason is answered with, and the loop it goes in.
x12::Rejection rejection_of(std::string_view code, std::string_view field) {
  if (code == "member_not_found") return {"2010C", 'N', "75", "C"};
  if (code == "name_mismatch") return {"2010C", 'N', "73", "C"};
  if (code == "date_of_birth_mismatch") return {"2010C", 'N', "71", "C"};
  if (code == "member_not_eligible") return {"2000E", 'N', "52", "N"};
  if (code == "plan_not_found") return {"2010A", 'N', "79", "C"};
  if (field == "ordering_npi") return {"2010B", 'N', "43", "C"};
  if (field == "member_id") return {"2010C", 'N', "72", "C"};
  if (field == "first_name" || field == "last_name") return {"2010C", 'N', "73", "C"};
  if (field == "date_of_birth") return {"2010C", 'N', "58", "C"};
  if (field == "health_plan") return {"2010A", 'N', "79", "C"};
  if (code == "code_not_covered" || field.starts_with("procedures"))
    return {"2000E", 'N', "AG", "C"};
  if (field.starts_with("diagnoses")) return {"2000E", 'N', "AF", "C"};
  if (field.starts_with("service_")) return {"2000E", 'N', "57", "C"};
  return {"2000E", 'N', "15", "C"};
}

// The 278 response to one event: the request's parties and event echoed, the traces as TRN*2.
x12::ServiceReview response_to(const x12::ServiceReview& request) {
  x12::ServiceReview r = request;
  r.purpose = "11";
  r.response_type = "18";
  r.created_date.clear();
  r.created_time.clear();
  r.paperwork.clear();
  r.message.clear();
  r.decision = {};
  r.rejections.clear();
  for (x12::Trace& t : r.traces) t.type = "2";
  for (x12::ReviewProvider& p : r.providers) p.rejections.clear();
  for (x12::ReviewService& s : r.services) {
    for (x12::Trace& t : s.traces) t.type = "2";
    s.paperwork.clear();
    s.message.clear();
    s.decision = {};
    s.rejections.clear();
    for (x12::ReviewProvider& p : s.providers) p.rejections.clear();
  }
  return r;
}

// A change of an order (a cancellation, BHT02 01 or UM02 3; a revision, UM02 S): the order REF*BB
// names, if it is the member's, changed through the JSON API's own rules under `key`.
CaseSubmission change_278(Portal& portal, const std::string& user_id, const std::string& key,
                          const x12::ServiceReview& request) {
  const std::string& order_id = request.previous_certification;
  auto refused = [](std::string code, std::string field, std::string message) {
    ApiError e;
    e.status = 422;
    e.code = "case_rejected";
    e.message = message;
    e.extra["reasons"] =
        json::array{json::object{{"code", std::move(code)}, {"field", std::move(field)}}};
    return CaseSubmission{tl::unexpected(std::move(e)), std::nullopt};
  };
  if (order_id.empty())
    return refused("order_id_missing", "order_id", "a change names its order in REF*BB");
  auto found = portal.orders().get_case(user_id, order_id);
  if (!found) return refused("order_not_found", "order_id", "no such order");
  if (util::upper(text_at(*found, "member_id")) != request.subscriber.id)
    return refused("member_mismatch", "member_id", "the order is another member's");
  if (request.certification_type == "S") {
    // POST /v1/cases/{id}/revisions: units to add (2000F), a later end (DTP*036), diagnoses.
    json::object body;
    json::array procedures, diagnoses;
    for (const x12::ReviewService& s : request.services) {
      char* end = nullptr;
      const long units = std::strtol(s.quantity.c_str(), &end, 10);
      procedures.push_back(
          json::object{{"code", s.procedure},
                       {"units", end != nullptr && *end == '\0' && !s.quantity.empty()
                                     ? json::value(units)
                                     : json::value(s.quantity)}});
    }
    for (const x12::Diagnosis& d : request.diagnoses) diagnoses.push_back(json::string(d.code));
    if (!procedures.empty()) body["procedures"] = std::move(procedures);
    if (!diagnoses.empty()) body["diagnoses"] = std::move(diagnoses);
    for (const x12::DatePeriod& d : request.dates)
      if (d.qualifier == "036") body["service_end"] = d.to.empty() ? d.from : d.to;
    return portal.orders().revise_case(user_id, order_id, body, key,
                                       sha256_hex(order_id + ":" + json::serialize(body)));
  }
  const json::object body{{"reason", request.message}};
  return portal.orders().cancel_case(user_id, order_id, body, key,
                                     sha256_hex(order_id + ":" + json::serialize(body)));
}

x12::ServiceReview respond_278(Portal& portal, const std::string& user_id, std::string_view sender,
                               const x12::ServiceReview& request) {
  x12::ServiceReview response = response_to(request);
  const std::string key =
      "x12-278:" + std::string(sender) + ":" + std::string(request.request_trace());
  CaseSubmission submitted;
  if (request.purpose == "01" || request.certification_type == "3" ||
      request.certification_type == "S") {
    submitted = change_278(portal, user_id, key, request);
  } else {
    const json::object body = case_body(portal.roster(), request);
    submitted = portal.orders().submit_case(user_id, body, key, sha256_hex(json::serialize(body)));
  }
  json::object order;
  json::object error;
  if (submitted.replay) {
    json::value v = json::parse(submitted.replay->body);
    if (v.is_object()) {
      if (submitted.replay->status / 100 == 2) {
        // The same request again is answered with its order as it stands now (how a client
        // learns the status once its 275s are in; docs/core.md, section 9.1).
        order = v.as_object();
        if (auto now = portal.orders().get_case(user_id, text_at(order, "order_id")))
          order = std::move(*now);
      } else if (const json::value* e = v.as_object().if_contains("error"); e && e->is_object())
        error = e->as_object();
    }
  } else if (submitted.result) {
    order = *submitted.result;
  } else {
    const ApiError& e = submitted.result.error();
    error = e.extra;
    error["code"] = e.code;
    error["message"] = e.message;
  }
  if (!order.empty()) {
    response.decision = decision_of(order);
    const std::string acmp = text_at(order, "acmp_number");
    if (!acmp.empty()) response.administrative_reference = acmp;
    response.message = documents_message(order);
    for (x12::ReviewService& s : response.services) s.decision = response.decision;
    return response;
  }
  // Refused: the first reason (or the error itself) as an AAA, every reason code in MSG.
  std::string code = text_at(error, "code"), field;
  std::string message = "case_rejected=";
  if (const json::value* reasons = error.if_contains("reasons"); reasons && reasons->is_array()) {
    bool first = true;
    for (const json::value& v : reasons->as_array()) {
      if (!v.is_object()) continue;
      const std::string c = text_at(v.as_object(), "code");
      const std::string f = text_at(v.as_object(), "field");
      if (first) {
        code = c;
        field = f;
        first = false;
      }
      message += c + (f.empty() ? "" : "@" + f) + ",";
    }
  } else if (const json::value* fields = error.if_contains("errors");
             fields && fields->is_array() && !fields->as_array().empty()) {
    for (const json::value& v : fields->as_array()) {
      if (!v.is_object()) continue;
      const std::string f = text_at(v.as_object(), "field");
      if (field.empty()) field = f;
      message += code + "@" + f + ",";
    }
  } else {
    message += code + ",";
  }
  message.pop_back();
  x12::Rejection rejection = rejection_of(code, field);
  response.rejections.push_back(rejection);
  response.message = x12_text(message, 264);
  // An AAA above the event answers without it.
  if (rejection.loop != "2000E") {
    x12::ServiceReview above;
    above.purpose = response.purpose;
    above.reference = response.reference;
    above.response_type = response.response_type;
    above.umo = response.umo;
    above.requester = response.requester;
    above.subscriber = response.subscriber;
    above.date_of_birth = response.date_of_birth;
    above.gender = response.gender;
    above.dependent = response.dependent;
    above.rejections = std::move(response.rejections);
    return above;
  }
  return response;
}

}  // namespace

CoreAnswer answer_278(Portal& portal, const std::string& user_id, std::string_view payload,
                      const RequestInterchange& request, ControlAllocator& numbers) {
  std::vector<x12::ServiceReview> responses;
  CoreAnswer answer;
  auto reader = x12::Reader::from_memory(payload);
  auto summary = x12::read_278(reader, [&](x12::ServiceReview&& review, const x12::Segment&) {
    if (review.is_response()) return true;
    responses.push_back(respond_278(portal, user_id, request.isa06, review));
    remember_attachment_controls(portal, user_id, review, responses.back());  // for the 275s
    if (!review.request_trace().empty()) answer.answered.emplace_back(review.request_trace());
    return true;
  });
  if (responses.empty()) {
    answer.problems = std::move(summary.problems);
    return answer;
  }
  x12::Writer w;
  w.begin_interchange(answer_header(request, portal.now()), numbers.interchange());
  w.begin_group("HI", k_core_sender_id, answer_receiver(request).substr(0, 15), "005010X217",
                numbers.group());
  for (const auto& r : responses) x12::write_278(w, numbers.transaction(), r);
  w.end_group();
  w.end_interchange();
  if (!w.status())
    throw std::runtime_error("cannot write the 278 response: " +
                             x12::to_string(w.status().error()));
  answer.payload = std::move(w.out());
  return answer;
}

}  // namespace portal::sandbox
