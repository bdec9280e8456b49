#include "portal/log/log.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/util/clock.hpp"

namespace portal::log {

namespace {

constexpr std::string_view k_redacted = "[REDACTED]";
constexpr std::size_t k_min_secret_length = 4;

std::mutex g_secrets_mutex;
std::vector<std::string> g_secrets;  // longest first, so a secret containing another wins
std::atomic<Format> g_format{Format::text};

const std::regex& member_regex() {
  static const std::regex re(
      R"re("(password|new_password|current_password|code|token|mfa_token|secret|)re"
      R"re(password_change_token|member_id|date_of_birth|first_name|last_name)"(\s*:\s*))re"
      R"re(("(?:[^"\\]|\\.)*"|[^,}\]\s]+))re");
  return re;
}

const std::regex& bearer_regex() {
  static const std::regex re(R"(Bearer\s+[A-Za-z0-9._~+/=-]+)", std::regex::icase);
  return re;
}

std::string level_text(spdlog::level::level_enum level) {
  auto sv = spdlog::level::to_string_view(level);
  return std::string(sv.data(), sv.size());
}

// Formats and writes every record itself, after redaction, so no other sink or pattern can
// let a secret through.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(Format format) : m_format(format) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line;
    if (m_format == Format::json) {
      auto ts = std::chrono::time_point_cast<std::chrono::seconds>(msg.time);
      boost::json::object o{{"ts", format_iso8601(SysTime(ts.time_since_epoch()))},
                            {"level", level_text(msg.level)},
                            {"run_id", run_id()},
                            {"msg", text}};
      line = boost::json::serialize(o);
    } else {
      line = level_text(msg.level) + ": " + text;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  Format m_format;
};

}  // namespace

void setup(const Options& options) {
  g_format = options.format;
  auto logger = std::make_shared<spdlog::logger>("provportal",
                                                 std::make_shared<RedactingSink>(options.format));
  auto level = spdlog::level::warn;
  if (options.quiet) {
    level = spdlog::level::err;
  } else if (options.verbosity >= 2) {
    level = spdlog::level::debug;
  } else if (options.verbosity == 1) {
    level = spdlog::level::info;
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void register_secret(std::string secret) {
  if (secret.size() < k_min_secret_length) return;
  std::lock_guard lock(g_secrets_mutex);
  if (std::find(g_secrets.begin(), g_secrets.end(), secret) != g_secrets.end()) return;
  g_secrets.push_back(std::move(secret));
  std::stable_sort(g_secrets.begin(), g_secrets.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void forget_secret(std::string_view secret) {
  std::lock_guard lock(g_secrets_mutex);
  std::erase(g_secrets, secret);
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    std::lock_guard lock(g_secrets_mutex);
    for (const auto& s : g_secrets) {
      for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos)) {
        out.replace(pos, s.size(), k_redacted);
        pos += k_redacted.size();
      }
    }
  }
  out = std::regex_replace(out, bearer_regex(), "Bearer [REDACTED]");
  out = std::regex_replace(out, member_regex(), "\"$1\"$2\"[REDACTED]\"");
  return out;
}

std::string safe_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    auto eq = pair.find('=');
    out += pair.substr(0, eq);
    if (eq != std::string_view::npos) out += "=…";
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

Format current_format() { return g_format; }

const std::string& run_id() {
  static const std::string id = [] {
    std::random_device rd;
    std::string out;
    static const char* k_hex = "0123456789abcdef";
    for (int i = 0; i < 4; ++i) {
      auto v = rd();
      for (int j = 0; j < 4; ++j) out += k_hex[(v >> (4 * j)) & 15];
    }
    return out;
  }();
  return id;
}

void message(std::string_view text, std::string_view level, const boost::json::object* fields,
             bool redact_text) {
  std::string line;
  std::string shown = redact_text ? redact(text) : std::string(text);
  if (g_format.load() == Format::json) {
    boost::json::object o{{"ts", format_iso8601(SystemClock().now())},
                          {"level", level},
                          {"run_id", run_id()},
                          {"msg", shown}};
    if (fields) {
      for (const auto& kv : *fields) o[kv.key()] = kv.value();
    }
    line = boost::json::serialize(o);
  } else {
    line = std::move(shown);
  }
  line += '\n';
  // One write per line, after what the logger buffered, so lines never interleave.
  std::fflush(stderr);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace portal::log
