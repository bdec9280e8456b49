#include "portal/wire/wire.hpp"

#include <string>

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
    case Function::profile_change:
      return "profile change";
    case Function::case_update:
      return "case update";
    case Function::case_cancel:
      return "case cancellation";
  }
  return "function";
}

std::string_view feed_name(Feed f) {
  switch (f) {
    case Feed::claims:
      return "claims feed";
    case Feed::orders:
      return "order search";
    case Feed::remittances:
      return "remittances feed";
  }
  return "feed";
}

Error not_carried(const Wire& wire, std::string_view what) {
  return Error(ErrorKind::usage,
               "the " + std::string(wire.name()) + " wire does not carry " + std::string(what),
               "use a profile whose wire does (provportal config set wire NAME, or --wire)");
}

std::filesystem::path resolve_path(const std::string& path, const std::filesystem::path& base_dir) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p;
  return base_dir / p;
}

}  // namespace portal::wire
