// The sandbox's HTTPS listener (Boost.Beast + OpenSSL): keep-alive sessions, body size cap,
// timeouts, a pool of threads. It knows nothing of the portal; it calls one Handler per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "portal/util/error.hpp"
#include "sandbox/faults.hpp"

namespace portal::sandbox {

struct HttpRequest {
  std::string method;                        // upper-case, e.g. "POST"
  std::string target;                        // raw request target, e.g. "/v1/orgs?npi=1"
  std::string path;                          // decoded path without the query
  std::map<std::string, std::string> query;  // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  // Set when the listener streamed the body to a file instead of `body` (see
  // ServerOptions::stream_body): the file, which the handler moves or removes (the listener
  // removes it afterwards if still there), its size and the SHA-256 of its bytes (hex).
  std::string body_file;
  std::uint64_t body_size = 0;
  std::string body_sha256;
  std::string remote_address;
  // The common name of the client certificate the TLS handshake verified against the client CA
  // (--client-ca), or "" when the connection presented none.
  std::string client_subject;
  // An injected fault the handler acts out itself (FaultKind::core_unavailable), else nullopt.
  std::optional<FaultKind> fault;
  // The first value of a header (case-insensitive name), or "" when absent.
  std::string header(std::string_view name) const;
  // The same, or nullptr when absent (to tell an empty header from a missing one).
  const std::string* find_header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;             // 0: the kernel picks a free port (see Server::port())
  std::string cert_file;              // PEM server certificate chain
  std::string key_file;               // PEM private key
  std::string client_ca_file;         // when set, clients must present a certificate signed by it
  std::size_t body_limit = 1u << 20;  // larger bodies get 413 with a JSON error
  unsigned threads = 0;               // 0: one per core, at least 2
  // When set, requests may get injected faults (see faults.hpp); the server acts them out,
  // including the ones below HTTP (dropped connections, cut answers).
  std::shared_ptr<FaultInjector> faults;
  // Requests whose body is streamed to a new file in `stream_dir` rather than held in memory,
  // up to `streamed_body_limit` bytes (413 beyond): those for which this returns true.
  std::function<bool(std::string_view method, std::string_view path)> stream_body;
  std::string stream_dir;
  std::uint64_t streamed_body_limit = 0;
  // For a streamed request, called with its headers (no body yet): an answer refuses it before
  // the body is read (and before `Expect: 100-continue` is answered).
  std::function<std::optional<HttpResponse>(const HttpRequest&)> precheck;
};

// Listens and serves until stop(). The handler runs on a pool thread and must be thread-safe;
// an exception from it becomes a 500 JSON error.
class Server {
 public:
  static Expected<std::unique_ptr<Server>> create(ServerOptions options, Handler handler);
  virtual ~Server() = default;
  virtual std::uint16_t port() const = 0;  // the bound port
  virtual void run() = 0;                  // blocks until stop() or SIGINT/SIGTERM
  virtual void stop() = 0;                 // thread-safe
};

}  // namespace portal::sandbox
