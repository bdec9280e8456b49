// provportal-sandbox: the reference portal server (serve) and its administration (admin).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "man_page.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/clock.hpp"
#include "sandbox/api.hpp"
#include "sandbox/clearinghouse.hpp"
#include "sandbox/faults.hpp"
#include "sandbox/portal.hpp"
#include "sandbox/server.hpp"
#include "sandbox/tls_certs.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

// The exit status of every command; `--help` and the man pages print it.
constexpr const char* k_exit_status_help =
    "Exit status:\n"
    "  0    done\n"
    "  2    usage error: bad flags or arguments\n"
    "  3    no sandbox database in the data directory, bad seed data, or a request the portal\n"
    "       refuses as invalid\n"
    "  5    the certificates, the listening socket or a client certificate could not be made\n"
    "  6    not found (no such account or order), or a conflict with its state\n"
    "  70   an unexpected failure\n";

// The defaults of --data-dir and --seed-dir as help and the man pages name them: never a path
// of the machine that built or runs the program.
constexpr const char* k_data_dir_default =
    " (default: $XDG_DATA_HOME/provportal-sandbox, or ~/.local/share/provportal-sandbox)";
constexpr const char* k_seed_dir_default =
    " (default: examples/sandbox of the source tree the program was built from)";

fs::path default_data_dir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    return fs::path(x) / "provportal-sandbox";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : ".") / ".local/share/provportal-sandbox";
}

bool parse_on_off(const std::string& s) {
  return s == "on" || s == "true" || s == "yes" || s == "1";
}

