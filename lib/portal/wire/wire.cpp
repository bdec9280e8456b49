#include "portal/wire/wire.hpp"

namespace portal::wire {

std::string_view function_name(Function f) {
  switch (f) {
    case Function::eligibility:
      return "eligibility";
    case Function::claim_inquiry:
      return "claim inquiry";
    case Function::case_submission:
      return "case";
    case Function::document:
      return "document";
  }
  return "function";
}

std::filesystem::path resolve_path(const std::string& path, const std::filesystem::path& base_dir) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p;
  return base_dir / p;
}

}  // namespace portal::wire
