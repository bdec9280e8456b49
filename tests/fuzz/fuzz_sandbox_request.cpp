// libFuzzer target for the sandbox's request handling: the handler of make_api_handler over one
// Portal (a temporary data directory, the seed of examples/sandbox), fed requests as the HTTPS
// listener would build them after Beast parsed them (see Session::to_request in server.cpp).
//
// Input layout (text, so seeds can be read and written by hand):
//   METHOD TARGET            "#N" as METHOD or TARGET picks the N-th entry of the lists below;
//                            after "#N", the rest of TARGET is appended ("#1?npi=1234567893")
//   name: value              headers, one per line, until a blank line
//
//   body                     every remaining byte
// In header values and the body, $SESSION, $ADMIN, $EMAIL and $MFA stand for a live session
// token, the administrator token, the email of that session's account and an unused MFA token.
//
// Invariants checked on every answer (an abort is a finding): the handler throws nothing (the
// listener would answer 500), the status is 200-499 or 503 maintenance, the body is a JSON object
// (or empty for 204), errors carry {"error": {"code", "message"}}, X-Request-Id is set.
//
// Speed: routes that hash or check a password with Argon2 (tens of ms each), or that end the
// session (so that the harness must log in again) are passed to the handler only once in
// PORTAL_FUZZ_SLOW_EVERY times per route (default 64; the first is always passed, so a single
// reproducer still runs them). Requests that may change the portal's state (clock,
// settings, sessions, the account) are followed by a restore of that state.
// PORTAL_FUZZ_VERBOSE=1 prints every answer.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "portal/util/clock.hpp"
#include "sandbox/api.hpp"
#include "sandbox/portal.hpp"

#ifndef PORTAL_FUZZ_SEED_DIR
#error "define PORTAL_FUZZ_SEED_DIR (examples/sandbox)"
#endif

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using portal::sandbox::HttpRequest;
using portal::sandbox::HttpResponse;
using portal::sandbox::Portal;

constexpr std::array<std::string_view, 6> k_methods{"GET", "POST",   "PATCH",
                                                    "PUT", "DELETE", "HEAD"};
constexpr std::array<std::string_view, 30> k_routes{
    "/v1/health",
    "/v1/organizations",
    "/v1/registrations",
    "/v1/email-verifications",
    "/v1/auth/login",
    "/v1/auth/mfa/email",
    "/v1/auth/mfa/verify",
    "/v1/auth/password/expired",
    "/v1/password-resets",
    "/v1/auth/refresh",
    "/v1/auth/logout",
    "/v1/profile",
    "/v1/profile/password",
    "/v1/profile/mfa/totp",
    "/v1/profile/mfa/totp/confirm",
    "/v1/profile/mfa/totp/disable",
    "/v1/eligibility",
    "/v1/health-plans",
    "/v1/admin/registrations",
    "/v1/admin/clock",
    "/v1/admin/settings",
    "/v1/admin/accounts/approve",
    "/v1/admin/accounts/reject",
    "/v1/admin/accounts/disable",
    "/v1/admin/accounts/unlock",
    "/v1/admin/accounts/reset-password",
    "/v1/admin/accounts/",
    "/v1/nope",
    "/",
    "",
};
// The routes that are slow: they run Argon2 (hash or verify a password) on every well-formed
// call, or they can end the harness's session or account (logout; disable, reject or reset the
// account), after which restore() logs in again, with Argon2. A trailing '/' is a prefix.
constexpr std::array<std::string_view, 8> k_slow_paths{
    "/v1/registrations",   "/v1/auth/login",       "/v1/auth/password/expired",
    "/v1/password-resets", "/v1/profile/password", "/v1/profile/mfa/totp/disable",
    "/v1/auth/logout",     "/v1/admin/accounts/",
};
// The portal's clock during the run: a Tuesday, far from the Sunday maintenance window.
constexpr std::string_view k_portal_time = "2026-11-17T15:00:00Z";
constexpr std::string_view k_password = "violet kettle sunrise";
constexpr auto k_restore_every = std::chrono::seconds{5};

