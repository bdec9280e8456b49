#include "sandbox/core.hpp"

#include <spdlog/spdlog.h>

#include "caqh/envelope.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/maintenance.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/core_answers.hpp"
#include "x12/validate.hpp"

namespace portal::sandbox {

namespace {

constexpr std::string_view k_270_request = "X12_270_Request_005010X279A1";
constexpr std::string_view k_276_request = "X12_276_Request_005010X212";
constexpr std::string_view k_271_response = "X12_271_Response_005010X279A1";
constexpr std::string_view k_277_response = "X12_277_Response_005010X212";
constexpr std::string_view k_999_response = "X12_999_Response_005010X231A1";
constexpr std::string_view k_ta1_response = "X12_TA1_Response_00501X231A1";
constexpr std::string_view k_error_payload_type = "CoreEnvelopeError";
constexpr std::string_view k_operation = "RealTimeTransaction";

// How the request came, so the answer goes back the same way.
struct Transport {
  bool soap = true;
  bool text_xml = false;  // SOAP sent as text/xml with SOAPAction
  std::string content_type;
};

std::string media_type(std::string_view content_type) {
  return util::lower(util::trim(content_type.substr(0, content_type.find(';'))));
}

// Whether a SOAPAction header or an action parameter names the real-time operation: the name,
// quoted or not, or a URI ending in it.
bool names_real_time(std::string_view action) {
  action = util::trim(action);
  if (action.size() >= 2 && action.front() == '"' && action.back() == '"')
    action = action.substr(1, action.size() - 2);
  return action.size() >= k_operation.size() &&
         action.substr(action.size() - k_operation.size()) == k_operation &&
         (action.size() == k_operation.size() ||
          std::string_view("/#:").find(action[action.size() - k_operation.size() - 1]) !=
              std::string_view::npos);
}

// A transport-level refusal: a SOAP 1.2 fault, or one line of text for MIME.
HttpResponse refusal(const Transport& t, int status, std::string_view fault_code,
                     const std::string& reason) {
  HttpResponse r;
  r.status = status;
  if (t.soap) {
    r.content_type = t.text_xml ? "text/xml; charset=UTF-8" : "application/soap+xml; charset=UTF-8";
    r.body = caqh::soap_fault({std::string(fault_code), reason});
  } else {
    r.content_type = "text/plain; charset=UTF-8";
    r.body = reason + "\n";
  }
  return r;
}

}  // namespace

CoreEndpoint::CoreEndpoint(Portal& portal)
    : m_portal(portal),
      m_numbers(portal.database_file().parent_path() / "x12-control"),
      m_traces(portal.database_file()) {}

bool CoreEndpoint::serves(std::string_view path) {
  return path == k_core_soap_path || path == k_core_mime_path;
}

HttpResponse CoreEndpoint::handle(const HttpRequest& req) {
  Transport t;
  t.soap = req.path == k_core_soap_path;
  t.content_type = req.header("content-type");
  const std::string media = media_type(t.content_type);
  t.text_xml = t.soap && media == "text/xml";

  if (req.method != "POST") {
    HttpResponse r = refusal(t, 405, "env:Sender", "use POST");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (t.soap) {
    if (media == "application/soap+xml") {
      const std::string lowered = util::lower(t.content_type);
      const auto at = lowered.find("action=");
      std::string action = at == std::string::npos ? std::string() : t.content_type.substr(at + 7);
      action = action.substr(0, action.find(';'));
      if (!action.empty() && !names_real_time(action))
        return refusal(t, 400, "env:Sender",
                       "only the RealTimeTransaction operation is served here (action " +
                           quotable(util::trim(action)) + ")");
    } else if (media == "text/xml") {
      const std::string* action = req.find_header("soapaction");
      if (action == nullptr)
        return refusal(t, 400, "env:Sender",
                       "a text/xml request needs a SOAPAction header naming RealTimeTransaction");
      if (!names_real_time(*action))
        return refusal(t, 400, "env:Sender",
                       "only the RealTimeTransaction operation is served here (SOAPAction " +
                           quotable(util::trim(*action)) + ")");
    } else {
      return refusal(t, 415, "env:Sender",
                     "send SOAP 1.2 as application/soap+xml, or text/xml with a SOAPAction header");
    }
  } else if (media != "multipart/form-data") {
    return refusal(t, 415, "env:Sender", "send the CORE MIME envelope as multipart/form-data");
  }

  auto [now, settings] = m_portal.now_and_settings();
  if (settings.maintenance_window) {
    if (auto end = maintenance_window_end(now)) {
      auto retry = std::chrono::duration_cast<std::chrono::seconds>(*end - now).count();
      HttpResponse r = refusal(
          t, 503, "env:Receiver",
          "the portal is down for scheduled maintenance until " + describe_chicago_time(*end) +
              "; urgent requests: call the health plan at " + settings.support_phone);
      r.headers.emplace_back("Retry-After", std::to_string(retry));
      return r;
    }
  }

  caqh::Parsed parsed = t.soap ? caqh::from_soap(req.body, req.body.size() + 1)
                               : caqh::from_mime(t.content_type, req.body);
  if (parsed.fault) return refusal(t, 400, "env:Sender", "a request cannot be a SOAP fault");
  if (!parsed.envelope && !parsed.incomplete) {
    return refusal(t, 400, "env:Sender", "the CORE envelope cannot be read: " + parsed.problem);
  }
  const caqh::Envelope& seen = parsed.envelope ? *parsed.envelope : *parsed.incomplete;
  if (t.soap && seen.message != caqh::Message::real_time_request) {
    return refusal(t, 400, "env:Sender",
                   "only COREEnvelopeRealTimeRequest is served here, not " +
                       std::string(caqh::root_name(seen.message)));
  }

  // Every answer from here is a CORE envelope.
  auto answer = [&](int status, std::string_view payload_type, std::string payload,
                    std::string_view code, std::string message) {
    caqh::Envelope e;
    e.message = caqh::Message::real_time_response;
    e.payload_type = std::string(payload_type);
    e.processing_mode = "RealTime";
    e.payload_id = seen.payload_id.empty() ? caqh::new_payload_id() : seen.payload_id;
    e.timestamp = format_iso8601(m_portal.now());
    e.sender_id = std::string(k_core_sender_id);
    e.receiver_id = seen.sender_id;
    e.payload = std::move(payload);
    e.error_code = std::string(code);
    e.error_message = std::move(message);
    HttpResponse r;
    r.status = status;
    if (t.soap) {
      r.content_type =
          t.text_xml ? "text/xml; charset=UTF-8" : "application/soap+xml; charset=UTF-8";
      r.body = caqh::to_soap(e);
    } else {
      std::string boundary = caqh::new_boundary();
      r.content_type = caqh::mime_content_type(boundary);
      r.body = caqh::to_mime(e, boundary);
    }
    spdlog::debug("CORE {} {} {} {}", req.path, status, code, payload_type);
    return r;
  };
  auto envelope_error = [&](std::string_view code, std::string message) {
    return answer(200, k_error_payload_type, {}, code, std::move(message));
  };

  // Who asks: a UsernameToken (or the MIME form's UserName/Password), else the account a client
  // certificate verified in the TLS handshake names.
  const bool has_token = parsed.credentials && !parsed.credentials->username.empty();
  if (!has_token && req.client_subject.empty()) {
    return answer(401, k_error_payload_type, {}, "UnAuthorized",
                  t.soap ? "no credentials: send a WS-Security UsernameToken with a PasswordText "
                           "password (a portal account's email and password), or connect with "
                           "a client certificate issued for the account"
                         : "no credentials: send the UserName and Password parts (a portal "
                           "account's email and password), or connect with a client "
                           "certificate issued for the account");
  }
  auto user = has_token ? m_portal.signin().verify_credentials(parsed.credentials->username,
                                                               parsed.credentials->password)
                        : m_portal.signin().verify_certificate_holder(req.client_subject);
  if (!user) return answer(401, k_error_payload_type, {}, "UnAuthorized", user.error().message);

  if (!seen.processing_mode.empty() && seen.processing_mode != "RealTime") {
    return envelope_error("ProcessingModeIllegal", "only RealTime is served here (ProcessingMode " +
                                                       seen.processing_mode + ")");
  }
  if (!parsed.envelope) return envelope_error(parsed.error_code, parsed.problem);
  const caqh::Envelope& request = *parsed.envelope;
  if (auto bad = caqh::check_values(request)) return envelope_error(bad->code, bad->message);
  std::string set_id;
  if (request.payload_type == k_270_request)
    set_id = "270";
  else if (request.payload_type == k_276_request)
    set_id = "276";
  else
    return envelope_error("PayloadTypeIllegal", "PayloadType must be " +
                                                    std::string(k_270_request) + " or " +
                                                    std::string(k_276_request) + ", not \"" +
                                                    request.payload_type + "\"");

  // The X12: an envelope that cannot be read gets a TA1, a guide's finding a 999.
  const std::string& payload = request.payload;
  RequestInterchange shape = read_request_interchange(payload);
  auto acknowledge = [&](const x12::Report& report) {
    if (interchange_broken(report))
      return answer(200, k_ta1_response,
                    write_ta1_answer(shape, payload, report, m_numbers, m_portal.now()), "Success",
                    "Envelope was processed successfully.");
    return answer(200, k_999_response,
                  write_999_answer(shape, payload, report, m_numbers, m_portal.now()), "Success",
                  "Envelope was processed successfully.");
  };
  x12::ValidateOptions options;
  options.require_guide = true;
  x12::Report report = x12::validate(payload, options);
  if (!report.ok()) return acknowledge(report);
  for (const auto& s : shape.sets) {
    if (s.st01 != set_id)
      return envelope_error("PayloadTypeIllegal",
                            "the payload holds a " + s.st01 + " but PayloadType names a " + set_id);
  }
  if (shape.sets.empty())
    return envelope_error("PayloadTypeIllegal", "the payload holds no " + set_id);

  CoreAnswer answered = set_id == "270" ? answer_270(m_portal, payload, shape, m_numbers,
                                                     req.fault == FaultKind::core_unavailable)
                                        : answer_276(m_portal, *user, payload, shape, m_numbers);
  if (answered.empty()) {
    x12::Report problems;
    problems.findings = std::move(answered.problems);
    if (problems.findings.empty()) {
      x12::Error e;
      e.code = x12::ErrorCode::missing_segment;
      e.segment_position = shape.sets.front().first;
      e.segment_id = "ST";
      e.reason = "no inquiry could be read";
      problems.findings.push_back(std::move(e));
    }
    return acknowledge(problems);
  }
  const SysTime answered_at = m_portal.now();
  for (const std::string& trace : answered.answered)
    m_traces.record(*user, shape.isa06, set_id, trace, answered_at);
  return answer(200, set_id == "270" ? k_271_response : k_277_response, std::move(answered.payload),
                "Success", "Envelope was processed successfully.");
}

}  // namespace portal::sandbox
