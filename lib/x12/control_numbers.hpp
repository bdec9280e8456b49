// Control numbers (ISA13, GS06, ST02) that never repeat for a sender, across runs and across
// processes: one small file per sender under a directory, changed under flock and replaced by
// temp + fsync + rename, so a crash leaves the last committed numbers and never a torn file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "x12/error.hpp"

namespace x12 {

// The first number of each kind in a reserved block; a block of n holds first..first+n-1, wrapping
// from 999999999 to 1.
struct ControlBlock {
  std::uint32_t interchange = 0;
  std::uint32_t group = 0;
  std::uint32_t transaction = 0;
};

// The number after `n` in a block (999999999 is followed by 1).
constexpr std::uint32_t next_control(std::uint32_t n) { return n >= 999999999 ? 1 : n + 1; }

class ControlNumbers {
 public:
  // The store of `sender` (ISA06 as written, any bytes) in `directory`, which is created if
  // missing. Fails when the directory cannot be made or written.
  static Expected<ControlNumbers> open(const std::filesystem::path& directory,
                                       std::string_view sender);

  // Reserves `interchanges` ISA13s, `groups` GS06s and `transactions` ST02s in one locked
  // update and returns the first of each. Reserve a batch's worth at once: each call fsyncs.
  Expected<ControlBlock> reserve(std::uint32_t interchanges, std::uint32_t groups,
                                 std::uint32_t transactions);

  // The file holding the last numbers used.
  const std::filesystem::path& path() const { return m_path; }

 private:
  ControlNumbers(std::filesystem::path path, std::filesystem::path lock)
      : m_path(std::move(path)), m_lock(std::move(lock)) {}
  std::filesystem::path m_path;
  std::filesystem::path m_lock;
};

}  // namespace x12
