#include "portal/wire/x12_core/x12_core.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iterator>

#include "caqh/envelope.hpp"
#include "portal/records/content_type.hpp"
#include "portal/util/clock.hpp"
#include "portal/wire/x12/controls.hpp"
#include "x12/ack.hpp"

namespace portal::wire::x12_core {

namespace json = boost::json;

namespace {

constexpr std::uint32_t k_block = 256;  // control numbers reserved per store update
// Payloads read by transient() kept for result() (above any run's concurrency).
constexpr std::size_t k_kept_answers = 256;

// The path of an https:// URL ("/core/soap"), "/" when it has none.
std::string path_of(std::string_view url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  return slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
}

std::string_view request_payload_type(Function f) {
  switch (f) {
    case Function::eligibility:
      return "X12_270_Request_005010X279A1";
    case Function::claim_inquiry:
      return "X12_276_Request_005010X212";
    default:
      // Not in vC2.2.0's table: the 270/276 pattern with the guide's errata ID (docs/core.md, 9).
      return "X12_278_Request_005010X217E1_2";
  }
}

// A 275 carrying a 278's attachment: named as the 278's are (docs/core.md, section 9.2).
constexpr std::string_view k_275_payload_type = "X12_275_Request_005010X210E1_2";

// The largest document a 275 carries: its base64 (4/3 the bytes) within the 64 MiB a BIN may hold.
constexpr std::uintmax_t k_275_max_document = std::uintmax_t{48} << 20;

// The functions whose records are cases: each a 278, always sent in real time.
bool is_case(Function f) {
  return f == Function::case_submission || f == Function::case_cancel || f == Function::case_update;
}

// The 278 of a case record (a request for review), a cancellation or a revision.
x12w::Checked<x12::ServiceReview> review_of(Function f, const json::object& record,
                                            const x12w::Payers& payers,
                                            const x12w::Parties& parties, std::string_view trace) {
  if (f == Function::case_cancel) return x12w::cancel_review(record, payers, parties, trace);
  if (f == Function::case_update) return x12w::revision_review(record, payers, parties, trace);
  return x12w::service_review(record, payers, parties, trace);
}

std::string timestamp_now() {
  auto t = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  return format_iso8601(t);
}

}  // namespace

X12Core::X12Core(Settings settings) : X12Core(std::move(settings), Options()) {}

X12Core::X12Core(Settings settings, Options options)
    : m_settings(std::move(settings)), m_options(options) {
  m_batch = m_settings.core_mode == "batch";
  if (m_options.sets_per_interchange == 0) m_options.sets_per_interchange = 1;
  m_parties.sender_id = m_settings.sender_id;
  m_parties.receiver_id = m_settings.receiver_id;
  m_parties.usage = m_settings.usage_indicator == "P" ? 'P' : 'T';
  m_url_path = path_of(endpoint());
  m_mime = m_settings.core_form == "mime";
}

std::string_view X12Core::name() const { return "x12-core"; }

std::string X12Core::endpoint() const {
  if (!m_settings.endpoint.empty()) return m_settings.endpoint;
  std::string base = m_settings.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + (m_settings.core_form == "mime" ? "/core/mime" : "/core/soap");
}

bool X12Core::carries(Function f) const {
  return f == Function::eligibility || f == Function::claim_inquiry || is_case(f);
}

Expected<void> X12Core::load() const {
  std::lock_guard lock(m_mutex);
  if (m_loaded) {
    if (m_load_error) return tl::unexpected(*m_load_error);
    return {};
  }
  m_loaded = true;
  auto failed = [&](Error e) -> Expected<void> {
    m_load_error = e;
    return tl::unexpected(std::move(e));
  };
  if (m_settings.sender_id.empty() || m_settings.sender_id.size() > 15) {
    return failed(Error(ErrorKind::usage,
                        "the x12-core wire needs the profile's sender_id (1 to 15 characters: "
                        "ISA06 and the CORE SenderID)",
                        "provportal config set sender_id YOUR_SUBMITTER_ID"));
  }
  if (m_settings.receiver_id.empty() || m_settings.receiver_id.size() > 15) {
    return failed(Error(ErrorKind::usage,
                        "the x12-core wire needs the profile's receiver_id (1 to 15 characters: "
                        "ISA08 and the CORE ReceiverID)",
                        "provportal config set receiver_id THE_PAYERS_OR_CLEARINGHOUSES_ID"));
  }
  if (m_settings.payers_file.empty()) {
    return failed(Error(ErrorKind::usage,
                        "the x12-core wire needs the profile's payers_file (health plans to "
                        "payer IDs)",
                        "provportal config set payers_file examples/payers.yaml (edit it for "
                        "your clearinghouse's payer IDs)"));
  }
  auto payers = x12w::Payers::load(m_settings.payers_file);
  if (!payers) return failed(payers.error());
  m_payers = std::move(*payers);
  auto store = x12w::open_control_numbers(m_settings.state_dir, m_settings.sender_id);
  if (!store) return failed(store.error());
  m_controls.emplace(std::move(*store));
  return {};
}

Expected<void> X12Core::ready(Function f) const {
  if (!carries(f)) return fail(not_carried(*this, function_name(f)));
  return load();
}

std::vector<FieldError> X12Core::check(Function f, const json::object& record) const {
  if (!load() || !m_payers) return {};  // ready() reported it
  const auto trace = x12w::trace_of("check");
  if (f == Function::eligibility) {
    auto q = x12w::eligibility_inquiry(record, *m_payers, m_parties, trace);
    if (!q) return q.error();
  } else if (f == Function::claim_inquiry) {
    auto q = x12w::claim_inquiry(record, *m_payers, m_parties, trace);
    if (!q) return q.error();
  } else if (is_case(f)) {
    auto r = review_of(f, record, *m_payers, m_parties, trace);
    if (!r) return r.error();
  }
  return {};
}

// A case may carry attachments after its 278: an exchange of its own.
bool X12Core::one_request(Function f) const { return !m_batch && !is_case(f); }

Expected<x12w::Controls> X12Core::next_controls() const {
  std::lock_guard lock(m_mutex);
  if (!m_controls) return fail(ErrorKind::internal, "the X12 control numbers are not open");
  if (m_block_left == 0) {
    auto block = m_controls->reserve(k_block, k_block, 0);
    if (!block) {
      return fail(ErrorKind::unavailable,
                  "cannot reserve X12 control numbers: " + ::x12::to_string(block.error()));
    }
    m_block = *block;
    m_block_left = k_block;
  }
  x12w::Controls c{m_block.interchange, m_block.group, 1};
  m_block.interchange = ::x12::next_control(m_block.interchange);
  m_block.group = ::x12::next_control(m_block.group);
  --m_block_left;
  return c;
}

http::Request X12Core::request(Function f, const json::object& record, const Inputs&,
                               std::string_view key) const {
  http::Request req;
  req.method = "POST";
  req.target = m_url_path;
  // What cannot be built (checked before: only a store that cannot be written) goes out as an
  // empty body the engine reports; it never sends a half-built interchange.
  if (!load() || !m_payers) return req;
  const std::string trace = x12w::trace_of(key);
  auto controls = next_controls();
  if (!controls) return req;
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  Expected<std::string> payload = fail(ErrorKind::internal, "no payload");
  const std::string receiver = receiver_of(record);
  if (f == Function::eligibility) {
    auto q = x12w::eligibility_inquiry(record, *m_payers, m_parties, trace);
    if (!q) return req;
    payload = x12w::interchange_270(*q, m_parties, receiver, *controls, now);
  } else if (f == Function::claim_inquiry) {
    auto q = x12w::claim_inquiry(record, *m_payers, m_parties, trace);
    if (!q) return req;
    payload = x12w::interchange_276(*q, m_parties, receiver, *controls, now);
  } else {
    auto r = review_of(f, record, *m_payers, m_parties, trace);
    if (!r) return req;
    payload = x12w::interchange_278(*r, m_parties, receiver, *controls, now);
  }
  if (!payload) return req;
  return core_request(std::move(*payload), request_payload_type(f), receiver, *controls, trace);
}

std::string X12Core::receiver_of(const json::object& record) const {
  const auto* v = record.if_contains("health_plan");
  const auto* payer =
      v && v->is_string() && m_payers ? m_payers->of_plan(v->get_string()) : nullptr;
  return payer && !payer->receiver_id.empty() ? payer->receiver_id : m_parties.receiver_id;
}

http::Request X12Core::core_request(std::string payload, std::string_view payload_type,
                                    const std::string& receiver, const x12w::Controls& controls,
                                    std::string_view trace) const {
  http::Request req;
  req.method = "POST";
  req.target = m_url_path;
  caqh::Envelope env;
  env.message = caqh::Message::real_time_request;
  env.payload_type = std::string(payload_type);
  env.processing_mode = "RealTime";
  env.payload_id = caqh::new_payload_id();
  env.timestamp = timestamp_now();
  env.sender_id = m_settings.sender_id;
  env.receiver_id = receiver;
  env.payload = std::move(payload);
  std::optional<caqh::Credentials> credentials;
  {
    std::lock_guard lock(m_mutex);
    credentials = this->credentials();
  }
  char number[16];
  std::snprintf(number, sizeof number, "%09u", controls.interchange);
  req.audit = {{"x12_isa13", number},
               {"x12_gs06", std::to_string(controls.group)},
               {"x12_st02", "0001"},
               {"x12_trn02", std::string(trace)},
               {"core_payload_id", env.payload_id}};
  if (m_mime) {
    const std::string boundary = "provportal-" + env.payload_id;
    req.body = caqh::to_mime(env, boundary, credentials ? &*credentials : nullptr);
    req.headers = {{"Content-Type", caqh::mime_content_type(boundary)}, {"Accept", "*/*"}};
  } else {
    req.body = caqh::to_soap(env, credentials ? &*credentials : nullptr);
    req.headers = {{"Content-Type", caqh::soap_content_type(env.message)},
                   {"Accept", "application/soap+xml, text/xml"}};
  }
  return req;
}

Expected<std::string> X12Core::payload_of(const http::Response& answer) const {
  const std::string type = answer.header("content-type");
  caqh::Parsed parsed = type.find("multipart/") != std::string::npos
                            ? caqh::from_mime(type, answer.body)
                            : caqh::from_soap(answer.body);
  if (parsed.fault) {
    return fail(ErrorKind::refused, "the CORE endpoint answered with a SOAP fault (" +
                                        parsed.fault->code + "): " + parsed.fault->reason);
  }
  if (!parsed.envelope) {
    return fail(ErrorKind::unavailable,
                "the CORE endpoint's answer cannot be read: " + parsed.problem);
  }
  const auto& env = *parsed.envelope;
  if (!env.error_code.empty() && env.error_code != "Success") {
    return fail(ErrorKind::refused,
                "the CORE endpoint refused the envelope (" + env.error_code +
                    (env.error_message.empty() ? "" : ": " + env.error_message) + ")");
  }
  if (env.payload.empty()) {
    return fail(ErrorKind::unavailable, "the CORE endpoint's answer has no payload");
  }
  return env.payload;
}

void X12Core::keep_payload(const http::Response& answer, const std::string& payload) const {
  std::lock_guard lock(m_read_mutex);
  // More than the lanes of a run are in flight only when answers were never taken (a run that
  // stopped): the oldest go.
  if (m_read.size() >= k_kept_answers) m_read.pop_front();
  m_read.push_back({answer.body, payload});
}

std::optional<std::string> X12Core::take_payload(const http::Response& answer) const {
  std::lock_guard lock(m_read_mutex);
  for (auto it = m_read.rbegin(); it != m_read.rend(); ++it) {
    if (it->body != answer.body) continue;
    std::string payload = std::move(it->payload);
    m_read.erase(std::next(it).base());
    return payload;
  }
  return std::nullopt;
}

std::optional<std::string> X12Core::transient(Function f, const http::Response& answer) const {
  if (answer.status < 200 || answer.status >= 300) return std::nullopt;
  // Batch mode's submissions and retrievals are not answers to one row.
  if (m_batch && !is_case(f)) return std::nullopt;
  auto payload = payload_of(answer);
  if (!payload) return std::nullopt;
  auto busy = x12w::payer_busy(f, *payload);
  if (!busy) keep_payload(answer, *payload);
  return busy;
}

Result X12Core::result(Function f, const http::Response& answer, json::storage_ptr storage) const {
  return read_result(f, answer, json::object(), std::move(storage));
}

Result X12Core::read_result(Function f, const http::Response& answer, const json::object& record,
                            json::storage_ptr storage) const {
  Expected<std::string> payload = fail(ErrorKind::internal, "no payload");
  if (auto kept = take_payload(answer)) {
    payload = std::move(*kept);
  } else {
    payload = payload_of(answer);
  }
  if (!payload) {
    Result out;
    out.http_status = answer.status;
    out.outcome = payload.error().kind == ErrorKind::refused ? "rejected" : "failed";
    out.code = answer.status == 401 ? "unauthorized" : "core_error";
    out.message = payload.error().message;
    return out;
  }
  if (!load() || !m_payers) {
    Result out;
    out.outcome = "failed";
    out.message = "the payers file could not be read";
    return out;
  }
  auto out = x12w::read_answer(f, *payload, record, *m_payers, std::move(storage));
  out.http_status = answer.status;
  return out;
}

bool X12Core::answer_verbatim(Function) const { return false; }

std::optional<caqh::Credentials> X12Core::credentials() const {
  if (m_settings.username.empty() || !m_settings.password) return std::nullopt;
  if (!m_password) {
    if (auto pw = m_settings.password()) m_password = std::move(*pw);
  }
  if (!m_password) return std::nullopt;
  return caqh::Credentials{m_settings.username, *m_password};
}

Result X12Core::exchange(Function f, Exchange& exchange, const Inputs& inputs) const {
  if (m_batch && !is_case(f)) return batch_exchange(f, exchange);
  if (f == Function::case_submission) {
    // What cannot follow as a 275 is refused before the 278 makes an order.
    if (auto problems = attachment_problems(exchange.record(), inputs); !problems.empty()) {
      Result r;
      r.outcome = "invalid";
      r.message =
          "the case was not sent: " + problems.front().field + " " + problems.front().message;
      r.errors = std::move(problems);
      return r;
    }
  }
  auto answer = exchange.send(request(f, exchange.record(), inputs, exchange.key()));
  if (!answer) return exchange.unanswered();
  auto out = read_result(f, *answer, exchange.record(), {});
  if (f == Function::case_submission && out.outcome == "ok")
    return with_attachments(std::move(out), exchange, inputs);
  return out;
}

std::vector<FieldError> X12Core::attachment_problems(const json::object& record,
                                                     const Inputs& inputs) const {
  std::vector<FieldError> problems;
  const auto* files = record.if_contains("attachments");
  if (!files || !files->is_array()) return problems;
  for (std::size_t i = 0; i < files->get_array().size(); ++i) {
    const json::value& path = files->get_array()[i];
    if (!path.is_string()) continue;
    std::error_code ec;
    const auto size = std::filesystem::file_size(
        resolve_path(std::string(path.get_string()), inputs.base_dir), ec);
    if (!ec && size > k_275_max_document) {
      problems.push_back({"attachments[" + std::to_string(i) + "]",
                          "is " + std::to_string(size >> 20) +
                              " MiB; a 275 carries at most 48 MiB (BIN02 holds it in base64, "
                              "at most 64 MiB): send it another way (fax, mail) or split it"});
    }
  }
  return problems;
}

Result X12Core::with_attachments(Result out, Exchange& exchange, const Inputs& inputs) const {
  const json::object& record = exchange.record();
  const std::string trace = x12w::trace_of(exchange.key());
  const auto* id = out.answer.if_contains("order_id");
  const std::string order_id = id && id->is_string() ? std::string(id->get_string()) : "";
  std::int64_t sent = 0;
  const auto* files = record.if_contains("attachments");
  const std::size_t count = files && files->is_array() ? files->get_array().size() : 0;
  // The answer so far with the documents sent, on any result that stops here.
  auto stopped = [&](Result r) {
    r.answer = out.answer;
    r.answer["documents_uploaded"] = sent;
    return r;
  };
  // The 278 announced each attachment (PWK*77*EL ... PWK06); each follows as a 275 repeating
  // its control number, answered with a 999.
  for (std::size_t i = 0; i < count; ++i) {
    const std::string field = "attachments[" + std::to_string(i) + "]";
    auto local = [&](const std::string& problem) {
      Result r;
      r.outcome = "invalid";
      r.message = "order " + order_id + " was created, but " + field + " " + problem;
      r.errors.push_back({field, problem});
      return stopped(std::move(r));
    };
    const json::value& path = files->get_array()[i];
    if (!path.is_string()) return local("is not a path");
    const std::filesystem::path file =
        resolve_path(std::string(path.get_string()), inputs.base_dir);
    auto type = records::content_type_of_file(file);
    if (!type) return local(type.error().message);
    std::string bytes;
    {
      std::ifstream in(file, std::ios::binary);
      if (!in) return local("cannot be read");
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (in.bad()) return local("cannot be read");
    }
    auto controls = next_controls();
    if (!controls) return local(controls.error().message);
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    const x12::Attachment attachment = x12w::attachment_of(record, *m_payers, trace, i);
    const std::string receiver = receiver_of(record);
    auto payload = x12w::interchange_275(attachment, x12w::mime_entity(*type, bytes), m_parties,
                                         receiver, *controls, now);
    if (!payload) return local(payload.error().message);
    auto answer = exchange.send(core_request(std::move(*payload), k_275_payload_type, receiver,
                                             *controls, attachment.control_number()));
    if (!answer) {
      auto r = exchange.unanswered();
      if (r.outcome.empty()) return r;  // the run is stopping: the row stays unfinished
      r.message = "order " + order_id + " was created; sending " + field + ": " + r.message;
      return stopped(std::move(r));
    }
    auto acked = acknowledgement_of(*answer);
    if (!acked.outcome.empty()) {
      acked.message = "order " + order_id + " was created, but the payer refused " + field +
                      " (275): " + acked.message;
      acked.errors.insert(acked.errors.begin(), FieldError{field, acked.code});
      return stopped(std::move(acked));
    }
    ++sent;
  }
  if (sent > 0) {
    // The same 278 again (its trace, so the payer answers it from its order): the order's
    // status now that its documents are in.
    auto again = exchange.send(request(Function::case_submission, record, inputs, exchange.key()));
    if (again) {
      auto now = read_result(Function::case_submission, *again, record, {});
      if (now.outcome == "ok") out.answer = std::move(now.answer);
    }
  }
  out.answer["documents_uploaded"] = sent;
  return out;
}

std::optional<http::Request> X12Core::order_request(std::string_view order_id,
                                                    const Exchange& row) const {
  (void)order_id;  // the 278's trace finds the order
  return request(Function::case_submission, row.record(), {}, row.key());
}

Result X12Core::read_order(const http::Response& answer, const Exchange& row) const {
  return read_result(Function::case_submission, answer, row.record(), {});
}

Result X12Core::acknowledgement_of(const http::Response& answer) const {
  Result out;
  out.http_status = answer.status;
  if (answer.status < 200 || answer.status >= 300) {
    out.outcome = "rejected";
    out.code = answer.status == 401 ? "unauthorized" : "core_error";
    out.message = "the CORE endpoint answered HTTP " + std::to_string(answer.status);
    return out;
  }
  auto payload = payload_of(answer);
  if (!payload) {
    out.outcome = payload.error().kind == ErrorKind::refused ? "rejected" : "failed";
    out.code = "core_error";
    out.message = payload.error().message;
    return out;
  }
  if (auto rejected = x12w::acknowledgement_result(::x12::read_acknowledgements(*payload)))
    return *rejected;
  return {};  // accepted: no outcome
}

bool X12Core::carries(Feed) const { return false; }

http::Request X12Core::page_request(Feed, const PageQuery&) const { return {}; }

Expected<Page> X12Core::read_page(Feed f, const http::Response&) const {
  return fail(not_carried(*this, feed_name(f)));
}

http::Request X12Core::letter_request(std::string_view) const { return {}; }

std::optional<http::Request> X12Core::limits_request() const { return std::nullopt; }

Expected<api::PortalLimits> X12Core::read_limits(const http::Response&) const {
  return fail(ErrorKind::unavailable, "the x12-core wire has no limits to read");
}

}  // namespace portal::wire::x12_core
