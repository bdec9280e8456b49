#include "sandbox/core_answers.hpp"

#include <cstdio>

#include <boost/json.hpp>

#include "sandbox/eligibility.hpp"
#include "sandbox/rules.hpp"
#include "x12/reader.hpp"
#include "x12/transactions.hpp"

namespace portal::sandbox {

namespace json = boost::json;

namespace {

// ---- shared -------------------------------------------------------------------------------------

x12::Trace echo_trace(const x12::Trace& request) {
  return x12::Trace{"2", request.number, request.originator, request.detail};
}

// A JSON number or numeric string as X12 writes an amount: no trailing zeros after the point.
std::string amount_text(const json::value& v) {
  std::string s;
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v.as_double());
    s = buf;
  } else if (v.is_string()) {
    s = std::string(v.as_string());
  }
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s.empty() ? "0" : s;
}

// A percentage as EB08's fraction: 20 → "0.2", 25 → "0.25", 0 → "0".
std::string fraction_text(const json::value& v) {
  double percent = v.is_int64()    ? static_cast<double>(v.as_int64())
                   : v.is_uint64() ? static_cast<double>(v.as_uint64())
                   : v.is_double() ? v.as_double()
                                   : 0.0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", percent / 100.0);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

const json::value* at_path(const json::object& o, std::string_view a, std::string_view b = {}) {
  const json::value* v = o.if_contains(a);
  if (v == nullptr || b.empty()) return v;
  return v->is_object() ? v->as_object().if_contains(b) : nullptr;
}

// The first field a 400/422 validation_failed names ("" for the record as a whole).
std::string first_field(const ApiError& e) {
  if (const auto* errors = e.extra.if_contains("errors"); errors && errors->is_array()) {
    for (const auto& item : errors->as_array()) {
      if (item.is_object()) return text_of(item.as_object(), "field");
    }
  }
  return {};
}

// Writes the sets `write` emits into one answer interchange.
template <typename Write>
std::string answer_interchange(const RequestInterchange& request, ControlAllocator& numbers,
                               SysTime now, std::string_view functional_id,
                               std::string_view version, Write&& write) {
  x12::Writer w;
  w.begin_interchange(answer_header(request, now), numbers.interchange());
  w.begin_group(functional_id, k_core_sender_id, answer_receiver(request), version,
                numbers.group());
  write(w);
  w.end_group();
  w.end_interchange();
  if (!w.status())
    throw std::runtime_error("cannot write the answer: " + x12::to_string(w.status().error()));
  return std::move(w.out());
}

// ---- 270 → 271 ---------------------------------------------------------------------------------

// The EB04 insurance type of a plan type (docs/core.md).
std::string_view insurance_type(std::string_view plan_type) {
  if (plan_type == "commercial") return "C1";
  if (plan_type == "medicare-advantage") return "HN";
  if (plan_type == "medicaid") return "MC";
  if (plan_type == "hmo") return "HM";
  if (plan_type == "individual-exchange") return "IP";
  return "OT";
}

x12::Benefit benefit(std::string info, std::string level, std::string service_type) {
  x12::Benefit b;
  b.info = std::move(info);
  b.coverage_level = std::move(level);
  b.service_types = {std::move(service_type)};
  return b;
}

// The benefit summary of the JSON answer as EB segments, in docs/core.md's order.
void add_benefits(std::vector<x12::Benefit>& out, const json::object& benefits) {
  auto copay = [&](std::string_view key, const char* service, const char* message) {
    if (const json::value* v = at_path(benefits, "copays", key)) {
      x12::Benefit b = benefit("B", "IND", service);
      b.time_period = "27";
      b.amount = amount_text(*v);
      if (message) b.messages.emplace_back(message);
      out.push_back(std::move(b));
    }
  };
  copay("primary_care", "98", "PRIMARY CARE");
  copay("specialist", "98", "SPECIALIST");
  copay("emergency_room", "86", nullptr);
  auto yearly = [&](std::string_view key, const char* info) {
    for (auto [member, level] : {std::pair{"individual", "IND"}, std::pair{"family", "FAM"}}) {
      if (const json::value* v = at_path(benefits, key, member)) {
        x12::Benefit b = benefit(info, level, "30");
        b.time_period = "23";
        b.amount = amount_text(*v);
        out.push_back(std::move(b));
      }
    }
  };
  yearly("deductible", "C");
  yearly("out_of_pocket_max", "G");
  if (const json::value* v = at_path(benefits, "coinsurance_percent")) {
    x12::Benefit b = benefit("A", "IND", "30");
    b.percent = fraction_text(*v);
    out.push_back(std::move(b));
  }
  if (const json::value* v = at_path(benefits, "prior_authorization"); v && v->is_array()) {
    for (const auto& solution : v->as_array()) {
      if (!solution.is_string()) continue;
      x12::Benefit b = benefit("D", "IND", "30");
      b.authorization = "Y";
      b.messages.emplace_back(solution.as_string());
      out.push_back(std::move(b));
    }
  }
}

// Where a refused eligibility check goes in a 271 (docs/core.md, section 1).
x12::Rejection rejection_of(const ApiError& e) {
  if (const auto* reason = e.extra.if_contains("reject_reason"); reason && reason->is_object()) {
    return {"2100C", 'N', text_of(reason->as_object(), "x12_aaa"), "C"};
  }
  std::string field = first_field(e);
  if (field == "provider_npi") return {"2100B", 'N', "43", "C"};
  if (field == "first_name" || field == "last_name") return {"2100C", 'N', "73", "C"};
  if (field == "date_of_birth") return {"2100C", 'N', "58", "C"};
  if (field == "service_date") return {"2100C", 'N', "57", "C"};
  return {"2100C", 'N', "72", "C"};  // member_id, and anything else about the subscriber
}

x12::EligibilityResponse respond_270(Portal& portal, const x12::EligibilityInquiry& inquiry,
                                     bool cannot_respond_now, bool& answered) {
  answered = false;
  x12::EligibilityResponse r;
  r.reference = inquiry.reference;
  r.provider = inquiry.provider;
  if (!inquiry.trace.number.empty()) r.traces.push_back(echo_trace(inquiry.trace));
  r.subscriber = inquiry.subscriber;
  r.date_of_birth = inquiry.date_of_birth;
  r.gender = inquiry.gender;
  const HealthPlan* plan = portal.roster().plan_by_payer_id(inquiry.payer.id);
  if (plan != nullptr) {
    r.payer = x12::Party{"PR", '2', plan->name.substr(0, 60), "", "", "PI", plan->payer_id};
  } else {
    r.payer = inquiry.payer;
  }
  if (cannot_respond_now) {
    r.rejections.push_back({"2000A", 'N', "42", "R"});
    return r;
  }
  answered = true;
  if (plan == nullptr) {
    r.rejections.push_back({"2100A", 'N', "79", "C"});
    return r;
  }
  json::object body{{"member_id", inquiry.subscriber.id},
                    {"first_name", inquiry.subscriber.first},
                    {"last_name", inquiry.subscriber.last_or_org},
                    {"health_plan", plan->id},
                    {"provider_npi", inquiry.provider.id}};
  if (!inquiry.date_of_birth.empty()) body["date_of_birth"] = inquiry.date_of_birth;
  for (const auto& d : inquiry.dates) {
    if (d.qualifier == "291" && !d.from.empty()) {
      body["service_date"] = d.from;
      break;
    }
  }
  auto checked = portal.check_eligibility(body);
  if (!checked) {
    r.rejections.push_back(rejection_of(checked.error()));
    return r;
  }
  const json::object& out = *checked;
  const Member* member =
      portal.roster().member(plan->id, text_of(out.at("member").as_object(), "member_id"));
  if (member != nullptr) {
    r.subscriber = x12::Party{"IL",
                              '1',
                              ascii_name(member->last_name).substr(0, 60),
                              ascii_name(member->first_name).substr(0, 35),
                              "",
                              "MI",
                              member->member_id};
    r.date_of_birth = member->date_of_birth;
    r.gender.clear();
  }
  r.group_number = plan->id;
  r.group_name = plan->name;
  const json::object& coverage = out.at("coverage").as_object();
  r.dates.push_back({"346", text_of(coverage, "start"), ""});
  if (coverage.at("end").is_string()) r.dates.push_back({"347", text_of(coverage, "end"), ""});
  r.dates.push_back({"291", text_of(out, "service_date"), ""});
  x12::Benefit status = benefit(out.at("active").as_bool() ? "1" : "6", "IND", "30");
  status.insurance_type = std::string(insurance_type(plan->type));
  status.plan_description = plan->name.substr(0, 50);
  r.benefits.push_back(std::move(status));
  if (const auto* benefits = out.if_contains("benefits"); benefits && benefits->is_object())
    add_benefits(r.benefits, benefits->as_object());
  return r;
}

// ---- 276 → 277 ---------------------------------------------------------------------------------

// An STC without amounts: what a refused or fruitless inquiry gets.
x12::StatusInfo bare_status(std::string category, std::string status, std::string entity,
                            std::string date) {
  x12::StatusInfo s;
  s.category = std::move(category);
  s.status = std::move(status);
  s.entity = std::move(entity);
  s.effective_date = std::move(date);
  return s;
}

// Where a refused claim status inquiry goes in a 277 (docs/core.md, section 2).
x12::StatusInfo refusal_of(const ApiError& e, const std::string& today) {
  if (const auto* reason = e.extra.if_contains("reject_reason"); reason && reason->is_object()) {
    std::string aaa = text_of(reason->as_object(), "x12_aaa");
    if (aaa == "75") return bare_status("E0", "33", "IL", today);
    if (aaa == "71") return bare_status("E0", "158", "IL", today);
    return bare_status("E0", "164", "IL", today);
  }
  std::string field = first_field(e);
  if (field == "member_id") return bare_status("E0", "164", "IL", today);
  if (field == "date_of_birth") return bare_status("E0", "158", "IL", today);
  if (field == "provider_npi") return bare_status("E0", "153", "1P", today);
  if (field == "service_from" || field == "service_to") return bare_status("E0", "187", "", today);
  return bare_status("E0", "21", "", today);
}

x12::ClaimStatusItem claim_item(const json::object& claim, const x12::ClaimInquiry& inquiry) {
  x12::ClaimStatusItem item;
  item.trace = echo_trace(inquiry.trace);
  std::string category = text_of(claim, "status_category");
  StatusCode code = status_code_of(category);
  x12::StatusInfo s;
  s.category = code.category;
  s.status = code.status;
  s.entity = code.entity;
  s.effective_date = text_of(claim, "status_date");
  s.total_charge = amount_text(claim.at("billed_amount"));
  const bool final = !category.empty() && category[0] == 'F';
  const json::value& paid = claim.at("paid_amount");
  s.paid = paid.is_string() && final ? amount_text(paid) : "0";
  if (final) s.adjudication_date = s.effective_date;
  if (const auto* date = claim.if_contains("paid_date"); date && date->is_string()) {
    s.payment_date = std::string(date->as_string());
    if (const auto* check = claim.if_contains("check_number"); check && check->is_string())
      s.check_number = std::string(check->as_string());
  }
  item.statuses.push_back(s);
  item.payer_claim_number = text_of(claim, "claim_number");
  item.patient_account = inquiry.patient_account;
  item.service = {"472", text_of(claim, "service_from"), text_of(claim, "service_to")};
  if (const auto* lines = claim.if_contains("lines"); lines && lines->is_array()) {
    for (const auto& l : lines->as_array()) {
      const json::object& line = l.as_object();
      x12::ServiceLine sl;
      sl.procedure_qualifier = "HC";
      sl.procedure = text_of(line, "procedure_code");
      sl.charge = amount_text(line.at("billed_amount"));
      if (const auto* units = line.if_contains("units")) sl.units = amount_text(*units);
      sl.statuses.push_back(bare_status(s.category, s.status, s.entity, s.effective_date));
      if (const auto* n = line.if_contains("line")) sl.line_control = amount_text(*n);
      sl.service = item.service;
      item.lines.push_back(std::move(sl));
    }
  }
  return item;
}

x12::ClaimStatusResponse respond_276(Portal& portal, const std::string& user_id,
                                     const x12::ClaimInquiry& inquiry) {
  x12::ClaimStatusResponse r;
  r.reference = inquiry.reference;
  r.payer = inquiry.payer;
  r.receiver = inquiry.receiver;
  r.provider = inquiry.provider;
  r.subscriber = inquiry.subscriber;
  json::object body;
  if (!inquiry.payer_claim_number.empty()) {
    body["claim_number"] = inquiry.payer_claim_number;
  } else {
    body["member_id"] = inquiry.subscriber.id;
    if (!inquiry.date_of_birth.empty()) body["date_of_birth"] = inquiry.date_of_birth;
    body["provider_npi"] = inquiry.provider.id;
    if (!inquiry.service.from.empty()) {
      body["service_from"] = inquiry.service.from;
      body["service_to"] = inquiry.service.to.empty() ? inquiry.service.from : inquiry.service.to;
    }
  }
  auto found = portal.claims().claim_status(user_id, body);
  auto nothing = [&](x12::StatusInfo status) {
    x12::ClaimStatusItem item;
    item.trace = echo_trace(inquiry.trace);
    item.statuses.push_back(std::move(status));
    item.payer_claim_number = inquiry.payer_claim_number;
    item.patient_account = inquiry.patient_account;
    if (!inquiry.service.from.empty())
      item.service = {"472", inquiry.service.from, inquiry.service.to};
    r.claims.push_back(std::move(item));
  };
  std::string today = format_date(chicago_today(portal.now()));
  if (!found) {
    nothing(refusal_of(found.error(), today));
    return r;
  }
  const auto& claims = found->at("claims").as_array();
  if (claims.empty()) {
    nothing(bare_status("A4", "35", "", today));
    return r;
  }
  for (const auto& c : claims) r.claims.push_back(claim_item(c.as_object(), inquiry));
  return r;
}

}  // namespace

