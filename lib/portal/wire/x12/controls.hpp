// The X12 control numbers (ISA13, GS06, ST02) of a profile's sender, kept under the state
// directory: one store for every X12 wire and for `provportal x12 build`, so no interchange or
// group number repeats between them, across runs and processes.
#pragma once

#include <filesystem>
#include <string_view>

#include "portal/util/error.hpp"
#include "x12/control_numbers.hpp"

namespace portal::wire::x12w {

// Where the control numbers of every sender are kept: STATE_DIR/x12/control-numbers.
std::filesystem::path control_numbers_dir(const std::filesystem::path& state_dir);

// The store of `sender_id` under `state_dir`, created when missing; ErrorKind::usage naming the
// directory to make writable when it cannot be.
Expected<::x12::ControlNumbers> open_control_numbers(const std::filesystem::path& state_dir,
                                                     std::string_view sender_id);

}  // namespace portal::wire::x12w
