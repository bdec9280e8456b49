#include "portal/wire/x12/controls.hpp"

#include <string>

namespace portal::wire::x12w {

std::filesystem::path control_numbers_dir(const std::filesystem::path& state_dir) {
  return state_dir / "x12" / "control-numbers";
}

Expected<::x12::ControlNumbers> open_control_numbers(const std::filesystem::path& state_dir,
                                                     std::string_view sender_id) {
  auto store = ::x12::ControlNumbers::open(control_numbers_dir(state_dir), sender_id);
  if (!store) {
    return fail(ErrorKind::usage,
                "cannot keep X12 control numbers: " + ::x12::to_string(store.error()),
                "check that " + (state_dir / "x12").string() + " can be written");
  }
  return std::move(*store);
}

}  // namespace portal::wire::x12w
