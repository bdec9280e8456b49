// How an operation sends its records: over a wire (portal/wire/wire.hpp), whichever the profile
// chose. Each operation says what its record is (schema, checks, result columns); this fills in
// how a row travels.
#pragma once

#include <memory>

#include "portal/batch/runner.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// `op` with the request and answer reading of `function` on `wire`: one request per row sent on
// the engine's lanes when the wire makes it one, the wire's exchange otherwise. ErrorKind::usage
// when the wire does not carry the function.
Expected<batch::Operation> over_wire(batch::Operation op, wire::Function function,
                                     std::shared_ptr<const wire::Wire> wire,
                                     wire::Inputs inputs = {});

}  // namespace portal::ops
