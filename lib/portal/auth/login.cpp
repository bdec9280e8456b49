#include "portal/auth/login.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "portal/auth/totp.hpp"
#include "portal/log/log.hpp"

namespace portal::auth {

namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void say(const LoginRequest& r, const std::string& text) {
  if (r.notice) r.notice(text);
}

bool has_code_source(const CodeSources& c) {
  return !c.otp_code.empty() || !c.otp_command.empty() || !c.totp_secret.empty() || c.prompt;
}

// The code for `factor` from the first available source (the computed TOTP code excepted).
Expected<std::string> obtain_code(const LoginRequest& r, const std::string& factor,
                                  const std::string& email) {
  const CodeSources& c = r.codes;
  if (!c.otp_code.empty()) return c.otp_code;
  if (!c.otp_command.empty()) {
    return run_secret_command(c.otp_command, "--otp-command",
                              {{"PROVPORTAL_OTP_FACTOR", factor}, {"PROVPORTAL_OTP_EMAIL", email}});
  }
  if (c.prompt) {
    auto code = c.prompt(factor == "totp" ? "Code from your authenticator app: "
                                          : "One-time passcode from the email: ");
    if (!code) return code;
    log::register_secret(*code);
    if (code->empty())
      return fail(ErrorKind::auth, "no one-time code entered", "run `provportal login` again");
    return trim(*code);
  }
  return fail(ErrorKind::usage, "no one-time code available",
              "pass --otp-code, --otp-command or --totp-secret-file");
}

}  // namespace

Expected<LoginOutcome> run_login(api::PortalApi& api, const LoginRequest& request) {
  const CodeSources& codes = request.codes;
  if (!has_code_source(codes)) {
    return fail(ErrorKind::usage, "no way to get the second factor without a terminal",
                "pass --otp-command CMD, --totp-secret-file FILE or --otp-code CODE");
  }
  auto challenge = api.login(request.email, request.password);
  if (!challenge) return fail(challenge.error());
  if (challenge->password_expired && !request.new_password) {
    // Stop before the second factor: an emailed passcode would be spent for nothing.
    return fail(ErrorKind::auth, "the password has expired and must be changed before logging in",
                "run `provportal login` on a terminal to choose a new one, or pass "
                "--new-password-file FILE");
  }

  std::string factor;
  std::string code;
  if (request.mfa == MfaChoice::totp) {
    if (!challenge->offers("totp")) {
      return fail(ErrorKind::auth, "no authenticator app is enrolled for this account",
                  "use --mfa email, or enrol one with `provportal update-profile --enroll-totp`");
    }
    factor = "totp";
  } else if (request.mfa == MfaChoice::email || !challenge->offers("totp")) {
    factor = "email";
  } else if (!codes.totp_secret.empty() || !codes.otp_code.empty()) {
    // An email passcode cannot exist before this run asks for it, so a code given up front is
    // the app's.
    factor = "totp";
  } else if (codes.prompt && codes.otp_command.empty()) {
    auto entered = codes.prompt("Code from your authenticator app (Enter for a code by email): ");
    if (!entered) return fail(entered.error());
    code = trim(*entered);
    log::register_secret(code);
    factor = code.empty() ? "email" : "totp";
  } else {
    factor = "email";
  }
  if (factor == "email" && !challenge->offers("email")) {
    return fail(ErrorKind::auth, "the portal offers no email passcode for this account",
                "use --mfa totp with --totp-secret-file or --otp-code");
  }

  if (factor == "email") {
    auto sent = api.send_email_code(challenge->mfa_token);
    if (!sent) return fail(sent.error());
    std::string to = sent->contains("sent_to") && sent->at("sent_to").is_string()
                         ? std::string(sent->at("sent_to").get_string())
                         : request.email;
    say(request, "A one-time passcode was sent to " + to + "; it expires in 10 minutes.");
  }
  std::optional<std::uint64_t> computed_step;
  if (code.empty()) {
    if (factor == "totp" && !codes.totp_secret.empty() && codes.otp_code.empty()) {
      auto choice = choose_totp_step(
          challenge->server_now(),
          request.totp_steps ? request.totp_steps->last(codes.totp_secret) : std::nullopt);
      if (choice.wait.count() > 0) {
        say(request, "The authenticator code of this 30-second step was used already; waiting " +
                         std::to_string(choice.wait.count()) + " s for the next one.");
        if (request.sleep)
          request.sleep(choice.wait);
        else
          std::this_thread::sleep_for(choice.wait);
      }
      auto c = totp_code_at_step(codes.totp_secret, choice.step);
      if (!c) return fail(ErrorKind::input, "the TOTP secret is not valid Base32");
      code = *c;
      computed_step = choice.step;
    } else {
      auto c = obtain_code(request, factor, request.email);
      if (!c) return fail(c.error());
      code = *c;
    }
  }
  log::register_secret(code);

  auto verified = api.verify_mfa(challenge->mfa_token, factor, code);
  if (!verified && computed_step && verified.error().code == "mfa_failed" &&
      *computed_step <= totp_step(challenge->server_now())) {
    // Not a step this machine spent: the app on a phone may have used it. The next step's code
    // is still inside the portal's tolerance window (this costs one failed attempt).
    spdlog::info("TOTP code of this time step refused; trying the next step's code");
    auto next = totp_code_at_step(codes.totp_secret, *computed_step + 1);
    if (next) {
      log::register_secret(*next);
      verified = api.verify_mfa(challenge->mfa_token, factor, *next);
      ++*computed_step;
    }
  }
  if (computed_step && request.totp_steps) {
    // Spent whether or not the portal took it: a refused code is not worth sending again either.
    if (auto kept = request.totp_steps->remember(codes.totp_secret, *computed_step); !kept)
      spdlog::warn("cannot record the TOTP step used: {}", kept.error().message);
  }
  if (!verified) return fail(verified.error());

  LoginOutcome outcome;
  outcome.factor = factor;
  if (challenge->server_time) outcome.clock_offset = challenge->server_now() - SystemClock().now();
  if (verified->session) {
    outcome.session = std::move(*verified->session);
    return outcome;
  }
  say(request, "The password has expired and must be changed now.");
  if (!request.new_password) {
    return fail(ErrorKind::auth, "password expired",
                "run `provportal login` on a terminal or pass --new-password-file");
  }
  auto fresh = request.new_password();
  if (!fresh) return fail(fresh.error());
  log::register_secret(*fresh);
  auto grant = api.change_expired_password(verified->password_change_token, *fresh);
  if (!grant) return fail(grant.error());
  outcome.session = std::move(*grant);
  outcome.password_changed = true;
  return outcome;
}

