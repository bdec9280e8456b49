// What a run tells its operator besides its output: the metrics of every HTTP exchange and an
// audit entry for every submission, fed by PortalApi and the batch runner through http::Observer.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "portal/http/observer.hpp"
#include "portal/log/audit_log.hpp"
#include "portal/log/metrics.hpp"
#include "portal/util/clock.hpp"

namespace portal::api {

// Who runs this process, for the audit log. The account is an email (not PHI).
struct Who {
  std::string profile;
  std::string account;
  std::string command;
};

// The audit entry of a request, or nullopt when it is not audited: reads (GET) and sign-in
// traffic (/v1/auth/...) are not; eligibility checks are, as "inquiry", every other change
// (cases, documents, registrations, profile changes, ...) as "submission". An entry holds who,
// when (UTC), the run ID, the command, the input file, line and ref of a batch row, the
// idempotency key, the SHA-256 of the body, the HTTP status, the outcome (ok, rejected, failed,
// stopped), whether the portal replayed it, and the portal's identifiers (order, ACMP number,
// document, registration) and error code. Never a member ID, name or date of birth, a message of
// the portal (it may quote them), a query string or a file name (hashed instead).
// Its memory comes from `storage` (default: the heap).
std::optional<boost::json::object> audit_entry(const http::RequestEvent& event, const Who& who,
                                               std::string_view run_id, SysTime now,
                                               boost::json::storage_ptr storage = {});

class Telemetry final : public http::Observer {
 public:
  // Either may be null (no metrics, no audit log); neither is owned.
  Telemetry(metrics::Registry* metrics, log::AuditLog* audit);

  // The audit log to write to from now on (set before any traffic).
  void set_audit(log::AuditLog* audit) { m_audit = audit; }
  void set_who(Who who);
  void set_account(std::string account);
  Who who() const;

  void exchange(const http::ExchangeEvent& event) override;
  void retried() override;
  void request_done(const http::RequestEvent& event) override;
  void defer_writes(bool on) override;
  void flush() override;

  // The first audit entry that could not be written, if any (the run reports it).
  std::optional<Error> audit_error() const;

 private:
  metrics::Registry* m_metrics;
  log::AuditLog* m_audit;
  mutable std::mutex m_mutex;
  Who m_who;
  std::optional<Error> m_audit_error;
  void note_audit_result(const Expected<void>& written);
};

}  // namespace portal::api
