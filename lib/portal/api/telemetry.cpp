#include "portal/api/telemetry.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/log/log.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"

namespace portal::api {

namespace json = boost::json;

namespace {

// Attempts made on this thread since its last finished request: a request that a stopping run
// never sent is not worth an audit line.
thread_local int t_attempts = 0;

std::string header_of(const http::Request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (util::iequals(k, name)) {
      return v;
    }
  }
  return {};
}

// The portal's identifiers in an answer: top level, or in its error object.
void copy_identifiers(const http::Response& r, bool inquiry, json::object& entry) {
  // An inquiry's answer is about a member: only an error's code goes into the entry, and an
  // answer of success has none (no need to parse it, on every row of a batch).
  if (inquiry && r.status >= 200 && r.status < 300) return;
  json::error_code ec;
  auto body = json::parse(r.body, ec);
  if (ec || !body.is_object()) return;
  const auto& o = body.get_object();
  if (const auto* err = o.if_contains("error"); err && err->is_object()) {
    if (const auto* code = err->get_object().if_contains("code"); code && code->is_string()) {
      entry["code"] = code->get_string();
    }
    return;
  }
  if (inquiry) return;  // an eligibility answer is about a member: nothing of it goes here
  for (const char* key : {"order_id", "acmp_number", "document_id", "status"}) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) entry[key] = v->get_string();
  }
  // A registration answers with its own id.
  if (const auto* v = o.if_contains("id"); v && v->is_string() && !o.contains("order_id")) {
    entry["registration_id"] = v->get_string();
  }
}

}  // namespace

std::optional<json::object> audit_entry(const http::RequestEvent& e, const Who& who,
                                        std::string_view run_id, SysTime now,
                                        json::storage_ptr storage) {
  const auto& req = e.request;
  if (req.method == "GET" || req.method == "HEAD") return std::nullopt;
  std::string path = req.target.substr(0, req.target.find('?'));
  if (path.rfind("/v1/auth/", 0) == 0) return std::nullopt;
  const bool inquiry = path == "/v1/eligibility" || !req.audit.empty();

  json::object entry(std::move(storage));
  entry.reserve(20);
  entry["ts"] = format_iso8601(now);
  entry["run_id"] = run_id;
  entry["profile"] = who.profile;
  entry["account"] =
      who.account.empty() ? json::value(nullptr) : json::value(who.account, entry.storage());
  entry["command"] = who.command;
  entry["kind"] = inquiry ? "inquiry" : "submission";
  entry["method"] = req.method;
  entry["path"] = path;
  if (!e.input.empty()) {
    entry["input"] = e.input == "-" ? std::string_view("stdin") : e.input;
    entry["line"] = e.line;
  }
  if (!e.ref.empty()) entry["ref"] = e.ref;
  if (auto key = header_of(req, "Idempotency-Key"); !key.empty()) entry["idempotency_key"] = key;
  if (!e.body_sha256.empty()) entry["request_sha256"] = e.body_sha256;
  for (const auto& [name, value] : req.audit) entry[name] = value;
  if (!e.file.empty()) {
    // A file's name may carry a patient's name: only its hash, to match it with the file.
    entry["file_name_sha256"] = sha256_hex(std::filesystem::path(e.file).filename().string());
  }
  if (e.response) {
    const int status = e.response->status;
    entry["http_status"] = status;
    entry["outcome"] = status >= 200 && status < 300    ? "ok"
                       : status == 429 || status >= 500 ? "failed"
                                                        : "rejected";
    if (e.response->header("idempotent-replayed") == "true") entry["replayed"] = true;
    copy_identifiers(*e.response, inquiry, entry);
  } else {
    entry["http_status"] = nullptr;
    entry["outcome"] = e.stopped ? "stopped" : "failed";
  }
  return entry;
}

Telemetry::Telemetry(metrics::Registry* metrics, log::AuditLog* audit)
    : m_metrics(metrics), m_audit(audit) {}

void Telemetry::set_who(Who who) {
  std::lock_guard lock(m_mutex);
  m_who = std::move(who);
}

void Telemetry::set_account(std::string account) {
  std::lock_guard lock(m_mutex);
  m_who.account = std::move(account);
}

Who Telemetry::who() const {
  std::lock_guard lock(m_mutex);
  return m_who;
}

void Telemetry::exchange(const http::ExchangeEvent& e) {
  ++t_attempts;
  if (m_metrics) m_metrics->request(e.elapsed.count(), e.response ? e.response->status : 0);
}

void Telemetry::retried() {
  if (m_metrics) m_metrics->retry();
}

void Telemetry::request_done(const http::RequestEvent& e) {
  int attempts = t_attempts;
  t_attempts = 0;
  if (!m_audit || (attempts == 0 && !e.response)) return;
  // Every row of a batch makes one: its memory comes from the stack, and `who` is read in place.
  unsigned char scratch[4096];
  json::monotonic_resource memory(scratch, sizeof scratch);
  std::optional<json::object> entry;
  {
    std::lock_guard lock(m_mutex);
    entry = audit_entry(e, m_who, log::run_id(), SystemClock().now(), &memory);
  }
  if (!entry) return;
  note_audit_result(m_audit->append(*entry));
}

void Telemetry::defer_writes(bool on) {
  if (m_audit) note_audit_result(m_audit->set_deferred(on));
}

void Telemetry::flush() {
  if (m_audit) note_audit_result(m_audit->flush());
}

void Telemetry::note_audit_result(const Expected<void>& written) {
  if (written) return;
  std::lock_guard lock(m_mutex);
  if (!m_audit_error) {
    m_audit_error = written.error();
    spdlog::error("{}", written.error().message);
  }
}

std::optional<Error> Telemetry::audit_error() const {
  std::lock_guard lock(m_mutex);
  return m_audit_error;
}

}  // namespace portal::api
