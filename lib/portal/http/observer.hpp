// A hook for whoever wants to see a run's HTTP traffic (metrics, the audit log) without the code
// that sends it knowing what is done with it. PortalApi and the batch runner call it.
// Implementations must be thread-safe: the runner calls them from its workers.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "portal/http/client.hpp"

namespace portal::http {

// One attempt on the wire: an answer, or none (network or TLS fault, timeout).
struct ExchangeEvent {
  const Request& request;
  const Response* response;  // null: no answer
  std::chrono::duration<double> elapsed;
};

// One request after its retries, with its final answer or none.
struct RequestEvent {
  const Request& request;    // as sent (the body is empty when a file was streamed)
  const Response* response;  // the final answer; null when there was none
  std::string body_sha256;   // of the body as sent, or of the file streamed as the body
  std::string problem;       // why there was no final answer
  bool stopped = false;      // the run stopped (Ctrl-C, a fatal answer) before an answer
  std::size_t line = 0;      // the batch row it belongs to (0: not a batch row)
  std::string_view ref;      // that row's ref
  std::string_view input;    // the batch file as given ("-": stdin; empty: not a batch)
  std::string_view file;     // the file streamed as the body, if any
};

class Observer {
 public:
  virtual ~Observer() = default;
  // After every attempt.
  virtual void exchange(const ExchangeEvent&) {}
  // When an attempt is about to be repeated (429, 5xx, a connection fault).
  virtual void retried() {}
  // After a request's last attempt.
  virtual void request_done(const RequestEvent&) {}
  // While on, durable records of requests (the audit log) may be held in memory until flush().
  // A batch turns it on and flushes before it commits rows to its journal, so a row a crash
  // could leave unrecorded is also unjournaled: --resume sends it again and it is recorded then.
  // Turning it off flushes.
  virtual void defer_writes(bool /*on*/) {}
  virtual void flush() {}
};

}  // namespace portal::http
