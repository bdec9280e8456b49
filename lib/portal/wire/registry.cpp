// The wires there are. A new wire adds its folder under wire/ and one line here.
#include <functional>

#include "portal/wire/portal_json/portal_json.hpp"
#include "portal/wire/wire.hpp"
#include "portal/wire/x12_core/x12_core.hpp"
#include "portal/wire/x12_files/x12_files.hpp"

namespace portal::wire {

namespace {

struct Entry {
  std::string_view name;
  std::function<std::shared_ptr<const Wire>(const Settings&)> make;
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> k_wires = {
      {k_default,
       [](const Settings&) { return std::make_shared<const portal_json::PortalJson>(); }},
      {"x12-core", [](const Settings& s) { return std::make_shared<const x12_core::X12Core>(s); }},
      {"x12-files",
       [](const Settings& s) { return std::make_shared<const x12_files::X12Files>(s); }},
  };
  return k_wires;
}

}  // namespace

Expected<std::shared_ptr<const Wire>> make(std::string_view name, const Settings& settings) {
  for (const auto& e : registry()) {
    if (e.name == name) return e.make(settings);
  }
  std::string all;
  for (const auto& n : names()) all += (all.empty() ? "" : ", ") + n;
  return fail(ErrorKind::usage, "unknown wire \"" + std::string(name) + "\"",
              "the wires are: " + all +
                  " (set with --wire, PROVPORTAL_WIRE or `provportal "
                  "config set wire NAME`)");
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& e : registry()) out.emplace_back(e.name);
  return out;
}

}  // namespace portal::wire
