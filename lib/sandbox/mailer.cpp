#include "sandbox/mailer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <openssl/rand.h>

#include "portal/util/atomic_file.hpp"

namespace portal::sandbox {

namespace {

std::string rfc5322_date(SysTime t) {
  static const char* k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::weekday wd{day};
  std::chrono::hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02ld:%02ld:%02ld +0000",
                k_days[wd.c_encoding()], unsigned(ymd.day()), k_months[unsigned(ymd.month()) - 1],
                int(ymd.year()), long(hms.hours().count()), long(hms.minutes().count()),
                long(hms.seconds().count()));
  return buf;
}

// Header values never carry CR/LF (no header injection from user-supplied addresses).
std::string header_safe(std::string s) {
  for (auto& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

std::string random_hex(int bytes) {
  unsigned char buf[32];
  RAND_bytes(buf, bytes);
  std::string out;
  char hex[3];
  for (int i = 0; i < bytes; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", buf[i]);
    out += hex;
  }
  return out;
}

}  // namespace

Mailer::Mailer(std::filesystem::path outbox_dir) : m_dir(std::move(outbox_dir)) {
  std::filesystem::create_directories(m_dir);
}

std::filesystem::path Mailer::send(const Email& email, SysTime portal_now) {
  auto wall = std::chrono::system_clock::now();
  auto secs = std::chrono::floor<std::chrono::seconds>(wall);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(wall - secs).count();
  auto day = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{secs - day};
  unsigned seq = ++m_sequence;
  char name[128];
  std::snprintf(name, sizeof name, "%04d%02u%02uT%02ld%02ld%02ld.%09lldZ-%06u-%s.eml",
                int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()),
                long(hms.hours().count()), long(hms.minutes().count()), long(hms.seconds().count()),
                static_cast<long long>(nanos), seq, email.purpose.c_str());

  std::string msg;
  msg += "From: Provider Portal <no-reply@portal.sandbox.invalid>\r\n";
  msg += "To: " + header_safe(email.to) + "\r\n";
  msg += "Subject: " + header_safe(email.subject) + "\r\n";
  msg += "Date: " + rfc5322_date(portal_now) + "\r\n";
  msg += "Message-ID: <" + random_hex(12) + "@portal.sandbox.invalid>\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=utf-8\r\n";
  msg += "Content-Transfer-Encoding: 8bit\r\n";
  msg += "X-Portal-Purpose: " + header_safe(email.purpose) + "\r\n";
  msg += "\r\n";
  for (char c : email.body) {
    if (c == '\n')
      msg += "\r\n";
    else
      msg += c;
  }
  if (msg.size() < 2 || msg.substr(msg.size() - 2) != "\r\n") msg += "\r\n";

  auto final_path = m_dir / name;
  // Whole or not at all: a reader of the outbox (--otp-command) never sees half a message.
  if (auto written = write_file_atomically(final_path, msg,
                                           {.mode = 0600, .exact_mode = true, .unique_temp = true});
      !written) {
    throw std::runtime_error("cannot write to the outbox " + m_dir.string() + ": " +
                             written.error().message);
  }
  return final_path;
}

}  // namespace portal::sandbox
