#include "sandbox/core.hpp"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

#include "caqh/envelope.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/maintenance.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/clearinghouse.hpp"
#include "sandbox/core_answers.hpp"
#include "x12/validate.hpp"

namespace portal::sandbox {

namespace {

constexpr std::string_view k_270_request = "X12_270_Request_005010X279A1";
constexpr std::string_view k_276_request = "X12_276_Request_005010X212";
// The 278's are not in the vC2.2.0 table: they follow the others' request/response pattern with
// the guide's errata ID (docs/core.md, section 9).
constexpr std::string_view k_278_request = "X12_278_Request_005010X217E1_2";
constexpr std::string_view k_278_response = "X12_278_Response_005010X217E1_2";
// The 275 that carries a 278's attachments, named the same way (docs/core.md, section 9.2);
// answered with a 999.
constexpr std::string_view k_275_request = "X12_275_Request_005010X210E1_2";
constexpr std::string_view k_271_response = "X12_271_Response_005010X279A1";
constexpr std::string_view k_277_response = "X12_277_Response_005010X212";
constexpr std::string_view k_999_response = "X12_999_Response_005010X231A1";
constexpr std::string_view k_ta1_response = "X12_TA1_Response_00501X231A1";
constexpr std::string_view k_error_payload_type = "CoreEnvelopeError";

// The requests served, as SOAP operations (soapAction) and CORE messages.
constexpr caqh::Message k_served[] = {
    caqh::Message::real_time_request, caqh::Message::batch_submission,
    caqh::Message::batch_ack_request, caqh::Message::batch_results_request,
    caqh::Message::batch_results_ack};

bool is_batch(caqh::Message m) { return m != caqh::Message::real_time_request; }

// The response message of a request.
caqh::Message response_of(caqh::Message m) {
  switch (m) {
    case caqh::Message::batch_submission:
      return caqh::Message::batch_submission_response;
    case caqh::Message::batch_ack_request:
      return caqh::Message::batch_ack_response;
    case caqh::Message::batch_results_request:
      return caqh::Message::batch_results_response;
    case caqh::Message::batch_results_ack:
      return caqh::Message::batch_results_ack_response;
    default:
      return caqh::Message::real_time_response;
  }
}

// How the request came, so the answer goes back the same way.
struct Transport {
  bool soap = true;
  bool text_xml = false;  // SOAP sent as text/xml with SOAPAction
  std::string content_type;
};

std::string media_type(std::string_view content_type) {
  return util::lower(util::trim(content_type.substr(0, content_type.find(';'))));
}

// Whether a SOAPAction header or an action parameter names an operation served here: the name,
// quoted or not, or a URI ending in it.
bool names_served(std::string_view action) {
  action = util::trim(action);
  if (action.size() >= 2 && action.front() == '"' && action.back() == '"')
    action = action.substr(1, action.size() - 2);
  for (caqh::Message m : k_served) {
    const std::string_view op = caqh::soap_action(m);
    if (action.size() >= op.size() && action.substr(action.size() - op.size()) == op &&
        (action.size() == op.size() ||
         std::string_view("/#:").find(action[action.size() - op.size() - 1]) !=
             std::string_view::npos))
      return true;
  }
  return false;
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
      m_traces(portal.database_file()),
      m_batches(portal.database_file()) {}

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
      if (!action.empty() && !names_served(action))
        return refusal(t, 400, "env:Sender",
                       "only RealTimeTransaction and the four batch operations are served here "
                       "(action " +
                           quotable(util::trim(action)) + ")");
    } else if (media == "text/xml") {
      const std::string* action = req.find_header("soapaction");
      if (action == nullptr)
        return refusal(t, 400, "env:Sender",
                       "a text/xml request needs a SOAPAction header naming its operation "
                       "(RealTimeTransaction, BatchSubmitTransaction...)");
      if (!names_served(*action))
        return refusal(t, 400, "env:Sender",
                       "only RealTimeTransaction and the four batch operations are served here "
                       "(SOAPAction " +
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
  if (std::find(std::begin(k_served), std::end(k_served), seen.message) == std::end(k_served)) {
    return refusal(t, 400, "env:Sender",
                   "only the CORE requests are served here (COREEnvelopeRealTimeRequest and the "
                   "batch requests), not " +
                       std::string(caqh::root_name(seen.message)));
  }

  // Every answer from here is a CORE envelope.
  auto answer = [&](int status, std::string_view payload_type, std::string payload,
                    std::string_view code, std::string message) {
    caqh::Envelope e;
    e.message = response_of(seen.message);
    e.payload_type = std::string(payload_type);
    e.processing_mode = is_batch(seen.message) ? "Batch" : "RealTime";
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

  const std::string_view mode = is_batch(seen.message) ? "Batch" : "RealTime";
  if (!seen.processing_mode.empty() && seen.processing_mode != mode) {
    return envelope_error("ProcessingModeIllegal",
                          std::string(caqh::root_name(seen.message)) + " takes ProcessingMode " +
                              std::string(mode) + ", not " + seen.processing_mode);
  }
  if (!parsed.envelope) return envelope_error(parsed.error_code, parsed.problem);
  const caqh::Envelope& request = *parsed.envelope;
  if (auto bad = caqh::check_values(request)) return envelope_error(bad->code, bad->message);
  if (is_batch(request.message)) {
    BatchReply reply = batch(request, *user);
    return answer(200, reply.payload_type, std::move(reply.payload), reply.error_code,
                  std::move(reply.error_message));
  }
  std::string set_id;
  if (request.payload_type == k_270_request)
    set_id = "270";
  else if (request.payload_type == k_276_request)
    set_id = "276";
  else if (request.payload_type == k_278_request)
    set_id = "278";
  else if (request.payload_type == k_275_request)
    set_id = "275";
  else
    return envelope_error("PayloadTypeIllegal",
                          "PayloadType must be " + std::string(k_270_request) + ", " +
                              std::string(k_276_request) + ", " + std::string(k_278_request) +
                              " or " + std::string(k_275_request) + ", not \"" +
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

  if (set_id == "275") {
    // The documents go to their orders; the 999 accepts them, or names the TRN or BIN refused.
    x12::Report attached;
    attached.findings = attach_275(m_portal, *user, payload);
    return acknowledge(attached);
  }
  CoreAnswer answered = set_id == "270"   ? answer_270(m_portal, payload, shape, m_numbers,
                                                       req.fault == FaultKind::core_unavailable)
                        : set_id == "276" ? answer_276(m_portal, *user, payload, shape, m_numbers)
                                          : answer_278(m_portal, *user, payload, shape, m_numbers);
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
  const std::string_view response_type = set_id == "270"   ? k_271_response
                                         : set_id == "276" ? k_277_response
                                                           : k_278_response;
  return answer(200, response_type, std::move(answered.payload), "Success",
                "Envelope was processed successfully.");
}

CoreEndpoint::BatchReply CoreEndpoint::batch(const caqh::Envelope& request,
                                             const std::string& user) {
  auto refused = [](std::string code, std::string message) {
    return BatchReply{std::string(k_error_payload_type), {}, std::move(code), std::move(message)};
  };
  auto ok = [](std::string_view type, std::string payload) {
    return BatchReply{std::string(type), std::move(payload), "Success",
                      "Envelope was processed successfully."};
  };
  if (request.message == caqh::Message::batch_submission) {
    std::string set_id;
    if (request.payload_type == k_270_request)
      set_id = "270";
    else if (request.payload_type == k_276_request)
      set_id = "276";
    else
      return refused("PayloadTypeIllegal", "a batch submission's PayloadType must be " +
                                               std::string(k_270_request) + " or " +
                                               std::string(k_276_request) + ", not \"" +
                                               request.payload_type + "\"");
    const std::string sum = util::lower(request.checksum);
    std::lock_guard lock(m_batches.mutex());
    if (auto kept = m_batches.find(request.payload_id)) {
      if (kept->user_id != user || kept->checksum != sum)
        return refused("PayloadIDIllegal", "PayloadID " + request.payload_id +
                                               " was used for another payload; send a new "
                                               "payload under a new PayloadID");
      // A resend of what was received (the submitter did not learn that it went): answered as
      // before, not processed again.
      m_batches.resubmitted(request.payload_id);
      return ok(request.payload_type, {});
    }
    const SysTime now = m_portal.now();
    BatchAnswers answers = answer_batch(m_portal, user, request.payload, m_numbers, now);
    CoreBatch b;
    b.payload_id = request.payload_id;
    b.user_id = user;
    b.checksum = sum;
    b.set_id = set_id;
    b.received_at = now.time_since_epoch().count();
    for (auto& a : answers.answers) {
      if (a.kind == "TA1" || a.kind == "999") {
        b.ack_type = a.kind;
        b.ack += a.bytes;
      } else if (a.set_id == set_id) {
        b.results += a.bytes;
        for (const auto& trace : a.traces) m_traces.record(user, a.sender, set_id, trace, now);
      }
    }
    if (b.ack_type.empty()) b.ack_type = "TA1";
    m_batches.add(b);
    spdlog::info("CORE batch {}: {} sets, {} accepted", b.payload_id, answers.sets,
                 answers.accepted);
    return ok(request.payload_type, {});
  }

  // The retrievals name the submission by its PayloadID.
  auto kept = m_batches.find(request.payload_id);
  if (!kept || kept->user_id != user)
    return refused("PayloadIDIllegal", "no batch submission of this account has PayloadID " +
                                           request.payload_id +
                                           ": a retrieval names the PayloadID of its submission");
  if (request.message == caqh::Message::batch_ack_request) {
    if (request.payload_type != caqh::k_batch_ack_retrieval)
      return refused("PayloadTypeIllegal", "an acknowledgement retrieval's PayloadType is " +
                                               std::string(caqh::k_batch_ack_retrieval));
    return ok(kept->ack_type == "999" ? k_999_response : k_ta1_response, kept->ack);
  }
  const std::string_view results_type =
      kept->set_id == "270" ? caqh::k_batch_results_271 : caqh::k_batch_results_277;
  if (request.message == caqh::Message::batch_results_request) {
    if (request.payload_type != results_type)
      return refused("PayloadTypeIllegal",
                     "the results of this submission are retrieved with PayloadType " +
                         std::string(results_type));
    const auto delay = m_portal.settings().core_batch_delay_seconds;
    const auto due = kept->received_at + delay;
    if (m_portal.now().time_since_epoch().count() < due)
      return refused("ResultsNotReady", "the results are not ready yet; ask again after " +
                                            format_iso8601(SysTime(std::chrono::seconds(due))));
    m_batches.results_retrieved(kept->payload_id);
    return ok(kept->set_id == "270" ? k_271_response : k_277_response, kept->results);
  }
  // BatchResultsAckSubmitTransaction: the receipt of the results confirmed.
  if (request.payload_type != caqh::k_batch_ack_submission)
    return refused("PayloadTypeIllegal", "a results acknowledgement's PayloadType is " +
                                             std::string(caqh::k_batch_ack_submission));
  m_batches.results_acked(kept->payload_id);
  return ok(request.payload_type, {});
}

}  // namespace portal::sandbox
