// The portal's HTTP API: routes requests to Portal, applies the maintenance window, checks
// session and administrator tokens, and encodes every answer and error as JSON.
#pragma once

#include "sandbox/portal.hpp"
#include "sandbox/server.hpp"

namespace portal::sandbox {

// A thread-safe handler for Server that serves docs/api.md over `portal`.
Handler make_api_handler(Portal& portal);

}  // namespace portal::sandbox
