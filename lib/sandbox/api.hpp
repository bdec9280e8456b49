// The portal's HTTP API: routes requests to Portal, applies the maintenance window, checks
// session and administrator tokens, and encodes every answer and error as JSON.
#pragma once

#include "sandbox/portal.hpp"
#include "sandbox/server.hpp"

namespace portal::sandbox {

// A thread-safe handler for Server that serves docs/api.md over `portal`.
Handler make_api_handler(Portal& portal);

// Makes the listener stream document uploads (POST /v1/cases/{order_id}/documents) to
// DATA_DIR/documents/tmp, up to the document size limit, refusing a request before its body
// when the session, the order or the announced size would refuse it anyway.
void configure_uploads(ServerOptions& options, Portal& portal);

}  // namespace portal::sandbox
