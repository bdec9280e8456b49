#include "sandbox/api.hpp"

#include <atomic>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/util/clock.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/maintenance.hpp"
#include "sandbox/core.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/idempotency.hpp"

namespace portal::sandbox {

namespace json = boost::json;

namespace {

HttpResponse json_response(int status, const json::value& body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

HttpResponse error_response(const ApiError& e) {
  json::object err = e.extra;
  err["code"] = e.code;
  err["message"] = e.message;
  return json_response(e.status, json::object{{"error", std::move(err)}});
}

HttpResponse from_result(const ApiResult<json::object>& r, int ok_status = 200) {
  if (!r) return error_response(r.error());
  if (ok_status == 204) {
    HttpResponse resp;
    resp.status = 204;
    return resp;
  }
  return json_response(ok_status, *r);
}

// "req_" and 16 URL-safe characters, as the client's own would look. Identifiers, not secrets:
// a per-thread generator seeded from the CSPRNG, so a request costs no system call for it.
std::string new_request_id() {
  thread_local std::mt19937_64 generator = [] {
    std::string seed = random_token(24);
    std::seed_seq seq(seed.begin(), seed.end());
    return std::mt19937_64(seq);
  }();
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string id = "req_";
  std::uint64_t bits = generator();
  std::uint64_t more = generator();
  for (int i = 0; i < 16; ++i) {
    id += k_alphabet[bits & 63];
    bits = i == 9 ? more : bits >> 6;  // 10 characters from the first 60 bits, 6 from the next
  }
  return id;
}

std::string bearer(const HttpRequest& req) {
  std::string h = req.header("authorization");
  constexpr std::string_view k_prefix = "Bearer ";
  if (h.size() > k_prefix.size() && h.compare(0, k_prefix.size(), k_prefix) == 0) {
    return h.substr(k_prefix.size());
  }
  return {};
}

// The path's segments: "/v1/cases/ORD-1" → {"v1", "cases", "ORD-1"}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Whether `path` fits a route pattern whose "{name}" segments stand for any one segment.
bool path_matches(std::string_view pattern, std::string_view path) {
  if (pattern.find('{') == std::string_view::npos) return pattern == path;
  if (path.empty() || path.back() == '/') return false;
  auto want = segments(pattern), got = segments(path);
  if (want.size() != got.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].front() != '{') {
      if (want[i] != got[i]) return false;
    } else if (got[i].size() > 64 ||
               got[i].find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789._-") != std::string_view::npos) {
      return false;  // not an identifier the portal hands out: no such resource
    }
  }
  return true;
}

// The path's segment `index` (0: "v1"), or "".
std::string path_segment(std::string_view path, std::size_t index) {
  auto all = segments(path);
  return index < all.size() ? std::string(all[index]) : std::string();
}

constexpr std::string_view k_upload_pattern = "/v1/cases/{order_id}/documents";

bool is_upload(const HttpRequest& req) {
  return req.method == "POST" && path_matches(k_upload_pattern, req.path);
}

// What an Idempotency-Key stands for: the body, or for an upload (whose body is a file) the
// target (order, type, description, name) and the file's SHA-256.
std::string request_hash(const HttpRequest& req) {
  if (!is_upload(req)) return sha256_hex(req.body);
  return sha256_hex(req.target + "\n" +
                    (req.body_file.empty() ? sha256_hex(req.body) : req.body_sha256));
}

std::string query_value(const HttpRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

// A change to orders answered by the orders room itself under the request's Idempotency-Key
// (stored in the change's own transaction): `change(key, request_hash)`.
template <class Change>
HttpResponse keyed_change(const HttpRequest& req, int created_status, Change change) {
  std::string key;
  if (const std::string* k = req.find_header("idempotency-key")) {
    if (!idempotency_key_is_valid(*k)) {
      return error_response({400,
                             "invalid_idempotency_key",
                             "Idempotency-Key must be 1 to 128 printable ASCII characters",
                             {}});
    }
    key = *k;
  }
  CaseSubmission submitted = change(key, sha256_hex(req.body));
  if (submitted.replay) {
    HttpResponse r;
    r.status = submitted.replay->status;
    r.body = std::move(submitted.replay->body);
    r.headers.emplace_back("Idempotent-Replayed", "true");
    return r;
  }
  return from_result(submitted.result, created_status);
}

HttpResponse submit_case(Portal& p, const HttpRequest& req, const json::object& body,
                         const std::string& user) {
  return keyed_change(req, 201, [&](const std::string& key, const std::string& hash) {
    return p.orders().submit_case(user, body, key, hash);
  });
}

HttpResponse upload_document(Portal& p, const HttpRequest& req, const std::string& user) {
  DocumentUpload upload{query_value(req, "document_type"), query_value(req, "description"),
                        query_value(req, "filename"), req.header("x-content-sha256")};
  UploadedBody body;
  if (!req.body_file.empty()) {
    body = {req.body_file, req.body_size, req.body_sha256};
  } else {
    // A body that came in memory (a listener not set up to stream) goes the same way.
    std::filesystem::create_directories(p.orders().upload_dir());
    body = {p.orders().upload_dir() / ("mem-" + random_token(12)), req.body.size(),
            sha256_hex(req.body)};
    std::FILE* f = std::fopen(body.file.c_str(), "wb");
    if (f == nullptr) throw std::runtime_error("cannot write " + body.file.string());
    bool ok = std::fwrite(req.body.data(), 1, req.body.size(), f) == req.body.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok) throw std::runtime_error("cannot write " + body.file.string());
  }
  auto r = p.orders().upload_document(user, path_segment(req.path, 2), upload, body);
  if (!r) return error_response(r.error());
  return json_response(r->at("deduplicated").as_bool() ? 200 : 201, *r);
}

// The maintenance window's 503, when it is on now.
std::optional<HttpResponse> maintenance_refusal(Portal& portal) {
  auto [now, s] = portal.now_and_settings();
  if (!s.maintenance_window) return std::nullopt;
  auto end = maintenance_window_end(now);
  if (!end) return std::nullopt;
  auto retry = (*end - now).count();
  auto r = error_response({503, "maintenance",
                           "the portal is down for scheduled maintenance until " +
                               describe_chicago_time(*end) +
                               "; urgent requests: call the health plan at " + s.support_phone,
                           json::object{{"window_end", format_iso8601(*end)},
                                        {"retry_after", retry},
                                        {"support_phone", s.support_phone}}});
  r.headers.emplace_back("Retry-After", std::to_string(retry));
  return r;
}

struct Route {
  std::string method;
  std::string path;
  enum class Auth { none, session, admin } auth;
  std::function<HttpResponse(Portal&, const HttpRequest&, const json::object& body,
                             const std::string& user)>
      run;
  // Honours Idempotency-Key (session routes only: the key is scoped to the user).
  bool idempotent = false;
};

std::vector<Route> routes() {
  using A = Route::Auth;
  return {
      {"GET", "/v1/health", A::none,
       [](Portal& p, const HttpRequest&, const json::object&, const std::string&) {
         auto now = p.now();
         auto s = p.settings();
         json::object m{{"enabled", s.maintenance_window}};
         auto end = maintenance_window_end(now);
         m["active"] = s.maintenance_window && end.has_value();
         if (s.maintenance_window && end) m["window_end"] = format_iso8601(*end);
         m["next_window_start"] = format_iso8601(next_maintenance_start(now));
         return json_response(200, json::object{{"status", "ok"},
                                                {"time", format_iso8601(now)},
                                                {"maintenance", std::move(m)}});
       }},
      {"GET", "/v1/organizations", A::none,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string&) {
         auto it = r.query.find("npi");
         return from_result(p.accounts().organizations(it == r.query.end() ? "" : it->second));
       }},
      {"POST", "/v1/registrations", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.accounts().register_account(b), 201);
       }},
      {"POST", "/v1/email-verifications", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.accounts().verify_email(b));
       }},
      {"POST", "/v1/email-verifications/resend", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         auto r = p.accounts().resend_verification(b);
         auto resp = from_result(r, 202);
         if (!r) {
           if (const auto* wait = r.error().extra.if_contains("retry_after");
               wait && wait->is_int64())
             resp.headers.emplace_back("Retry-After", std::to_string(wait->as_int64()));
         }
         return resp;
       }},
      {"POST", "/v1/auth/login", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.signin().login(b));
       }},
      {"POST", "/v1/auth/mfa/email", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.signin().mfa_email(b), 202);
       }},
      {"POST", "/v1/auth/mfa/verify", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.signin().mfa_verify(b));
       }},
      {"POST", "/v1/auth/password/expired", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.signin().expired_password_change(b));
       }},
      {"POST", "/v1/password-resets", A::none,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.signin().password_reset(b));
       }},
      {"POST", "/v1/auth/refresh", A::none,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string&) {
         return from_result(p.signin().refresh(bearer(r)));
       }},
      {"POST", "/v1/auth/logout", A::none,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string&) {
         return from_result(p.signin().logout(bearer(r)), 204);
       }},
      {"GET", "/v1/profile", A::session,
       [](Portal& p, const HttpRequest&, const json::object&, const std::string& u) {
         return from_result(p.profiles().profile(u));
       }},
      {"PATCH", "/v1/profile", A::session,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string& u) {
         return from_result(p.profiles().update_profile(u, b));
       }},
      {"POST", "/v1/profile/password", A::session,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string& u) {
         return from_result(p.profiles().change_password(u, b));
       }},
      {"POST", "/v1/profile/mfa/totp", A::session,
       [](Portal& p, const HttpRequest&, const json::object&, const std::string& u) {
         return from_result(p.profiles().totp_begin(u));
       }},
      {"POST", "/v1/profile/mfa/totp/confirm", A::session,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string& u) {
         return from_result(p.profiles().totp_confirm(u, b));
       }},
      {"POST", "/v1/profile/mfa/totp/disable", A::session,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string& u) {
         return from_result(p.profiles().totp_disable(u, b));
       }},
      {"POST", "/v1/eligibility", A::session,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.check_eligibility(b));
       },
       true},
      {"GET", "/v1/health-plans", A::session,
       [](Portal& p, const HttpRequest&, const json::object&, const std::string&) {
         return json_response(200, p.health_plans());
       }},
      {"GET", "/v1/limits", A::none,
       [](Portal& p, const HttpRequest&, const json::object&, const std::string&) {
         return json_response(200, p.orders().limits());
       }},
      {"GET", "/v1/solutions", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string&) {
         return from_result(p.orders().solutions(query_value(r, "health_plan")));
       }},
      // Idempotency-Key is honoured by Orders::submit_case itself, in the order's transaction.
      {"POST", "/v1/cases", A::session, submit_case},
      {"GET", "/v1/cases/{order_id}", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         return from_result(p.orders().get_case(u, path_segment(r.path, 2)));
       }},
      // Idempotency-Key: as for a case, stored with the change.
      {"POST", "/v1/cases/{order_id}/cancellation", A::session,
       [](Portal& p, const HttpRequest& r, const json::object& b, const std::string& u) {
         return keyed_change(r, 200, [&](const std::string& key, const std::string& hash) {
           return p.orders().cancel_case(u, path_segment(r.path, 2), b, key, hash);
         });
       }},
      {"POST", "/v1/cases/{order_id}/revisions", A::session,
       [](Portal& p, const HttpRequest& r, const json::object& b, const std::string& u) {
         return keyed_change(r, 200, [&](const std::string& key, const std::string& hash) {
           return p.orders().revise_case(u, path_segment(r.path, 2), b, key, hash);
         });
       }},
      {"POST", std::string(k_upload_pattern), A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         return upload_document(p, r, u);
       },
       true},
      {"GET", "/v1/orders", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         return from_result(p.orders().search_orders(u, r.query));
       }},
      // Claim status: an inquiry is a read, answered afresh each time (no Idempotency-Key).
      {"POST", "/v1/claims/status", A::session,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string& u) {
         return from_result(p.claims().claim_status(u, b));
       }},
      {"GET", "/v1/claims", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         return from_result(p.claims().claims_feed(u, r.query));
       }},
      {"GET", "/v1/claims/{claim_number}", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         return from_result(p.claims().get_claim(u, path_segment(r.path, 2)));
       }},
      // Remittance advice: the 835s the portal issued for the organisation's payments.
      {"GET", "/v1/remittances", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         return from_result(p.remittances().feed(u, r.query));
       }},
      {"GET", "/v1/remittances/{check_number}", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         return from_result(p.remittances().get(u, path_segment(r.path, 2)));
       }},
      {"GET", "/v1/letters/{letter_id}", A::session,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string& u) {
         std::string id = path_segment(r.path, 2);
         auto pdf = p.orders().letter_pdf(u, id);
         if (!pdf) return error_response(pdf.error());
         HttpResponse resp;
         resp.content_type = "application/pdf";
         resp.body = std::move(*pdf);
         resp.headers.emplace_back("Content-Disposition",
                                   "attachment; filename=\"" + id + ".pdf\"");
         return resp;
       }},
      {"POST", "/v1/admin/cases/{order_id}/decision", A::admin,
       [](Portal& p, const HttpRequest& r, const json::object& b, const std::string&) {
         return from_result(p.orders().decide_case(path_segment(r.path, 3), b));
       }},
      {"GET", "/v1/admin/registrations", A::admin,
       [](Portal& p, const HttpRequest& r, const json::object&, const std::string&) {
         auto it = r.query.find("status");
         return from_result(
             p.accounts().admin_registrations(it == r.query.end() ? "" : it->second));
       }},
      {"GET", "/v1/admin/clock", A::admin,
       [](Portal& p, const HttpRequest&, const json::object&, const std::string&) {
         return json_response(200, p.clock_show());
       }},
      {"POST", "/v1/admin/clock", A::admin,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         if (const auto* v = b.if_contains("set"); v && v->is_string()) {
           auto t = parse_iso8601(v->as_string());
           if (!t)
             return error_response({400, "validation_failed", "set must be an ISO 8601 time", {}});
           return json_response(200, p.clock_set(*t));
         }
         if (const auto* v = b.if_contains("advance"); v && v->is_string()) {
           auto d = parse_duration(v->as_string());
           if (!d)
             return error_response(
                 {400, "validation_failed", "advance must be a duration such as 16m or 46d", {}});
           return json_response(200, p.clock_advance(*d));
         }
         if (b.contains("reset")) return json_response(200, p.clock_reset());
         return error_response({400, "validation_failed", "give one of set, advance or reset", {}});
       }},
      {"GET", "/v1/admin/settings", A::admin,
       [](Portal& p, const HttpRequest&, const json::object&, const std::string&) {
         return from_result(p.update_settings(json::object{}));
       }},
      {"POST", "/v1/admin/settings", A::admin,
       [](Portal& p, const HttpRequest&, const json::object& b, const std::string&) {
         return from_result(p.update_settings(b));
       }},
  };
}

