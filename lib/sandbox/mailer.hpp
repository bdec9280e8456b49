// Outgoing email of the sandbox: RFC 5322 messages written to DATA_DIR/outbox/*.eml.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "portal/util/clock.hpp"

namespace portal::sandbox {

struct Email {
  std::string to;
  std::string subject;
  std::string
      purpose;       // short tag used in the file name and X-Portal-Purpose, e.g. "login-passcode"
  std::string body;  // plain text, LF line ends (written as CRLF)
};

// Writes each message atomically (temp file, then rename) under a name that sorts by time:
// "20261122T214205.123456789Z-000001-login-passcode.eml".
class Mailer {
 public:
  explicit Mailer(std::filesystem::path outbox_dir);
  // Writes the message; throws std::runtime_error when the outbox cannot be written.
  std::filesystem::path send(const Email& email, SysTime portal_now);

 private:
  std::filesystem::path m_dir;
  std::atomic<unsigned> m_sequence{0};
};

}  // namespace portal::sandbox