[[noreturn]] void finding(const std::string& what, const HttpRequest& req) {
  std::fprintf(stderr, "fuzz_sandbox_request: %s (on %s %s)\n", what.c_str(), req.method.c_str(),
               req.target.c_str());
  std::abort();
}

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "fuzz_sandbox_request: setting up the portal failed: %s\n", what.c_str());
  std::abort();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// "#N..." -> list[N % size] + the rest; anything else unchanged.
template <std::size_t N>
std::string pick(std::string_view text, const std::array<std::string_view, N>& list) {
  if (text.size() < 2 || text[0] != '#' || text[1] < '0' || text[1] > '9') return std::string(text);
  std::size_t i = 1, n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i < 6)
    n = n * 10 + (text[i++] - '0');
  return std::string(list[n % N]) + std::string(text.substr(i));
}

// The portal, its handler, and the live credentials the placeholders stand for.
class Harness {
 public:
  Harness() {
    spdlog::set_level(spdlog::level::off);
    const char* base = std::getenv("PORTAL_FUZZ_TMP");
    fs::path parent = base && *base            ? fs::path(base)
                      : fs::exists("/dev/shm") ? fs::path("/dev/shm")
                                               : fs::temp_directory_path();
    std::string dir = (parent / "portal-fuzz-XXXXXX").string();
    if (!::mkdtemp(dir.data())) setup_failed("mkdtemp in " + parent.string());
    m_dir = dir;
    if (const char* every = std::getenv("PORTAL_FUZZ_SLOW_EVERY"))
      m_slow_every = std::max(1L, std::atol(every));
    m_verbose = std::getenv("PORTAL_FUZZ_VERBOSE") != nullptr;
    m_portal = std::make_unique<Portal>(m_dir / "data");
    m_portal->load_seed(PORTAL_FUZZ_SEED_DIR);
    std::ifstream token_file(m_portal->accounts().admin_token_file());
    std::getline(token_file, m_admin_token);
    m_handler = portal::sandbox::make_api_handler(*m_portal);
    restore(true);
  }

  ~Harness() {
    if (m_verbose || m_logins > 1) {
      std::fprintf(stderr,
                   "fuzz_sandbox_request: %llu restores, %llu logins, %u accounts, %llu slow "
                   "routes skipped\n",
                   static_cast<unsigned long long>(m_restores),
                   static_cast<unsigned long long>(m_logins), m_accounts,
                   static_cast<unsigned long long>(m_slow_skipped));
    }
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
  }

  void run(const std::uint8_t* data, std::size_t size);

 private:
  void restore(bool force);
  void new_account();
  void log_in();
  std::string newest_code(const std::string& purpose);
  void clear_outbox();
  json::object expect_ok(const char* step, const portal::sandbox::ApiResult<json::object>& r) {
    if (!r) setup_failed(std::string(step) + ": " + r.error().code + ": " + r.error().message);
    return *r;
  }

  fs::path m_dir;
  std::unique_ptr<Portal> m_portal;
  portal::sandbox::Handler m_handler;
  std::string m_admin_token, m_session, m_email, m_mfa;
  unsigned m_accounts = 0;
  long m_slow_every = 64;
  bool m_verbose = false;  // PORTAL_FUZZ_VERBOSE: print each request's answer (for reproducers)
  std::array<std::uint64_t, k_slow_paths.size()> m_slow_seen{};  // per route: the first passes
  std::uint64_t m_slow_skipped = 0, m_restores = 0, m_logins = 0;
  std::chrono::steady_clock::time_point m_restored;
};

void Harness::clear_outbox() {
  std::error_code ignored;
  for (const auto& e : fs::directory_iterator(m_dir / "data" / "outbox", ignored))
    fs::remove(e.path(), ignored);
}