constexpr std::string_view k_admin_accounts_prefix = "/v1/admin/accounts/";
constexpr std::string_view k_admin_core_traces = "/v1/admin/core/traces";
constexpr std::string_view k_admin_core_batches = "/v1/admin/core/batches";

// Runs an idempotent route under the request's Idempotency-Key (see idempotency.hpp): the first
// final answer is stored, a retry with the same body gets it again without running the route,
// and a different body under the same key is refused.
HttpResponse run_idempotent(IdempotencyStore& store, Portal& portal, const Route& route,
                            const HttpRequest& req, const json::object& body,
                            const std::string& user, const std::string& key) {
  // The same key means the same request only for the same user and operation.
  std::string scope = user + " " + req.method + " " + req.path;
  std::string hash = request_hash(req);
  SysTime now = portal.now();
  auto begun = store.begin(scope, key, hash, now);
  switch (begun.outcome) {
    case IdempotencyStore::Outcome::replay: {
      HttpResponse r;
      r.status = begun.status;
      r.body = std::move(begun.body);
      r.headers.emplace_back("Idempotent-Replayed", "true");
      return r;
    }
    case IdempotencyStore::Outcome::conflict:
      return error_response(
          {409,
           "idempotency_conflict",
           "this Idempotency-Key was already used for a different request (another body); "
           "send a new key with a new request",
           {}});
    case IdempotencyStore::Outcome::in_progress: {
      auto r = error_response(
          {409,
           "idempotency_in_progress",
           "a request with this Idempotency-Key is being processed; retry in a second",
           {}});
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case IdempotencyStore::Outcome::proceed:
      break;
  }
  HttpResponse r;
  try {
    r = route.run(portal, req, body, user);
  } catch (...) {
    store.finish(scope, key, hash, 500, {}, now);  // releases the key; a 500 is not stored
    throw;
  }
  store.finish(scope, key, hash, r.status, r.body, now);
  return r;
}

}  // namespace

