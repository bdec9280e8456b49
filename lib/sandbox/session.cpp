#include <openssl/evp.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "portal/util/crypto.hpp"
#include "portal/util/strings.hpp"
#include "sandbox/listener.hpp"

namespace portal::sandbox::listener {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

namespace {

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
      return util::hex(std::string_view(reinterpret_cast<const char*>(digest), len));
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

}  // namespace

// The common name of the peer's certificate when the handshake verified one, else "".
std::string verified_peer_name(SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return {};
  X509* cert = SSL_get_peer_certificate(ssl);
  if (cert == nullptr) return {};
  std::string name;
  X509_NAME* subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n > 0) name.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
  }
  X509_free(cert);
  return name;
}

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
    m_client_subject = verified_peer_name(m_stream.native_handle());
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
    // The CORE kinds act on CORE requests only; elsewhere they are no fault.
    if (fault && is_core_fault(fault->kind) && !is_core_path(req.path)) fault.reset();
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
      case FaultKind::core_unavailable:
        // The CORE handler answers "cannot respond now" in the X12 (AAA*N**42*R).
        req.fault = fault->kind;
        return respond(call_handler(req));
      case FaultKind::delay:
      case FaultKind::core_slow:
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
    req.client_subject = m_client_subject;
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
    if (!no_content && !util::has_line_break_or_nul(in.content_type)) {
      res.set(bhttp::field::content_type, in.content_type);
    }
    for (const auto& [name, value] : in.headers) {
      // A handler bug must not become header injection or break the message framing.
      if (!util::is_http_token(name) || util::has_line_break_or_nul(value)) {
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
  std::string m_client_subject;  // see HttpRequest::client_subject
  State m_state = State::handshaking;
  std::size_t m_requests = 0;
  bool m_drain_after_write = false;
  std::vector<char> m_drain_buffer;
  std::size_t m_drained = 0;
};

void start_session(tcp::socket&& socket, BeastServer& server) {
  std::make_shared<Session>(std::move(socket), server)->start();
}

void stop_session(const std::shared_ptr<Session>& session) {
  // Sessions are thread-confined to their strand; the socket's executor is that strand.
  asio::post(session->get_executor(), [session] { session->on_server_stop(); });
}

}  // namespace portal::sandbox::listener
