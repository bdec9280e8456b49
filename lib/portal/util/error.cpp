#include "portal/util/error.hpp"

namespace portal {

const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
      return "usage";
    case ErrorKind::input:
      return "input";
    case ErrorKind::auth:
      return "auth";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::refused:
      return "refused";
    case ErrorKind::interrupted:
      return "interrupted";
    case ErrorKind::internal:
      return "internal";
    case ErrorKind::output_closed:
      return "output_closed";
  }
  return "internal";
}

}  // namespace portal