Handler make_api_handler(Portal& portal) {
  auto table = std::make_shared<std::vector<Route>>(routes());
  auto store = std::make_shared<IdempotencyStore>(portal.database_file());
  auto core = std::make_shared<CoreEndpoint>(portal);
  return [&portal, table, store, core](const HttpRequest& req) -> HttpResponse {
    std::string request_id = req.header("x-request-id");
    if (request_id.empty() || request_id.size() > 128) request_id = new_request_id();
    auto finish = [&](HttpResponse r) {
      r.headers.emplace_back("X-Request-Id", request_id);
      // One line per request is too much at the rates a batch drives: debug level.
      spdlog::debug("{} {} {} {}", req.method, req.path, r.status, request_id);
      return r;
    };
    // CAQH CORE (docs/core.md): XML and MIME bodies, CORE's own errors and maintenance answer.
    if (CoreEndpoint::serves(req.path)) return finish(core->handle(req));
    bool admin_path = req.path.rfind("/v1/admin/", 0) == 0;
    if (!admin_path && req.path != "/v1/health") {
      if (auto refusal = maintenance_refusal(portal)) return finish(std::move(*refusal));
    }
    json::object body;
    if (!req.body.empty() && !is_upload(req)) {
      boost::system::error_code ec;
      json::parse_options opts;
      opts.max_depth = 32;
      auto v = json::parse(req.body, ec, {}, opts);
      if (ec || !v.is_object()) {
        return finish(
            error_response({400, "bad_json", "the request body must be a JSON object", {}}));
      }
      body = std::move(v.as_object());
    }
    if (req.path == k_admin_core_batches) {
      if (!portal.accounts().admin_token_matches(bearer(req))) {
        return finish(
            error_response({401, "admin_required", "an administrator token is required", {}}));
      }
      if (req.method != "GET")
        return finish(error_response({405, "method_not_allowed", "use GET", {}}));
      auto totals = core->batches().totals();
      return finish(json_response(200, json::object{{"submissions", totals.submissions},
                                                    {"resubmitted", totals.resubmitted},
                                                    {"acked", totals.acked}}));
    }
    if (req.path == k_admin_core_traces) {
      if (!portal.accounts().admin_token_matches(bearer(req))) {
        return finish(
            error_response({401, "admin_required", "an administrator token is required", {}}));
      }
      if (req.method != "GET")
        return finish(error_response({405, "method_not_allowed", "use GET", {}}));
      auto totals = core->traces().totals();
      return finish(json_response(200, json::object{{"traces", totals.traces},
                                                    {"answers", totals.answers},
                                                    {"repeated", totals.repeated}}));
    }
    if (admin_path && req.path.rfind(k_admin_accounts_prefix, 0) == 0) {
      if (!portal.accounts().admin_token_matches(bearer(req))) {
        return finish(
            error_response({401, "admin_required", "an administrator token is required", {}}));
      }
      if (req.method != "POST")
        return finish(error_response({405, "method_not_allowed", "use POST", {}}));
      std::string action = req.path.substr(k_admin_accounts_prefix.size());
      const auto* email = body.if_contains("email");
      if (!email || !email->is_string()) {
        return finish(error_response({400, "validation_failed", "email is required", {}}));
      }
      return finish(from_result(portal.accounts().admin_action(action, email->as_string())));
    }
    bool path_known = false;
    for (const auto& route : *table) {
      if (!path_matches(route.path, req.path)) continue;
      path_known = true;
      if (route.method != req.method) continue;
      std::string user;
      if (route.auth == Route::Auth::admin && !portal.accounts().admin_token_matches(bearer(req))) {
        return finish(
            error_response({401, "admin_required", "an administrator token is required", {}}));
      }
      if (route.auth == Route::Auth::session) {
        auto id = portal.signin().authenticate(bearer(req));
        if (!id) return finish(error_response(id.error()));
        user = *id;
      }
      if (route.idempotent) {
        if (const std::string* key = req.find_header("idempotency-key")) {
          if (!idempotency_key_is_valid(*key)) {
            return finish(
                error_response({400,
                                "invalid_idempotency_key",
                                "Idempotency-Key must be 1 to 128 printable ASCII characters",
                                {}}));
          }
          return finish(run_idempotent(*store, portal, route, req, body, user, *key));
        }
      }
      return finish(route.run(portal, req, body, user));
    }
    if (path_known)
      return finish(error_response(
          {405, "method_not_allowed", "method not allowed on " + quotable(req.path), {}}));
    return finish(
        error_response({404, "not_found", "no such endpoint: " + quotable(req.path), {}}));
  };
}

void configure_uploads(ServerOptions& options, Portal& portal) {
  options.stream_body = [](std::string_view method, std::string_view path) {
    return method == "POST" && path_matches(k_upload_pattern, path);
  };
  options.stream_dir = portal.orders().upload_dir().string();
  options.streamed_body_limit = k_document_max_bytes;
  options.precheck = [&portal](const HttpRequest& req) -> std::optional<HttpResponse> {
    auto refusal = [&]() -> std::optional<HttpResponse> {
      if (auto closed = maintenance_refusal(portal)) return closed;
      auto user = portal.signin().authenticate(bearer(req));
      if (!user) return error_response(user.error());
      std::string order_id = path_segment(req.path, 2);
      if (!portal.orders().order_visible(*user, order_id)) {
        return error_response(
            {404, "not_found", "no order has the ID " + order_id + " in your organisation", {}});
      }
      return std::nullopt;
    }();
    if (refusal) {
      std::string id = req.header("x-request-id");
      refusal->headers.emplace_back("X-Request-Id",
                                    id.empty() || id.size() > 128 ? new_request_id() : id);
    }
    return refusal;
  };
}

}  // namespace portal::sandbox
