#include "sandbox/server.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"

namespace portal::sandbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr const char* k_server_name = "provportal-sandbox";
constexpr std::uint32_t k_header_limit = 16 * 1024;
constexpr auto k_handshake_timeout = 10s;
constexpr auto k_read_timeout = 30s;
constexpr auto k_idle_timeout = 60s;
constexpr auto k_write_timeout = 30s;
constexpr auto k_shutdown_timeout = 5s;
constexpr auto k_drain_timeout = 5s;
constexpr std::size_t k_drain_limit = 64u << 20;
constexpr std::size_t k_drain_chunk = 16u * 1024;
constexpr auto k_stop_grace = 5s;

// RFC 9110 token: what a header name may contain.
bool header_name_ok(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool header_value_ok(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string json_error(std::string_view code, std::string_view message) {
  boost::json::value v = {{"error", {{"code", code}, {"message", message}}}};
  return boost::json::serialize(v);
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = json_error(code, message);
  return r;
}

// The answer of an injected 429, 503 or 500; X-Sandbox-Fault tells it from a real one.
HttpResponse fault_response(FaultKind kind) {
  HttpResponse r;
  switch (kind) {
    case FaultKind::too_many_requests:
      r = error_response(429, "rate_limited",
                         "too many requests; retry after 1 second (injected fault)");
      r.headers.emplace_back("Retry-After", "1");
      break;
    case FaultKind::unavailable:
      r = error_response(
          503, "unavailable",
          "the portal is temporarily unavailable; retry after 1 second (injected fault)");
      r.headers.emplace_back("Retry-After", "1");
      break;
    default:
      r = error_response(500, "internal_error", "internal server error (injected fault)");
      break;
  }
  r.headers.emplace_back("X-Sandbox-Fault", std::string(fault_kind_name(kind)));
  return r;
}

std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

// "HOST:PORT", with brackets around IPv6 literals.
std::string host_port(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// A request body written to a file as it arrives and hashed (SHA-256) on the way, so an upload of
// any size costs the server a fixed amount of memory (Beast's Body concept, reader side).
struct HashedFileBody {
  class value_type {
   public:
    // Creates `path` (which must not exist); false when it cannot.
    bool open(const std::string& path) {
      std::FILE* f = std::fopen(path.c_str(), "wbx");
      if (f == nullptr) return false;
      m_file.reset(f);
      m_sha.reset(EVP_MD_CTX_new());
      return m_sha && EVP_DigestInit_ex(m_sha.get(), EVP_sha256(), nullptr) == 1;
    }
    bool write(const void* data, std::size_t n) {
      m_size += n;
      return std::fwrite(data, 1, n, m_file.get()) == n &&
             EVP_DigestUpdate(m_sha.get(), data, n) == 1;
    }
    // Flushes and closes the file; false when the data did not all reach it.
    bool close() { return m_file && std::fclose(m_file.release()) == 0; }
    std::uint64_t size() const { return m_size; }
    std::string sha256_hex() {
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_DigestFinal_ex(m_sha.get(), digest, &len);
      static constexpr char k_hex[] = "0123456789abcdef";
      std::string out;
      for (unsigned int i = 0; i < len; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 15];
      }
      return out;
    }

   private:
    struct CloseFile {
      void operator()(std::FILE* f) const { std::fclose(f); }
    };
    struct FreeDigest {
      void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<std::FILE, CloseFile> m_file;
    std::unique_ptr<EVP_MD_CTX, FreeDigest> m_sha;
    std::uint64_t m_size = 0;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : m_body(body) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
           ++it) {
        asio::const_buffer b = *it;
        if (!m_body.write(b.data(), b.size())) {
          ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
          return n;
        }
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& m_body;
  };
};

class Session;

// The listener: one acceptor, a signal set and a registry of live sessions for a graceful stop.
class BeastServer final : public Server {
 public:
  BeastServer(ServerOptions options, Handler handler)
      : m_options(std::move(options)),
        m_handler(std::move(handler)),
        m_ssl_ctx(ssl::context::tls_server),
        m_ioc(static_cast<int>(thread_count())),
        m_strand(asio::make_strand(m_ioc)),
        m_acceptor(m_strand),
        m_signals(m_strand),
        m_stop_timer(m_strand) {}

  ~BeastServer() override = default;

  unsigned thread_count() const {
    if (m_options.threads != 0) return m_options.threads;
    return std::max(2u, std::thread::hardware_concurrency());
  }

  Expected<void> init_tls();
  Expected<void> listen();

  std::uint16_t port() const override { return m_port; }
  void run() override;
  void stop() override;

  // Session side: the shared TLS context, the handler, the body limit, stop state.
  ssl::context& ssl_context() { return m_ssl_ctx; }
  const Handler& handler() const { return m_handler; }
  FaultInjector* faults() const { return m_options.faults.get(); }
  std::size_t body_limit() const { return m_options.body_limit; }
  // Whether this request's body is streamed to a file (ServerOptions::stream_body).
  bool streams(const HttpRequest& req) const {
    return m_options.stream_body && m_options.stream_body(req.method, req.path);
  }
  const ServerOptions& options() const { return m_options; }
  bool stopping() const { return m_stopping.load(); }
  void add_session(Session* session, std::weak_ptr<Session> weak);
  void remove_session(Session* session);

 private:
  void run_loop();
  void do_accept();
  void do_stop();
  void wait_for_sessions(std::chrono::steady_clock::time_point deadline);

  ServerOptions m_options;
  Handler m_handler;
  std::mutex m_sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> m_sessions;
  ssl::context m_ssl_ctx;
  // Declared after what sessions reference, so pending handlers die first.
  asio::io_context m_ioc;
  asio::strand<asio::io_context::executor_type> m_strand;
  tcp::acceptor m_acceptor;
  asio::signal_set m_signals;
  asio::steady_timer m_stop_timer;
  std::atomic<bool> m_stopping{false};
  std::uint16_t m_port = 0;
};

// One TLS connection: handshake, then request/response rounds until close, with a timeout on
// each step. All of its handlers run on its own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, BeastServer& server)
      : m_server(server),
        m_stream(std::move(socket), server.ssl_context()),
        m_fault_timer(m_stream.get_executor()) {
    boost::system::error_code ec;
    auto ep = beast::get_lowest_layer(m_stream).socket().remote_endpoint(ec);
    if (!ec) m_remote = ep.address().to_string();
  }

  ~Session() {
    remove_stream_file();
    m_server.remove_session(this);
  }

  // The session's strand.
  auto get_executor() { return m_stream.get_executor(); }

  // Registers with the server before looking at its stop flag (see on_start), so a concurrent
  // stop() either finds this session or is seen by it.
  void start() {
    m_server.add_session(this, weak_from_this());
    asio::dispatch(m_stream.get_executor(),
                   beast::bind_front_handler(&Session::on_start, shared_from_this()));
  }

  // Called on the session's strand when the server stops: ends the session unless a response
  // is being written (that one finishes, then the connection closes).
  void on_server_stop() {
    m_fault_timer.cancel();
    if (m_state != State::writing) beast::get_lowest_layer(m_stream).close();
  }

 private:
  enum class State { handshaking, reading, delaying, writing, closing };

  void on_start() {
    if (m_server.stopping()) {
      beast::get_lowest_layer(m_stream).close();
      return;
    }
    m_state = State::handshaking;
    beast::get_lowest_layer(m_stream).expires_after(k_handshake_timeout);
    m_stream.async_handshake(ssl::stream_base::server,
                             beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("TLS handshake with {} failed: {}", m_remote, ec.message());
      return;
    }
    do_read();
  }

  void do_read() {
    m_state = State::reading;
    remove_stream_file();
    m_stream_parser.reset();
    m_parser.emplace();
    // The body's limit depends on the route, known once the header is in (on_header).
    m_parser->body_limit(boost::none);
    m_parser->header_limit(k_header_limit);
    beast::get_lowest_layer(m_stream).expires_after(m_requests == 0 ? k_read_timeout
                                                                    : k_idle_timeout);
    bhttp::async_read_header(m_stream, m_buffer, *m_parser,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read(ec, 0);
    m_version = m_parser->get().version();
    m_keep_alive = m_parser->get().keep_alive();
    HttpRequest req;
    bool streamed = !to_request(m_parser->get(), req) && m_server.streams(req);
    if (streamed) return start_stream(std::move(req));
    auto length = m_parser->content_length();
    if (length && *length > m_server.body_limit()) return on_read(bhttp::error::body_limit, 0);
    m_parser->body_limit(m_server.body_limit());
    bhttp::async_read(m_stream, m_buffer, *m_parser,
                      beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  // A route whose body goes to a file: refused at once when the announced size or the
  // precheck says so; otherwise `100 Continue` if asked for, then the body, chunk by chunk.
  void start_stream(HttpRequest req) {
    const ServerOptions& opts = m_server.options();
    auto too_large = [&] {
      return error_response(
          413, "document_too_large",
          "the body exceeds the limit of " + std::to_string(opts.streamed_body_limit) + " bytes");
    };
    auto length = m_parser->content_length();
    if (length && *length > opts.streamed_body_limit) return send_error(too_large());
    if (opts.precheck) {
      std::optional<HttpResponse> refusal;
      try {
        refusal = opts.precheck(req);
      } catch (const std::exception& e) {
        spdlog::error("precheck failed for {} {}: {}", req.method, req.path, e.what());
        refusal = error_response(500, "internal_error", "internal server error");
      }
      if (refusal) return send_error(std::move(*refusal));
    }
    bool expect_continue = util::iequals(m_parser->get()[bhttp::field::expect], "100-continue");
    std::error_code fs_ec;
    std::filesystem::create_directories(opts.stream_dir, fs_ec);
    m_stream_file =
        (std::filesystem::path(opts.stream_dir) / ("upload-" + random_token(12))).string();
    m_stream_parser.emplace(std::move(*m_parser));
    m_parser.reset();
    m_stream_parser->body_limit(opts.streamed_body_limit);
    if (!m_stream_parser->get().body().open(m_stream_file)) {
      spdlog::error("cannot create upload file in {}", opts.stream_dir);
      m_stream_file.clear();
      return send_error(error_response(500, "internal_error", "internal server error"));
    }
    m_stream_request = std::move(req);
    if (!expect_continue) return read_stream_some();
    static constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::get_lowest_layer(m_stream).expires_after(k_write_timeout);
    asio::async_write(m_stream, asio::buffer(k_continue.data(), k_continue.size()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (!ec) self->read_stream_some();
                      });
  }

  void read_stream_some() {
    // The timeout is for silence, not for the whole upload: a large file may take minutes.
    beast::get_lowest_layer(m_stream).expires_after(k_read_timeout);
    bhttp::async_read_some(m_stream, m_buffer, *m_stream_parser,
                           beast::bind_front_handler(&Session::on_stream_read, shared_from_this()));
  }

  void on_stream_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) {
      return send_error(error_response(413, "document_too_large",
                                       "the body exceeds the limit of " +
                                           std::to_string(m_server.options().streamed_body_limit) +
                                           " bytes"));
    }
    if (ec) return;  // timeout, reset, disk full: the file goes with the session
    if (!m_stream_parser->is_done()) return read_stream_some();
    ++m_requests;
    HttpRequest req = std::move(m_stream_request);
    auto& body = m_stream_parser->get().body();
    if (!body.close()) {
      spdlog::error("cannot write upload file {}", m_stream_file);
      return respond(error_response(500, "internal_error", "internal server error"));
    }
    req.body_file = m_stream_file;
    req.body_size = body.size();
    req.body_sha256 = body.sha256_hex();
    handle(std::move(req));
  }

  void remove_stream_file() {
    if (m_stream_file.empty()) return;
    std::error_code ignored;
    std::filesystem::remove(m_stream_file, ignored);
    m_stream_file.clear();
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream) return do_shutdown();
    if (ec == bhttp::error::body_limit) {
      return send_error(error_response(
          413, "body_too_large",
          "the request body exceeds " + std::to_string(m_server.body_limit()) + " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      return send_error(
          error_response(431, "headers_too_large", "the request headers are too large"));
    }
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        m_parser->got_some()) {
      return send_error(error_response(400, "bad_request", "malformed HTTP request"));
    }
    if (ec) return;  // timeout, reset, TLS failure: nothing useful can be sent
    ++m_requests;
    HttpRequest req;
    if (auto refused = to_request(m_parser->get(), req)) return respond(std::move(*refused));
    handle(std::move(req));
  }

  // Serves a request read in full, acting out an injected fault if one is drawn.
  void handle(HttpRequest req) {
    std::optional<FaultDecision> fault;
    if (FaultInjector* faults = m_server.faults()) fault = faults->next(req.path);
    if (!fault) return respond(call_handler(req));
    spdlog::debug("injected fault {} on {} {}", fault_kind_name(fault->kind), req.method, req.path);
    switch (fault->kind) {
      case FaultKind::too_many_requests:
      case FaultKind::unavailable:
      case FaultKind::internal_error: {
        // Like every answer, it carries a request id (the API layer, which adds them, is skipped).
        HttpResponse r = fault_response(fault->kind);
        std::string id = req.header("x-request-id");
        r.headers.emplace_back("X-Request-Id",
                               !id.empty() && id.size() <= 128 ? id : "req_" + random_token(12));
        return respond(std::move(r));
      }
      case FaultKind::reset:
        return abort_connection();
      case FaultKind::reset_after:
        // The request is applied, but the client never learns it: only an idempotency key
        // saves a retry from applying it twice.
        call_handler(req);
        return abort_connection();
      case FaultKind::delay:
        m_state = State::delaying;
        m_delayed = std::move(req);
        m_fault_timer.expires_after(fault->delay);
        m_fault_timer.async_wait(beast::bind_front_handler(&Session::on_delay, shared_from_this()));
        return;
      case FaultKind::truncate:
        return write_truncated(call_handler(req));
    }
  }

  void on_delay(beast::error_code ec) {
    if (ec || m_server.stopping()) return beast::get_lowest_layer(m_stream).close();
    HttpRequest req = std::move(*m_delayed);
    m_delayed.reset();
    respond(call_handler(req));
  }

  // Answers the request just read, keeping the connection when the client asked to.
  void respond(HttpResponse response) {
    bool keep_alive = m_keep_alive && !m_server.stopping();
    write(std::move(response), m_version, keep_alive);
  }

  // Fills `req` from the parsed message; returns the answer instead when it cannot be served.
  std::optional<HttpResponse> to_request(const bhttp::request<bhttp::string_body>& msg,
                                         HttpRequest& req) {
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto url = boost::urls::parse_origin_form(req.target);
    if (!url) return error_response(400, "bad_request", "malformed request target");
    try {
      req.path = url->path();
      for (auto param : url->params()) req.query.emplace(param.key, param.value);
    } catch (const std::exception&) {
      return error_response(400, "bad_request", "malformed request target");
    }
    if (req.path.find('\0') != std::string::npos) {
      return error_response(400, "bad_request", "malformed request target");
    }
    for (const auto& field : msg) {
      req.headers.emplace_back(util::lower(field.name_string()), std::string(field.value()));
    }
    req.body = msg.body();
    req.remote_address = m_remote;
    return std::nullopt;
  }

  HttpResponse call_handler(const HttpRequest& req) {
    try {
      return m_server.handler()(req);
    } catch (const std::exception& e) {
      // The path (no query, no body) identifies the route without exposing record data.
      spdlog::error("handler failed for {} {}: {}", req.method, req.path, e.what());
    } catch (...) {
      spdlog::error("handler failed for {} {}", req.method, req.path);
    }
    return error_response(500, "internal_error", "internal server error");
  }

  // Drops the connection with a TCP reset and no answer (an injected fault).
  void abort_connection() {
    m_state = State::closing;
    auto& layer = beast::get_lowest_layer(m_stream);
    boost::system::error_code ignored;
    layer.socket().set_option(asio::socket_base::linger(true, 0), ignored);
    layer.close();
  }

  // Sends the status line, the headers and half the body, then closes without TLS close_notify
  // (an injected fault): the client sees an answer cut short.
  void write_truncated(HttpResponse in) {
    auto& res = prepare(std::move(in), m_version, false);
    std::ostringstream wire;
    wire << res;
    m_response.reset();
    std::string full = wire.str();
    auto header_end = full.find("\r\n\r\n");
    if (header_end == std::string::npos) header_end = full.size();
    std::size_t body = full.size() - std::min(full.size(), header_end + 4);
    m_partial = full.substr(0, body >= 2 ? header_end + 4 + body / 2 : header_end / 2);
    m_state = State::writing;
    beast::get_lowest_layer(m_stream).expires_after(k_write_timeout);
    asio::async_write(m_stream, asio::buffer(m_partial),
                      beast::bind_front_handler(&Session::on_truncated_write, shared_from_this()));
  }

  void on_truncated_write(beast::error_code, std::size_t) {
    m_state = State::closing;
    beast::get_lowest_layer(m_stream).close();
  }

  // Answers an unreadable request, then closes, draining what the client still sends so that
  // it reads the answer instead of a connection reset.
  void send_error(HttpResponse response) {
    unsigned version = m_parser && m_parser->is_header_done() ? m_parser->get().version() : 11;
    m_drain_after_write = true;
    write(std::move(response), version, false);
  }

  // Builds the wire message of `in` in m_response.
  bhttp::response<bhttp::string_body>& prepare(HttpResponse in, unsigned version, bool keep_alive) {
    int status = in.status;
    if (status < 100 || status > 599) {
      spdlog::error("handler returned invalid HTTP status {}", status);
      in = error_response(500, "internal_error", "internal server error");
      status = 500;
    }
    auto& res = m_response.emplace(static_cast<bhttp::status>(status), version);
    res.set(bhttp::field::server, k_server_name);
    // RFC 9110: 1xx, 204 and 304 carry no content (Beast throws on a body there).
    bool no_content = status < 200 || status == 204 || status == 304;
    if (!no_content && header_value_ok(in.content_type)) {
      res.set(bhttp::field::content_type, in.content_type);
    }
    for (const auto& [name, value] : in.headers) {
      // A handler bug must not become header injection or break the message framing.
      if (!header_name_ok(name) || !header_value_ok(value)) {
        spdlog::error("dropped an invalid response header");
        continue;
      }
      if (util::iequals(name, "content-length") || util::iequals(name, "transfer-encoding") ||
          util::iequals(name, "connection")) {
        continue;
      }
      res.insert(name, value);
    }
    if (!no_content) res.body() = std::move(in.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
  }

  void write(HttpResponse in, unsigned version, bool keep_alive) {
    m_state = State::writing;
    auto& res = prepare(std::move(in), version, keep_alive);
    beast::get_lowest_layer(m_stream).expires_after(k_write_timeout);
    bhttp::async_write(m_stream, res,
                       beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    bool keep_alive = m_response->keep_alive();
    m_response.reset();
    if (ec) return;
    if (m_drain_after_write) return do_drain();
    // While stopping, waiting for the client's close_notify would only delay the exit.
    if (m_server.stopping()) return beast::get_lowest_layer(m_stream).close();
    if (!keep_alive) return do_shutdown();
    do_read();
  }

  void do_shutdown() {
    m_state = State::closing;
    beast::get_lowest_layer(m_stream).expires_after(k_shutdown_timeout);
    m_stream.async_shutdown(beast::bind_front_handler(&Session::on_shutdown, shared_from_this()));
  }

  void on_shutdown(beast::error_code) { beast::get_lowest_layer(m_stream).close(); }

  // Half-closes TCP and discards the rest of the request up to a limit and a time.
  void do_drain() {
    m_state = State::closing;
    auto& layer = beast::get_lowest_layer(m_stream);
    boost::system::error_code ignored;
    layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
    layer.expires_after(k_drain_timeout);
    m_drain_buffer.resize(k_drain_chunk);
    layer.async_read_some(asio::buffer(m_drain_buffer),
                          beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  void on_drain(beast::error_code ec, std::size_t n) {
    m_drained += n;
    if (ec || m_drained > k_drain_limit) {
      beast::get_lowest_layer(m_stream).close();
      return;
    }
    beast::get_lowest_layer(m_stream).async_read_some(
        asio::buffer(m_drain_buffer),
        beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  BeastServer& m_server;
  beast::ssl_stream<beast::tcp_stream> m_stream;
  beast::flat_buffer m_buffer;
  std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
  // A streamed request (ServerOptions::stream_body): its parser, what its header said, and the
  // file its body goes to (removed when the next request starts or the session ends).
  std::optional<bhttp::request_parser<HashedFileBody>> m_stream_parser;
  HttpRequest m_stream_request;
  std::string m_stream_file;
  unsigned m_version = 11;
  bool m_keep_alive = false;
  std::optional<bhttp::response<bhttp::string_body>> m_response;
  asio::steady_timer m_fault_timer;      // an injected delay
  std::optional<HttpRequest> m_delayed;  // the request it holds back
  std::string m_partial;                 // an injected cut-short answer
  std::string m_remote;
  State m_state = State::handshaking;
  std::size_t m_requests = 0;
  bool m_drain_after_write = false;
  std::vector<char> m_drain_buffer;
  std::size_t m_drained = 0;
};

Expected<void> BeastServer::init_tls() {
  SSL_CTX* ctx = m_ssl_ctx.native_handle();
  m_ssl_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                        ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, k_tls12_ciphers) != 1) {
    return fail(ErrorKind::internal, "cannot configure TLS 1.2+: " + openssl_reason());
  }
  boost::system::error_code ec;
  m_ssl_ctx.use_certificate_chain_file(m_options.cert_file, ec);
  if (ec) {
    return fail(ErrorKind::input,
                "cannot load server certificate " + m_options.cert_file + ": " + openssl_reason());
  }
  m_ssl_ctx.use_private_key_file(m_options.key_file, ssl::context::pem, ec);
  if (ec) {
    return fail(ErrorKind::input,
                "cannot load server key " + m_options.key_file + ": " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return fail(ErrorKind::input, "server key " + m_options.key_file +
                                      " does not match certificate " + m_options.cert_file);
  }
  if (!m_options.client_ca_file.empty()) {
    m_ssl_ctx.load_verify_file(m_options.client_ca_file, ec);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(m_options.client_ca_file.c_str());
    if (ec || names == nullptr) {
      return fail(ErrorKind::input, "cannot load client CA file " + m_options.client_ca_file +
                                        ": " + openssl_reason());
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    m_ssl_ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return {};
}

Expected<void> BeastServer::listen() {
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(m_options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, m_options.port);
  } else {
    tcp::resolver resolver(m_ioc);
    auto results = resolver.resolve(m_options.host, std::to_string(m_options.port),
                                    tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return fail(ErrorKind::unavailable, "cannot listen on " +
                                              host_port(m_options.host, m_options.port) + ": " +
                                              (ec ? ec.message() : std::string("no address")));
    }
    endpoint = results.begin()->endpoint();
  }
  auto failed = [&](const boost::system::error_code& e) {
    boost::system::error_code ignored;
    m_acceptor.close(ignored);
    return fail(
        ErrorKind::unavailable,
        "cannot listen on " + host_port(m_options.host, m_options.port) + ": " + e.message());
  };
  if (m_acceptor.open(endpoint.protocol(), ec); ec) return failed(ec);
  if (m_acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) return failed(ec);
  if (m_acceptor.bind(endpoint, ec); ec) return failed(ec);
  if (m_acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return failed(ec);
  m_port = m_acceptor.local_endpoint(ec).port();
  if (ec) return failed(ec);
  return {};
}

void BeastServer::run() {
  asio::dispatch(m_strand, [this] {
    if (m_stopping) return;
    m_signals.add(SIGINT);
    m_signals.add(SIGTERM);
    m_signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) do_stop();
    });
    do_accept();
  });
  unsigned n = thread_count();
  std::vector<std::thread> pool;
  pool.reserve(n - 1);
  for (unsigned i = 1; i < n; ++i) pool.emplace_back([this] { run_loop(); });
  run_loop();
  for (auto& t : pool) t.join();
}

void BeastServer::run_loop() {
  for (;;) {
    try {
      m_ioc.run();
      return;
    } catch (const std::exception& e) {
      // One broken session must not take the whole server down; its handler is gone now.
      spdlog::error("server thread caught: {}", e.what());
    }
  }
}

void BeastServer::stop() {
  asio::post(m_strand, [this] { do_stop(); });
}

void BeastServer::do_accept() {
  m_acceptor.async_accept(asio::make_strand(m_ioc),
                          [this](boost::system::error_code ec, tcp::socket socket) {
                            if (ec == asio::error::operation_aborted || !m_acceptor.is_open())
                              return;
                            if (!ec) {
                              std::make_shared<Session>(std::move(socket), *this)->start();
                            } else {
                              // Out of file descriptors and the like: keep listening, the condition
                              // may clear.
                              spdlog::warn("accept failed: {}", ec.message());
                            }
                            do_accept();
                          });
}

void BeastServer::do_stop() {
  if (m_stopping.exchange(true)) return;
  boost::system::error_code ignored;
  m_acceptor.close(ignored);
  m_signals.cancel(ignored);
  m_signals.clear(ignored);
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(m_sessions_mutex);
    for (auto& [raw, weak] : m_sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) {
    // Sessions are thread-confined to their strand; the socket's executor is that strand.
    asio::post(s->get_executor(), [s] { s->on_server_stop(); });
  }
  wait_for_sessions(std::chrono::steady_clock::now() + k_stop_grace);
}

// Polls until the last session ended (then the io_context runs out of work and run() returns)
// or the grace period is over (then it is stopped outright).
void BeastServer::wait_for_sessions(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(m_sessions_mutex);
    if (m_sessions.empty()) return;
  }
  if (std::chrono::steady_clock::now() >= deadline) {
    m_ioc.stop();
    return;
  }
  m_stop_timer.expires_after(20ms);
  m_stop_timer.async_wait([this, deadline](const boost::system::error_code& ec) {
    if (!ec) wait_for_sessions(deadline);
  });
}

void BeastServer::add_session(Session* session, std::weak_ptr<Session> weak) {
  {
    std::lock_guard lock(m_sessions_mutex);
    m_sessions.emplace(session, std::move(weak));
  }
}

void BeastServer::remove_session(Session* session) {
  std::lock_guard lock(m_sessions_mutex);
  m_sessions.erase(session);
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  const std::string* value = find_header(name);
  return value != nullptr ? *value : std::string();
}

const std::string* HttpRequest::find_header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (util::iequals(key, name)) return &value;
  }
  return nullptr;
}

Expected<std::unique_ptr<Server>> Server::create(ServerOptions options, Handler handler) {
  if (!handler) return fail(ErrorKind::internal, "server created without a handler");
  auto server = std::make_unique<BeastServer>(std::move(options), std::move(handler));
  if (auto r = server->init_tls(); !r) return fail(r.error());
  if (auto r = server->listen(); !r) return fail(r.error());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace portal::sandbox
