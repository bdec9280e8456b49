// The sandbox's CAQH CORE endpoints (docs/core.md): POST /core/soap (SOAP 1.2 RealTimeTransaction)
// and POST /core/mime (multipart/form-data), served by the same listener as the JSON API. A
// request is authenticated with its UsernameToken (or UserName/Password parts) as a portal
// account, its envelope checked, its X12 payload validated and answered: a 271 or 277, or a TA1
// or 999 when the payload is broken.
#pragma once

#include <memory>
#include <string_view>

#include "caqh/envelope.hpp"
#include "sandbox/core_batch.hpp"
#include "sandbox/core_traces.hpp"
#include "sandbox/core_x12.hpp"
#include "sandbox/portal.hpp"
#include "sandbox/server.hpp"

namespace portal::sandbox {

inline constexpr std::string_view k_core_soap_path = "/core/soap";
inline constexpr std::string_view k_core_mime_path = "/core/mime";

class CoreEndpoint {
 public:
  // Keeps its control numbers in DATA_DIR/x12-control and its trace counts in the portal's
  // database.
  explicit CoreEndpoint(Portal& portal);

  // Whether `path` is one of the CORE endpoints.
  static bool serves(std::string_view path);
  // Answers a request to one of them (any method). Thread-safe.
  HttpResponse handle(const HttpRequest& req);

  // The trace numbers answered (GET /v1/admin/core/traces).
  CoreTraceLog& traces() { return m_traces; }
  // The batch submissions kept (GET /v1/admin/core/batches).
  CoreBatchStore& batches() { return m_batches; }

 private:
  // The answer to a batch request (docs/core.md, "Batch mode"), for `user`.
  struct BatchReply {
    std::string payload_type, payload, error_code, error_message;
  };
  BatchReply batch(const caqh::Envelope& request, const std::string& user);

  Portal& m_portal;
  ControlAllocator m_numbers;
  CoreTraceLog m_traces;
  CoreBatchStore m_batches;
};

}  // namespace portal::sandbox