// Splits "HOST:PORT", "[::1]:PORT".
bool split_listen(const std::string& listen, std::string& host, std::uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

void write_atomically(const fs::path& file, const std::string& content) {
  if (auto written = portal::write_file_atomically(file, content); !written) {
    throw std::runtime_error(written.error().message);
  }
}

void print_json(const json::value& v) { std::cout << json::serialize(v) << "\n"; }

int fail_with(const std::string& message, int code) {
  std::cerr << "provportal-sandbox: error: " << message << "\n";
  return code;
}

std::atomic<bool> g_stop{false};
extern "C" void stop_on_signal(int) { g_stop = true; }

// The first line of `file`, without its line end ("" when it cannot be read).
std::string first_line(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int print_api(const ApiResult<json::object>& r) {
  if (!r) {
    std::cerr << "provportal-sandbox: error: " << r.error().message << " (" << r.error().code
              << ")\n";
    return r.error().status == 404 ? 6 : (r.error().status == 409 ? 6 : 3);
  }
  print_json(*r);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"provportal-sandbox: the reference provider portal server (HTTPS + SQLite).\n",
               "provportal-sandbox"};
  app.footer(
      std::string(k_exit_status_help) +
      "\n"
      "Examples:\n"
      "  provportal-sandbox serve --data-dir ./sandbox --listen 127.0.0.1:0 --maintenance-window "
      "off\n"
      "  provportal-sandbox admin --data-dir ./sandbox approve jane@clinic.example\n"
      "  provportal-sandbox admin --data-dir ./sandbox clock advance 16m\n");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("provportal-sandbox ") + PORTAL_VERSION);

  std::string data_dir = default_data_dir().string();
  auto* serve = app.add_subcommand("serve", "Serve the portal API over HTTPS until interrupted");
  std::string listen = "127.0.0.1:8443";
  std::string seed_dir = PORTAL_DEFAULT_SEED_DIR;
  std::string maintenance;
  int max_age = -1;
  std::vector<std::string> cert_hosts;
  std::string client_ca;
  unsigned threads = 0;
  std::string log_level = "info";
  std::string faults;
  std::string claims_epoch;
  serve->add_option(
      "--data-dir", data_dir,
      std::string("Directory of the database, certificates and outbox") + k_data_dir_default);
  serve->add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free port)")
      ->capture_default_str();
  serve->add_option("--seed-dir", seed_dir,
                    std::string("Directory of the seed YAML files") + k_seed_dir_default);
  serve
      ->add_option("--maintenance-window", maintenance,
                   "on|off: the Sunday 12:30-18:00 America/Chicago window (stored; default on)")
      ->check(CLI::IsMember({"on", "off"}));
  serve->add_option("--password-max-age-days", max_age,
                    "Password lifetime in days, 0 = never expires (stored)");
  serve->add_option(
      "--claims-epoch", claims_epoch,
      "YYYY-MM-DD: day 0 of the seeded claims (stored; default: the date of the first start)");
  serve
      ->add_option("--cert-hosts", cert_hosts,
                   "Names in the server certificate (default: localhost,127.0.0.1,::1)")
      ->delimiter(',');
  serve->add_option("--client-ca", client_ca,
                    "Require client certificates signed by this CA (mutual TLS)");
  serve->add_option("--threads", threads, "Worker threads (default: one per core, at least 2)");
  serve->add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  serve->add_option("--faults", faults,
                    "Inject faults into a share of the requests to record endpoints, for testing "
                    "clients: rate=R[,kinds=K+K...][,seed=N][,paths=/P+/P...] (see below)");
  serve->footer(
      "Examples:\n"
      "  provportal-sandbox serve --data-dir ./sandbox --listen 127.0.0.1:0\n"
      "  provportal-sandbox serve --data-dir ./sandbox --faults "
      "rate=0.1,kinds=429+503+reset+delay,seed=42\n"
      "  provportal-sandbox serve --faults "
      "'rate=0.3,kinds=reset-after,paths=/v1/eligibility+/v1/cases'\n"
      "  provportal-sandbox serve --data-dir ./sandbox --claims-epoch 2026-11-17   # claims dated "
      "from that day\n"
      "\n"
      "Fault injection (--faults): settings are separated by commas, list items by '+'.\n"
      "  rate=R     share of the eligible requests that get a fault, 0 to 1 (required)\n"
      "  kinds=K+K  chosen among with equal chances (default: all):\n"
      "               429          answer 429 with Retry-After: 1 (request not applied)\n"
      "               503          answer 503 with Retry-After: 1 (not applied)\n"
      "               500          answer 500 (not applied)\n"
      "               reset        reset the connection before applying the request\n"
      "               reset-after  apply the request, then reset the connection unanswered\n"
      "               delay        apply the request and answer after 0.2-1.5 s\n"
      "               truncate     apply the request, send half the answer, then close\n"
      "             and, named on their own (not in all), for the CAQH CORE endpoints /core/*:\n"
      "               core-42      answer a 270 with AAA*N**42*R (cannot respond now)\n"
      "               core-slow    answer after 21-25 s, past CORE's 20 s real-time budget\n"
      "  seed=N     makes the choice of requests and faults repeatable (default: random, logged)\n"
      "  paths=/P   only requests whose path is /P or below it (default: every path but\n"
      "             /v1/health, /v1/auth/*, /v1/admin/*, /v1/registrations,\n"
      "             /v1/email-verifications, /v1/password-resets and /v1/organizations, so\n"
      "             signing in keeps working)\n"
      "Each injected fault is logged at debug level (--log-level debug).\n"
      "\n"
      "CAQH CORE: the same address answers X12 270/276 real-time inquiries at POST /core/soap\n"
      "(SOAP 1.2) and POST /core/mime (multipart/form-data), a portal account's email and\n"
      "password as the UsernameToken (see docs/core.md of the source tree).\n");

  auto* admin =
      app.add_subcommand("admin", "Administer accounts, the clock and settings of a sandbox");
  admin->require_subcommand(1);
  admin->add_option("--data-dir", data_dir,
                    std::string("The sandbox's data directory") + k_data_dir_default);
  admin->footer(
      "Examples:\n"
      "  provportal-sandbox admin --data-dir D approve jane@clinic.example\n"
      "  provportal-sandbox admin --data-dir D clock set 2026-03-08T18:29:00Z\n"
      "  provportal-sandbox admin --data-dir D settings --maintenance-window off\n"
      "  provportal-sandbox admin --data-dir D settings --claims-epoch 2026-11-17\n");
  std::string email;
  std::string chosen_action;
  for (const char* action :
       {"approve", "reject", "disable", "unlock", "reset-password", "resend-verification"}) {
    std::string help =
        std::string(action) == "approve"
            ? "Approve a pending registration (sends the verification email)"
        : std::string(action) == "reject"  ? "Reject a pending registration"
        : std::string(action) == "disable" ? "Disable an account (only a new registration helps)"
        : std::string(action) == "unlock"  ? "Clear a lockout and reactivate an inactive account"
        : std::string(action) == "reset-password"
            ? "Email a password reset code"
            : "Email a new verification code to an approved, unverified account (old ones void)";
    auto* sub = admin->add_subcommand(action, help);
    sub->add_option("email", email, "The account's email address")->required();
    sub->callback([&chosen_action, action] { chosen_action = action; });
  }
  auto* regs = admin->add_subcommand("registrations", "List registrations");
  std::string reg_status;
  regs->add_option("--status", reg_status,
                   "pending_review|email_unverified|active|rejected|disabled");
  auto* clock = admin->add_subcommand(
      "clock", "Show or move the sandbox clock (a running server follows at once)");
  clock->require_subcommand(1);
  std::string clock_value;
  auto* clock_show = clock->add_subcommand("show", "Print the sandbox time");
  auto* clock_set = clock->add_subcommand("set", "Set the time (ISO 8601)");
  clock_set->add_option("time", clock_value, "e.g. 2026-03-08T18:29:00Z")->required();
  auto* clock_adv = clock->add_subcommand("advance", "Move the time forward (or back with -)");
  clock_adv->add_option("duration", clock_value, "e.g. 16m, 46d, 1d12h, -5m")
      ->required()
      ->allow_extra_args(false);
  auto* clock_reset = clock->add_subcommand("reset", "Follow the machine's clock again");
  auto* settings = admin->add_subcommand("settings", "Show or change settings");
  std::string set_maint;
  int set_age = -1;
  std::string set_phone;
  std::string set_epoch;
  int set_batch_delay = -1;
  settings->add_option("--maintenance-window", set_maint, "on|off")
      ->check(CLI::IsMember({"on", "off"}));
  settings->add_option("--claims-epoch", set_epoch,
                       "YYYY-MM-DD: day 0 of the seeded claims (examples/sandbox/claims.yaml)");
  settings->add_option("--password-max-age-days", set_age, "0 = never expires");
  settings->add_option("--support-phone", set_phone, "Phone number quoted during maintenance");
  settings->add_option("--core-batch-delay", set_batch_delay,
                       "SECONDS: CORE batch results are ready this long after their submission "
                       "(0, the default: at once; a retrieval before is answered ResultsNotReady)");
  auto* decide = admin->add_subcommand(
      "decide", "Decide a pended or needs-documents prior-authorization order (writes its letter)");
  std::string decide_order, decide_decision, decide_note;
  std::vector<std::string> decide_units;
  decide->add_option("order_id", decide_order, "The order, e.g. ORD-12345678")->required();
  decide->add_option("decision", decide_decision, "approve|deny|partial")
      ->required()
      ->check(CLI::IsMember({"approve", "deny", "partial"}));
  decide
      ->add_option("--units", decide_units,
                   "For partial: approved units per code, CODE=N (default: the solution's share)")
      ->delimiter(',');
  decide->add_option("--note", decide_note, "A note printed on the letter");
  decide->add_option("--seed-dir", seed_dir,
                     std::string("The seed the server was started with (plan and solution names)") +
                         k_seed_dir_default);
  decide->footer(
      "Examples:\n"
      "  provportal-sandbox admin --data-dir D decide ORD-12345678 approve\n"
      "  provportal-sandbox admin --data-dir D decide ORD-12345678 partial --units 70551=1 --note "
      "'one study'\n");
  auto* token =
      admin->add_subcommand("token", "Print the path of the administrator API token file");
  auto* client_cert =
      admin->add_subcommand("issue-client-cert", "Issue a client certificate for mutual TLS");
  std::string cn = "provportal-client", cert_out, key_out;
  client_cert
      ->add_option(
          "--cn", cn,
          "Common name; for CAQH CORE, an account's email: a request over this certificate with no "
          "UsernameToken is that account's")
      ->capture_default_str();
  client_cert->add_option("--cert", cert_out, "Certificate output (PEM)")->required();
  client_cert->add_option("--key", key_out, "Key output (PEM, 0600)")->required();

  auto* house = app.add_subcommand(
      "clearinghouse", "Play a clearinghouse's SFTP drop: answer the X12 files a provider drops");
  std::string house_outbox, house_inbox, house_email, house_password_file, house_interval = "2s";
  bool house_once = false, house_remittances = false;
  house->add_option("--data-dir", data_dir,
                    std::string("The sandbox's data directory") + k_data_dir_default);
  house->add_option(
      "--seed-dir", seed_dir,
      std::string("The seed the server was started with (roster, claims)") + k_seed_dir_default);
  house
      ->add_option("--outbox", house_outbox,
                   "The provider's outbox: its *.x12 files are picked up here (then moved to "
                   "DIR/.done/)")
      ->required();
  house
      ->add_option("--inbox", house_inbox,
                   "The provider's inbox: the 999 (or TA1) and 271/277 files are written here")
      ->required();
  house
      ->add_option("--email", house_email,
                   "The portal account the drop belongs to (its organisation's claims answer "
                   "276s)")
      ->required();
  house
      ->add_option("--password-file", house_password_file, "A file holding that account's password")
      ->required();
  auto* once_flag =
      house->add_flag("--once", house_once, "Answer the files waiting now, then exit");
  house->add_flag("--remittances", house_remittances,
                  "Also drop the 835s the portal issued to the account's organisation into the "
                  "inbox, each once, as 835_PAYER_CHECK.x12");
  house
      ->add_option("--interval", house_interval,
                   "Without --once: look for new files this often until interrupted")
      ->capture_default_str()
      ->excludes(once_flag);
  house->add_option("--log-level", log_level, "trace|debug|info|warn|error|off (on stderr)")
      ->capture_default_str();
  house->footer(
      "Each interchange gets a 999 (IK5 A or R with IK3/IK4 per set; a TA1 instead for a broken\n"
      "envelope) and a 271 or 277 with the answers of its accepted sets, by the CORE endpoint's\n"
      "rules (docs/core.md, \"File exchange\"). One JSON line per file answered on stdout.\n"
      "With --remittances, each pass also drops the 835s issued up to the portal's time and not\n"
      "dropped before (listed in OUTBOX/.done/835-delivered), and prints {\"remittances\": "
      "[...]}.\n"
      "Exits 3 when the account's credentials are refused.\n"
      "\n"
      "Examples:\n"
      "  provportal-sandbox clearinghouse --data-dir D --outbox drop/outbox --inbox drop/inbox \\\n"
      "      --email jane@clinic.example --password-file pw --once\n"
      "  provportal-sandbox clearinghouse --data-dir D --outbox drop/outbox --inbox drop/inbox \\\n"
      "      --email jane@clinic.example --password-file pw --interval 5s\n");

  // `provportal-sandbox --man-pages DIR`: the build writes the man pages from this command tree.
  if (int rc = portal::man::answer_man_pages_request(
          argc, argv, app,
          {"provportal-sandbox", PORTAL_VERSION, k_exit_status_help, {"provportal"}});
      rc >= 0) {
    return rc;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  try {
    if (serve->parsed()) {
      auto level = spdlog::level::from_str(log_level);
      auto logger = spdlog::stderr_color_mt("sandbox");
      spdlog::set_default_logger(logger);
      spdlog::set_level(level);
      std::shared_ptr<FaultInjector> injector;
      if (!faults.empty()) {
        auto spec = parse_fault_spec(faults);
        if (!spec) return fail_with(spec.error().message + "\n  " + spec.error().hint, 2);
        injector = std::make_shared<FaultInjector>(*spec);
      }
      std::string host;
      std::uint16_t port = 0;
      if (!split_listen(listen, host, port))
        return fail_with("--listen must be HOST:PORT, got " + listen, 2);
      if (cert_hosts.empty()) cert_hosts = {"localhost", "127.0.0.1", "::1"};
      auto certs = ensure_certificates(data_dir, cert_hosts);
      if (!certs) return fail_with(certs.error().message, 5);
      Portal portal(data_dir);
      try {
        portal.load_seed(seed_dir);
      } catch (const std::exception& e) {
        return fail_with(std::string("bad seed data: ") + e.what(), 3);
      }
      json::object changes;
      if (!maintenance.empty()) changes["maintenance_window"] = parse_on_off(maintenance);
      if (max_age >= 0) changes["password_max_age_days"] = max_age;
      if (!claims_epoch.empty()) changes["claims_epoch"] = claims_epoch;
      if (!changes.empty()) {
        if (auto r = portal.update_settings(changes); !r) return fail_with(r.error().message, 2);
      }
      ServerOptions opts;
      opts.host = host;
      opts.port = port;
      opts.cert_file = certs->server_cert.string();
      opts.key_file = certs->server_key.string();
      opts.client_ca_file = client_ca;
      opts.threads = threads;
      opts.faults = injector;
      configure_uploads(opts, portal);
      auto server = Server::create(opts, make_api_handler(portal));
      if (!server) return fail_with(server.error().message, 5);
      std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
      std::string address = shown_host + ":" + std::to_string((*server)->port());
      write_atomically(fs::path(data_dir) / "address", address + "\n");
      auto s = portal.settings();
      std::cout << "provportal-sandbox listening on https://" << address << " (data " << data_dir
                << ", CA " << certs->ca_cert.string() << ", maintenance window "
                << (s.maintenance_window ? "on" : "off") << ")" << std::endl;
      if (injector) spdlog::warn("injecting faults: {}", fault_spec_text(injector->spec()));
      (*server)->run();
      fs::remove(fs::path(data_dir) / "address");
      return 0;
    }

    if (!fs::exists(fs::path(data_dir) / "portal.db")) {
      return fail_with("no sandbox database in " + data_dir +
                           "; start one with `provportal-sandbox serve --data-dir " + data_dir +
                           "`",
                       3);
    }
    Portal portal(data_dir);
    if (house->parsed()) {
      // stdout carries the JSON lines: the log goes to stderr, as the server's does.
      spdlog::set_default_logger(spdlog::stderr_color_mt("clearinghouse"));
      spdlog::set_level(spdlog::level::from_str(log_level));
      auto interval = parse_duration(house_interval);
      if (!house_once && (!interval || interval->count() <= 0))
        return fail_with("--interval takes a duration such as 2s or 1m, got " + house_interval, 2);
      try {
        portal.load_seed(seed_dir);
      } catch (const std::exception& e) {
        return fail_with(std::string("bad seed data: ") + e.what(), 3);
      }
      auto user = portal.signin().verify_credentials(house_email, first_line(house_password_file));
      if (!user) return fail_with("the account's credentials: " + user.error().message, 3);
      Clearinghouse clearinghouse(portal, {house_outbox, house_inbox, *user, house_remittances});
      std::signal(SIGINT, stop_on_signal);
      std::signal(SIGTERM, stop_on_signal);
      while (true) {
        for (const auto& done : clearinghouse.run_once()) {
          json::array answers;
          for (const auto& a : done.answers) answers.emplace_back(a);
          print_json(json::object{{"file", done.file},
                                  {"sets", done.sets},
                                  {"accepted", done.accepted},
                                  {"answers", std::move(answers)}});
        }
        if (house_remittances) {
          json::array dropped;
          for (const auto& name : clearinghouse.deliver_remittances()) dropped.emplace_back(name);
          if (!dropped.empty()) print_json(json::object{{"remittances", std::move(dropped)}});
        }
        std::cout << std::flush;
        if (house_once) return 0;
        const auto until = std::chrono::steady_clock::now() + *interval;
        while (!g_stop && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (g_stop) return 0;
      }
    }
    if (!chosen_action.empty())
      return print_api(portal.accounts().admin_action(chosen_action, email));
    if (regs->parsed()) return print_api(portal.accounts().admin_registrations(reg_status));
    if (clock->parsed()) {
      if (clock_show->parsed()) print_json(portal.clock_show());
      if (clock_reset->parsed()) print_json(portal.clock_reset());
      if (clock_set->parsed()) {
        auto t = parse_iso8601(clock_value);
        if (!t)
          return fail_with("not an ISO 8601 time: " + clock_value + " (e.g. 2026-03-08T18:29:00Z)",
                           2);
        print_json(portal.clock_set(*t));
      }
      if (clock_adv->parsed()) {
        auto d = parse_duration(clock_value);
        if (!d) return fail_with("not a duration: " + clock_value + " (e.g. 16m, 46d, 1d12h)", 2);
        print_json(portal.clock_advance(*d));
      }
      return 0;
    }
    if (settings->parsed()) {
      json::object changes;
      if (!set_maint.empty()) changes["maintenance_window"] = parse_on_off(set_maint);
      if (set_age >= 0) changes["password_max_age_days"] = set_age;
      if (!set_phone.empty()) changes["support_phone"] = set_phone;
      if (!set_epoch.empty()) changes["claims_epoch"] = set_epoch;
      if (set_batch_delay >= 0) changes["core_batch_delay_seconds"] = set_batch_delay;
      return print_api(portal.update_settings(changes));
    }
    if (decide->parsed()) {
      json::object body{{"decision", decide_decision}};
      if (!decide_note.empty()) body["note"] = decide_note;
      if (!decide_units.empty()) {
        json::object units;
        for (const auto& item : decide_units) {
          auto eq = item.find('=');
          std::int64_t n = -1;
          try {
            if (eq != std::string::npos) n = std::stoll(item.substr(eq + 1));
          } catch (...) {
          }
          if (eq == std::string::npos || n < 0)
            return fail_with("--units takes CODE=N, got " + item, 2);
          units[item.substr(0, eq)] = n;
        }
        body["approved_units"] = std::move(units);
      }
      // The letter names the plan and the solution: the seed is read as `serve` reads it.
      try {
        portal.load_seed(seed_dir);
      } catch (const std::exception& e) {
        return fail_with(std::string("bad seed data: ") + e.what(), 3);
      }
      return print_api(portal.orders().decide_case(decide_order, body));
    }
    if (token->parsed()) {
      std::cout << portal.accounts().admin_token_file().string() << "\n";
      return 0;
    }
    if (client_cert->parsed()) {
      auto r = issue_client_certificate(data_dir, cn, cert_out, key_out);
      if (!r) return fail_with(r.error().message, 5);
      return 0;
    }
  } catch (const std::exception& e) {
    return fail_with(e.what(), 70);
  }
  return 0;
}
