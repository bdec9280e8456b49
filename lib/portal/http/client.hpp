// A small HTTPS client over Boost.Beast and OpenSSL: one keep-alive connection, verified TLS,
// a timeout on every step, capped response size. Beast stays out of this header.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// How the client authenticates the server (and, optionally, itself).
struct TlsOptions {
  std::string ca_file;           // PEM bundle to trust; empty: the system's default store
  std::string client_cert_file;  // PEM client certificate for mutual TLS (optional)
  std::string client_key_file;   // its PEM private key
};

struct ClientOptions {
  std::string base_url;  // "https://host:port" (a path prefix is allowed, e.g. https://h/portal)
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + connect + handshake
  std::chrono::milliseconds request_timeout{60'000};  // write + read of one exchange
  std::size_t max_response_bytes = 64u << 20;
  std::string user_agent = "provportal";
};

struct Request {
  std::string method;  // "GET", "POST", "PATCH", "DELETE"
  std::string target;  // path and query below base_url, e.g. "/v1/profile"
  Headers headers;     // extra headers; values with CR or LF are refused, never sent
  std::string body;    // sent with Content-Type: application/json when not empty
  // Identifiers of the request for the audit log, never sent (an X12 wire's ISA13, GS06, ST02,
  // TRN02 and CORE PayloadID): name and value, no PHI.
  std::vector<std::pair<std::string, std::string>> audit;
};

struct Response {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  // The first value of a header (name compared case-insensitively), or "" when absent.
  std::string header(std::string_view name) const;
};

// One client per thread. send() reuses the open connection and reconnects once when the server
// closed it between requests. Errors: ErrorKind::unavailable for network and TLS failures
// (with the URL and OpenSSL's reason), ErrorKind::usage for a malformed base URL or header.
class Client {
 public:
  static Expected<std::unique_ptr<Client>> create(ClientOptions options);
  virtual ~Client() = default;
  virtual Expected<Response> send(const Request& request) = 0;
  // Sends `request` with the content of `file` as its body (`request.body` is ignored), read
  // from disk in chunks so memory does not grow with the file, with Content-Length and
  // `content_type`. Large files go with `Expect: 100-continue`, so a refusal comes before the
  // body. The file is opened without following a symlink; ErrorKind::input when it cannot be
  // read or changes size while being sent. Otherwise as send().
  virtual Expected<Response> send_file(const Request& request, const std::filesystem::path& file,
                                       std::string_view content_type) = 0;
  // Sending without waiting for the answer, so that one thread keeps several connections busy.
  // start() writes the request, connecting first when needed; then, each time wait_fd() is
  // readable (or the caller's wait ran out), poll_answer(readable) reads what arrived and gives
  // the answer once whole, nullopt while it is not. Without an answer within the request
  // timeout of start() it gives that timeout. Errors as send(), without its one retry of a
  // reused connection the server had closed: the caller retries.
  virtual Expected<void> start(const Request& request) = 0;
  virtual int wait_fd() const = 0;  // -1: not connected
  virtual std::optional<Expected<Response>> poll_answer(bool readable) = 0;
  // The base URL as configured, for messages.
  virtual const std::string& base_url() const = 0;
};

}  // namespace portal::http