std::string Harness::newest_code(const std::string& purpose) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(m_dir / "data" / "outbox")) {
    if (e.path().filename().string().find(purpose) != std::string::npos) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) setup_failed("no " + purpose + " email in the outbox");
  std::ifstream in(files.back());
  std::stringstream text;
  text << in.rdbuf();
  std::smatch m;
  std::string s = text.str();
  if (!std::regex_search(s, m, std::regex(R"(code(?: is)?: ([0-9]{6,8}))")))
    setup_failed("no code in " + purpose);
  return m[1].str();
}

// A new active account (the old one was disabled, locked, renamed or lost its password).
void Harness::new_account() {
  m_email = "fuzz" + std::to_string(m_accounts++) + "@clinic.example";
  clear_outbox();
  expect_ok("register",
            m_portal->accounts().register_account(json::object{{"provider_type", "physician"},
                                                               {"npi", "1234567893"},
                                                               {"tax_id", "36-1234567"},
                                                               {"first_name", "Fuzz"},
                                                               {"last_name", "Tester"},
                                                               {"email", m_email},
                                                               {"phone", "312-555-0142"},
                                                               {"fax", "312-555-0143"},
                                                               {"accept_terms", true},
                                                               {"password", k_password}}));
  expect_ok("approve", m_portal->accounts().admin_action("approve", m_email));
  expect_ok("verify email", m_portal->accounts().verify_email(
                                {{"email", m_email}, {"code", newest_code("verify-email")}}));
}

// A fresh session token and a fresh unused MFA token for the account, making a new account
// when the current one can no longer log in.
void Harness::log_in() {
  ++m_logins;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (m_email.empty() || attempt > 0) new_account();
    auto first = m_portal->signin().login({{"email", m_email}, {"password", k_password}});
    if (!first) continue;
    auto second = m_portal->signin().login({{"email", m_email}, {"password", k_password}});
    if (!second) continue;
    m_mfa = std::string(second->at("mfa_token").as_string());
    std::string token(first->at("mfa_token").as_string());
    clear_outbox();
    if (!m_portal->signin().mfa_email({{"mfa_token", token}})) continue;
    auto session = m_portal->signin().mfa_verify(
        {{"mfa_token", token}, {"factor", "email"}, {"code", newest_code("login-passcode")}});
    if (!session || !session->contains("token")) continue;
    m_session = std::string(session->at("token").as_string());
    return;
  }
  setup_failed("cannot log in with a new account");
}

// Puts back the clock, the settings and a live session.
void Harness::restore(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - m_restored < k_restore_every) return;
  m_restored = now;
  ++m_restores;
  m_portal->clock_set(*portal::parse_iso8601(k_portal_time));
  expect_ok("settings", m_portal->update_settings({{"maintenance_window", false},
                                                   {"password_max_age_days", 90},
                                                   {"support_phone", "1-800-555-0100"}}));
  if (m_session.empty() || !m_portal->signin().authenticate(m_session)) log_in();
  clear_outbox();
}

