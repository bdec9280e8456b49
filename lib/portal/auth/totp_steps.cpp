#include "portal/auth/totp_steps.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "portal/auth/totp.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/crypto.hpp"

namespace portal::auth {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t k_period = 30;

std::optional<std::uint64_t> read_step(const fs::path& path) {
  std::ifstream in(path);
  std::uint64_t step = 0;
  if (!(in >> step)) return std::nullopt;
  return step;
}

}  // namespace

fs::path TotpStepMemory::file_of(std::string_view secret) const {
  // Decoded first, so that "abcd efgh" and "ABCDEFGH" (the same secret) share a file.
  auto key = base32_decode(secret);
  std::string bytes = key ? std::string(key->begin(), key->end()) : std::string(secret);
  return m_dir / ("totp-" + sha256_hex(bytes).substr(0, 16) + ".step");
}

std::optional<std::uint64_t> TotpStepMemory::last(std::string_view secret) const {
  return read_step(file_of(secret));
}

Expected<void> TotpStepMemory::remember(std::string_view secret, std::uint64_t step) const {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  if (ec) return fail(ErrorKind::internal, "cannot create " + m_dir.string() + ": " + ec.message());
  auto path = file_of(secret);
  auto lock_path = fs::path(path.string() + ".lock");
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(ErrorKind::internal,
                "cannot open " + lock_path.string() + ": " + std::strerror(errno));
  }
  while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
  }
  Expected<void> written;
  if (auto known = read_step(path); !known || *known < step) {
    WriteOptions o;
    o.mode = 0600;
    o.exact_mode = true;
    o.unique_temp = true;
    written = write_file_atomically(path, std::to_string(step) + "\n", o);
  }
  ::close(fd);  // releases the lock
  return written;
}

TotpChoice choose_totp_step(SysTime portal_now, std::optional<std::uint64_t> last_spent) {
  const std::uint64_t now_step = totp_step(portal_now, static_cast<int>(k_period));
  // None spent since this step, or one spent further ahead than the portal's clock can be (a
  // clock set back since): nothing to wait for.
  if (!last_spent || *last_spent < now_step || *last_spent > now_step + 1)
    return {now_step, std::chrono::seconds{0}};
  const std::uint64_t step = *last_spent + 1;
  if (step <= now_step + 1) return {step, std::chrono::seconds{0}};
  // Within reach once the portal's step is `step - 1`, which starts at (step - 1) * 30 s.
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(portal_now.time_since_epoch());
  auto reach = std::chrono::seconds{static_cast<std::int64_t>(step - 1) * k_period};
  return {step, std::max(std::chrono::seconds{1}, reach - now_s)};
}

std::optional<std::string> totp_code_at_step(std::string_view base32_secret, std::uint64_t step) {
  return totp_code(base32_secret,
                   SysTime(std::chrono::seconds{static_cast<std::int64_t>(step) * k_period}));
}

}  // namespace portal::auth