Expected<std::string> run_secret_command(const std::string& command, const std::string& what,
                                         const std::map<std::string, std::string>& env,
                                         std::chrono::seconds timeout) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return fail(ErrorKind::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return fail(ErrorKind::internal, "cannot start " + what + ": " + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::signal(SIGINT, SIG_DFL);
    // provportal takes SIGINT/SIGTERM on a thread of its own with them blocked; the command
    // must get them as usual.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(out[1]);
  std::string output;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = ::read(out[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (output.size() < 65536) output.append(buf, static_cast<std::size_t>(got));
  }
  ::close(out[0]);
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return fail(ErrorKind::auth,
                what + " did not answer within " + std::to_string(timeout.count()) + " seconds");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status));
    return fail(ErrorKind::auth, what + " failed (" + how + ")",
                "run the command by hand to see why (its messages are above); it must print "
                "the secret on stdout");
  }
  std::string secret = trim(output);
  if (secret.empty()) {
    return fail(ErrorKind::auth, what + " printed nothing", "it must print the secret on stdout");
  }
  log::register_secret(secret);
  return secret;
}

Expected<std::string> parse_totp_secret(std::string_view text) {
  std::string t = trim(text);
  std::string secret;
  if (t.rfind("otpauth://", 0) == 0) {
    auto q = t.find('?');
    std::string_view query =
        q == std::string::npos ? std::string_view{} : std::string_view(t).substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      auto pair = query.substr(0, amp);
      if (pair.rfind("secret=", 0) == 0) secret = percent_decode(pair.substr(7));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
    if (secret.empty()) return fail(ErrorKind::input, "the otpauth:// URI has no secret parameter");
  } else {
    secret = t;
  }
  if (!base32_decode(secret) || secret.empty()) {
    return fail(ErrorKind::input,
                "the TOTP secret file holds neither a Base32 secret nor an otpauth:// URI");
  }
  log::register_secret(secret);
  return secret;
}

}  // namespace portal::auth