void Harness::run(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto next_line = [&input]() {
    std::size_t lf = input.find('\n');
    std::string_view line = input.substr(0, lf);
    input.remove_prefix(lf == std::string_view::npos ? input.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  auto substitute = [this](std::string s) {
    if (s.find('$') == std::string::npos) return s;
    replace_all(s, "$SESSION", m_session);
    replace_all(s, "$ADMIN", m_admin_token);
    replace_all(s, "$EMAIL", m_email);
    replace_all(s, "$MFA", m_mfa);
    return s;
  };

  HttpRequest req;
  std::string_view request_line = next_line();
  std::size_t space = request_line.find(' ');
  req.method = pick(request_line.substr(0, space), k_methods);
  req.target =
      space == std::string_view::npos ? "/" : pick(request_line.substr(space + 1), k_routes);
  for (std::string_view line = next_line(); !line.empty(); line = next_line()) {
    std::size_t colon = line.find(':');
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    req.headers.emplace_back(lower(line.substr(0, colon)), substitute(std::string(value)));
  }
  req.body = substitute(std::string(input));
  req.remote_address = "127.0.0.1";

  // What the listener does before it calls the handler (server.cpp, to_request).
  auto url = boost::urls::parse_origin_form(req.target);
  if (!url) return;
  try {
    req.path = url->path();
    for (auto param : url->params()) req.query.emplace(param.key, param.value);
  } catch (const std::exception&) {
    return;
  }
  if (req.path.find('\0') != std::string::npos) return;

  for (std::size_t i = 0; i < k_slow_paths.size(); ++i) {
    const std::string_view slow = k_slow_paths[i];
    const bool match = slow.back() == '/' ? req.path.rfind(slow, 0) == 0 : req.path == slow;
    if (match && m_slow_seen[i]++ % static_cast<std::uint64_t>(m_slow_every) != 0) {
      ++m_slow_skipped;
      return;
    }
  }

  HttpResponse resp;
  try {
    resp = m_handler(req);
  } catch (const std::exception& e) {
    finding(std::string("the handler threw (the listener answers 500): ") + e.what(), req);
  } catch (...) {
    finding("the handler threw a non-std exception (the listener answers 500)", req);
  }

  if (m_verbose) {
    std::fprintf(stderr, "%s %s -> %d %s\n", req.method.c_str(), req.target.c_str(), resp.status,
                 resp.body.substr(0, 300).c_str());
  }
  if (resp.status < 200 || resp.status > 599) finding("status " + std::to_string(resp.status), req);
  bool has_request_id = false;
  for (const auto& [name, value] : resp.headers)
    has_request_id = has_request_id || name == "X-Request-Id";
  if (!has_request_id) finding("no X-Request-Id", req);
  // The CAQH CORE endpoints answer SOAP or MIME (their errors too), not JSON.
  const bool core = std::string_view(req.path).substr(0, 6) == "/core/";
  if (resp.status == 204) {
    if (!resp.body.empty()) finding("a 204 with a body", req);
  } else if (!core) {
    boost::system::error_code ec;
    json::value body = json::parse(resp.body, ec);
    if (ec) finding("a body that is not JSON (not UTF-8?)", req);
    if (ec || !body.is_object()) finding("a body that is not a JSON object", req);
    if (resp.status >= 400) {
      const json::value* err = body.as_object().if_contains("error");
      const json::value* code =
          err && err->is_object() ? err->as_object().if_contains("code") : nullptr;
      const json::value* message =
          err && err->is_object() ? err->as_object().if_contains("message") : nullptr;
      if (!code || !code->is_string() || code->as_string().empty() || !message ||
          !message->is_string()) {
        finding("an error without error.code and error.message", req);
      }
      if (resp.status >= 500 && !(resp.status == 503 && code->as_string() == "maintenance")) {
        finding("status " + std::to_string(resp.status) + " " + std::string(code->as_string()),
                req);
      }
    }
    // Follow what the request changed, so no new login is needed.
    const bool ours = req.header("authorization") == "Bearer " + m_session;
    if (ours && resp.status == 200 && req.path == "/v1/auth/refresh") {
      m_session = std::string(body.as_object().at("token").as_string());  // the old one is revoked
    }
    if (ours && resp.status == 200 && req.path == "/v1/profile" && req.method == "PATCH") {
      m_email = std::string(body.as_object().at("email").as_string());
    }
  }

  // Cheap requests that leave the portal as it was need no restore; the rest do.
  const bool reads_only = req.path == "/v1/eligibility" || req.path == "/v1/organizations" ||
                          req.path == "/v1/health" || req.path == "/v1/health-plans" ||
                          (req.method == "GET" && req.path == "/v1/profile") ||
                          resp.status == 404 || resp.status == 405;
  restore(!reads_only);
}

Harness* g_harness = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static Harness harness;
  g_harness = &harness;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  g_harness->run(data, size);
  return 0;
}
