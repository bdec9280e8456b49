#include "portal/util/error.hpp"

namespace portal {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
      return 2;
    case ErrorKind::input:
      return 3;
    case ErrorKind::auth:
      return 4;
    case ErrorKind::unavailable:
      return 5;
    case ErrorKind::refused:
      return 6;
    case ErrorKind::interrupted:
      return 130;
    case ErrorKind::internal:
      return 70;
  }
  return 70;
}

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
  }
  return "internal";
}

}  // namespace portal