StatusCode status_code_of(std::string_view category) {
  static const StatusCode k_codes[] = {{"A1", "19", "PR"}, {"A2", "20", "PR"}, {"P1", "38", "PR"},
                                       {"P2", "46", "PR"}, {"P3", "21", "1P"}, {"P4", "21", "QC"},
                                       {"F1", "65", "PR"}, {"F2", "1", "PR"},  {"F3", "101", "PR"},
                                       {"F4", "104", "PR"}};
  for (const auto& c : k_codes) {
    if (c.category == category) return c;
  }
  std::string status = category.empty()     ? "1"
                       : category[0] == 'A' ? "20"
                       : category[0] == 'P' ? "38"
                                            : "1";
  return {std::string(category), status, "PR"};
}

CoreAnswer answer_270(Portal& portal, std::string_view payload, const RequestInterchange& request,
                      ControlAllocator& numbers, bool cannot_respond_now) {
  std::vector<x12::EligibilityResponse> responses;
  CoreAnswer answer;
  auto reader = x12::Reader::from_memory(payload);
  auto summary = x12::read_270(reader, [&](x12::EligibilityInquiry&& inquiry, const x12::Segment&) {
    bool answered = false;
    responses.push_back(respond_270(portal, inquiry, cannot_respond_now, answered));
    if (answered && !inquiry.trace.number.empty()) answer.answered.push_back(inquiry.trace.number);
    return true;
  });
  if (responses.empty()) {
    answer.problems = std::move(summary.problems);
    return answer;
  }
  answer.payload =
      answer_interchange(request, numbers, portal.now(), "HB", "005010X279A1", [&](x12::Writer& w) {
        for (const auto& r : responses) x12::write_271(w, numbers.transaction(), r);
      });
  return answer;
}

CoreAnswer answer_276(Portal& portal, const std::string& user_id, std::string_view payload,
                      const RequestInterchange& request, ControlAllocator& numbers) {
  std::vector<x12::ClaimStatusResponse> responses;
  CoreAnswer answer;
  auto reader = x12::Reader::from_memory(payload);
  auto summary = x12::read_276(reader, [&](x12::ClaimInquiry&& inquiry, const x12::Segment&) {
    responses.push_back(respond_276(portal, user_id, inquiry));
    if (!inquiry.trace.number.empty()) answer.answered.push_back(inquiry.trace.number);
    return true;
  });
  if (responses.empty()) {
    answer.problems = std::move(summary.problems);
    return answer;
  }
  answer.payload =
      answer_interchange(request, numbers, portal.now(), "HN", "005010X212", [&](x12::Writer& w) {
        for (const auto& r : responses) x12::write_277(w, numbers.transaction(), r);
      });
  return answer;
}

}  // namespace portal::sandbox
