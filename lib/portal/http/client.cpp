#include "portal/http/client.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace portal::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* k_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr std::uint32_t k_response_header_limit = 64 * 1024;
constexpr const char* k_tls_hint = "check --ca-file or the server's certificate names";
constexpr const char* k_connect_hint = "check the base URL and that the server is running";
constexpr const char* k_slow_hint = "the server did not answer in time; try again later";
// A file body is read and written in chunks of this size (memory stays flat at any file size).
constexpr std::size_t k_upload_chunk_bytes = 1u << 20;
// Bodies from this size on ask for `100 Continue` first, so a refusal costs no upload.
constexpr std::uint64_t k_expect_continue_bytes = 1u << 20;
// How long to wait for `100 Continue` before sending the body anyway (a server may ignore it).
constexpr std::chrono::milliseconds k_continue_wait{1500};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// RFC 9110 token characters, for method and header names.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Letters, digits, '-', '_' and '.': what a DNS name (as a URL names it) is made of.
bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool has_line_break_or_nul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// "10s", "1.5s", "0.25s": a duration as users read it.
std::string seconds_text(std::chrono::milliseconds ms) {
  auto count = ms.count();
  std::string text = std::to_string(count / 1000);
  if (auto frac = count % 1000; frac != 0) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (!f.empty() && f.back() == '0') f.pop_back();
    text += "." + f;
  }
  return text + "s";
}

// OpenSSL's reason for an SSL-category error (without the library name), plus the certificate
// verification result when the chain or the name did not verify.
std::string tls_reason(const boost::system::error_code& ec, SSL* ssl) {
  std::string reason;
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    reason = r != nullptr ? r : ec.message();
  } else if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) {
    reason = "connection closed by the server";
  } else {
    reason = ec.message();
  }
  if (ssl != nullptr) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      reason += " (";
      reason += X509_verify_cert_error_string(verify);
      reason += ")";
    }
  }
  return reason;
}

// Errors that mean a reused keep-alive connection was closed by the server before it answered.
bool is_stale_connection(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::not_connected;
}

using Stream = beast::ssl_stream<beast::tcp_stream>;

// The one Client implementation: a private io_context driven to completion for each step.
class BeastClient final : public Client {
 public:
  BeastClient(ClientOptions options, std::string host, std::string port, std::string prefix,
              bool host_is_ip, std::string host_header)
      : m_options(std::move(options)),
        m_host(std::move(host)),
        m_port(std::move(port)),
        m_prefix(std::move(prefix)),
        m_host_is_ip(host_is_ip),
        m_host_header(std::move(host_header)),
        m_ioc(1),
        m_ssl_ctx(ssl::context::tls_client) {}

  ~BeastClient() override { close_connection(); }

  // Loads trust anchors and the optional client certificate; errors are usage errors since
  // they come from flags or the profile.
  Expected<void> init_tls() {
    SSL_CTX* ctx = m_ssl_ctx.native_handle();
    m_ssl_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, k_tls12_ciphers) != 1) {
      ERR_clear_error();
      return fail(ErrorKind::internal, "cannot configure TLS 1.2+ with the required ciphers");
    }
    boost::system::error_code ec;
    const TlsOptions& tls = m_options.tls;
    if (!tls.ca_file.empty()) {
      m_ssl_ctx.load_verify_file(tls.ca_file, ec);
      if (ec) {
        return fail(ErrorKind::usage,
                    "cannot load CA file " + tls.ca_file + ": " + tls_reason(ec, nullptr));
      }
    } else {
      m_ssl_ctx.set_default_verify_paths(ec);
      if (ec) {
        return fail(ErrorKind::internal,
                    "cannot load the system's trusted certificates: " + tls_reason(ec, nullptr));
      }
    }
    m_ssl_ctx.set_verify_mode(ssl::verify_peer);
    if (tls.client_cert_file.empty() != tls.client_key_file.empty()) {
      return fail(ErrorKind::usage, "a client certificate needs both a certificate and a key file");
    }
    if (!tls.client_cert_file.empty()) {
      m_ssl_ctx.use_certificate_chain_file(tls.client_cert_file, ec);
      if (ec) {
        return fail(ErrorKind::usage, "cannot load client certificate " + tls.client_cert_file +
                                          ": " + tls_reason(ec, nullptr));
      }
      m_ssl_ctx.use_private_key_file(tls.client_key_file, ssl::context::pem, ec);
      if (ec) {
        return fail(ErrorKind::usage, "cannot load client key " + tls.client_key_file + ": " +
                                          tls_reason(ec, nullptr));
      }
      if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        return fail(ErrorKind::usage, "client key " + tls.client_key_file +
                                          " does not match certificate " + tls.client_cert_file);
      }
    }
    return {};
  }

  const std::string& base_url() const override { return m_options.base_url; }

  Expected<Response> send(const Request& request) override {
    auto built = build_request(request);
    if (!built) return fail(built.error());
    bool reused = m_stream.has_value();
    if (!reused) {
      if (auto r = connect(); !r) return fail(r.error());
    }
    bool retry = false;
    auto response = exchange(*built, request.method == "HEAD", reused, retry);
    if (!response && retry) {
      close_connection();
      if (auto r = connect(); !r) return fail(r.error());
      response = exchange(*built, request.method == "HEAD", false, retry);
    }
    return response;
  }

  Expected<Response> send_file(const Request& request, const std::filesystem::path& file,
                               std::string_view content_type) override {
    if (content_type.empty() || has_line_break_or_nul(content_type)) {
      return fail(ErrorKind::usage, "invalid content type for " + file.string() + "; nothing was sent");
    }
    int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      return fail(ErrorKind::input,
                  "cannot open " + file.string() + ": " +
                      (err == ELOOP ? std::string("it is a symbolic link") : std::strerror(err)),
                  "give the path of the file itself");
    }
    struct FdCloser {
      int fd;
      ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      return fail(ErrorKind::input, file.string() + " is not a regular file");
    }
    auto built = build_request(request);
    if (!built) return fail(built.error());
    FileRequest head{std::move(built->base())};
    head.set(bhttp::field::content_type, content_type);
    head.content_length(static_cast<std::uint64_t>(st.st_size));
    const bool expect = static_cast<std::uint64_t>(st.st_size) >= k_expect_continue_bytes;
    if (expect) head.set(bhttp::field::expect, "100-continue");
    bool reused = m_stream.has_value();
    if (!reused) {
      if (auto r = connect(); !r) return fail(r.error());
    }
    bool retry = false;
    auto response = upload(head, fd, static_cast<std::uint64_t>(st.st_size), expect, reused, retry);
    if (!response && retry) {
      close_connection();
      if (auto r = connect(); !r) return fail(r.error());
      response = upload(head, fd, static_cast<std::uint64_t>(st.st_size), expect, false, retry);
    }
    return response;
  }

 private:
  using BeastRequest = bhttp::request<bhttp::string_body>;
  using FileRequest = bhttp::request<bhttp::empty_body>;

  // Writes the header, waits for `100 Continue` when asked, streams the file from offset 0 and
  // reads the answer. `retry` as in exchange().
  Expected<Response> upload(FileRequest& head, int fd, std::uint64_t size, bool expect,
                            bool reused, bool& retry) {
    retry = false;
    const auto limit = m_options.request_timeout;
    auto& tcp_layer = beast::get_lowest_layer(*m_stream);
    boost::system::error_code ec;
    bhttp::request_serializer<bhttp::empty_body> serializer(head);
    tcp_layer.expires_after(limit);
    bhttp::async_write_header(*m_stream, serializer,
                              [&](const boost::system::error_code& e, std::size_t) { ec = e; });
    run_all();
    if (ec == beast::error::timeout) return timed_out(limit, "sending the request to", k_slow_hint);
    if (ec) {
      retry = reused;
      return io_failure(ec, "cannot send the request to ");
    }
    if (expect) {
      bhttp::response_parser<bhttp::string_body> interim;
      interim.body_limit(m_options.max_response_bytes);
      interim.header_limit(k_response_header_limit);
      bool waited_out = false;
      asio::steady_timer timer(m_ioc);
      timer.expires_after(k_continue_wait);
      timer.async_wait([&](const boost::system::error_code& e) {
        if (!e) {
          waited_out = true;
          tcp_layer.cancel();
        }
      });
      tcp_layer.expires_after(limit);
      bhttp::async_read_header(*m_stream, m_buffer, interim,
                               [&](const boost::system::error_code& e, std::size_t) {
                                 ec = e;
                                 timer.cancel();
                               });
      run_all();
      if (waited_out && !interim.got_some()) {
        ec = {};  // no interim answer: send the body anyway, as RFC 9110 allows
      } else if (ec == beast::error::timeout) {
        return timed_out(limit, "waiting for the response from", k_slow_hint);
      } else if (ec) {
        retry = reused && !interim.got_some() && is_stale_connection(ec);
        return io_failure(ec, "cannot read the response from ");
      } else if (interim.get().result_int() != 100) {
        // A final answer before the body (too large, unauthorised, unknown order): read it and
        // drop the connection, which still expects the body it was promised.
        if (!interim.is_done()) {
          tcp_layer.expires_after(limit);
          bhttp::async_read(*m_stream, m_buffer, interim,
                            [&](const boost::system::error_code& e, std::size_t) { ec = e; });
          run_all();
          if (ec) return io_failure(ec, "cannot read the response from ");
        }
        Response response = to_response(interim.release());
        close_connection();
        return response;
      }
    }
    std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(k_upload_chunk_bytes, std::max<std::uint64_t>(size, 1))));
    std::uint64_t sent = 0;
    while (sent < size) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - sent));
      ssize_t n = ::pread(fd, chunk.data(), want, static_cast<off_t>(sent));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::string why = n < 0 ? std::strerror(errno) : "it became shorter while being sent";
        close_connection();
        return fail(ErrorKind::input, "cannot read the file being sent: " + why);
      }
      tcp_layer.expires_after(limit);  // a limit on silence, not on the whole upload
      asio::async_write(*m_stream, asio::buffer(chunk.data(), static_cast<std::size_t>(n)),
                        [&](const boost::system::error_code& e, std::size_t) { ec = e; });
      run_all();
      if (ec == beast::error::timeout) return timed_out(limit, "sending the file to", k_slow_hint);
      if (ec) return io_failure(ec, "cannot send the file to ");
      sent += static_cast<std::uint64_t>(n);
    }
    // A `100 Continue` that came after we stopped waiting precedes the final answer.
    for (int interim_answers = 0;; ++interim_answers) {
      auto response = read_response(limit, false, false, retry);
      if (!response || response->status != 100 || interim_answers > 0) return response;
    }
  }

  Response to_response(bhttp::response<bhttp::string_body>&& msg) {
    Response response;
    response.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      response.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(msg.body());
    return response;
  }

  Expected<BeastRequest> build_request(const Request& request) const {
    if (!is_token(request.method)) {
      return fail(ErrorKind::usage, "invalid HTTP method '" + request.method + "'");
    }
    for (unsigned char c : request.target) {
      if (c <= 0x20 || c == 0x7f) {
        return fail(ErrorKind::usage, "invalid request target (control character or space)");
      }
    }
    std::string target = m_prefix;
    if (request.target.empty() || request.target.front() != '/') target += '/';
    target += request.target;

    BeastRequest req{bhttp::string_to_verb(request.method), target, 11};
    if (req.method() == bhttp::verb::unknown) req.method_string(request.method);
    if (has_line_break_or_nul(m_host_header) || has_line_break_or_nul(m_options.user_agent)) {
      return fail(ErrorKind::usage, "the Host or User-Agent header would hold a line break or NUL; "
                                    "nothing was sent");
    }
    req.set(bhttp::field::host, m_host_header);
    req.set(bhttp::field::user_agent, m_options.user_agent);
    req.set(bhttp::field::accept, "application/json");
    req.set(bhttp::field::connection, "keep-alive");
    if (!request.body.empty()) req.set(bhttp::field::content_type, "application/json");

    std::vector<std::string> seen;
    for (const auto& [name, value] : request.headers) {
      if (!is_token(name) || has_line_break_or_nul(name)) {
        return fail(ErrorKind::usage, "invalid header name; nothing was sent");
      }
      if (has_line_break_or_nul(value)) {
        return fail(ErrorKind::usage,
                    "header " + name + " contains a line break or NUL; nothing was sent");
      }
      std::string key = lower(name);
      // The first occurrence replaces a default header; later ones add values.
      if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
        req.set(name, value);
        seen.push_back(std::move(key));
      } else {
        req.insert(name, value);
      }
    }
    req.body() = request.body;
    req.prepare_payload();
    return req;
  }

  // Drives the io_context until every queued operation completed.
  void run_all() {
    m_ioc.restart();
    m_ioc.run();
  }

  tl::unexpected<Error> timed_out(std::chrono::milliseconds limit, const std::string& step,
                                  const char* hint) {
    close_connection();
    return fail(ErrorKind::unavailable,
                "timed out after " + seconds_text(limit) + " while " + step + " " + base_url(),
                hint);
  }

  Expected<void> connect() {
    close_connection();
    const auto limit = m_options.connect_timeout;
    const auto deadline = Clock::now() + limit;

    tcp::resolver resolver(m_ioc);
    asio::steady_timer timer(m_ioc);
    boost::system::error_code ec;
    tcp::resolver::results_type endpoints;
    bool resolve_timed_out = false;
    timer.expires_at(deadline);
    timer.async_wait([&](const boost::system::error_code& e) {
      if (!e) {
        resolve_timed_out = true;
        resolver.cancel();
      }
    });
    resolver.async_resolve(m_host, m_port,
                           [&](const boost::system::error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                             timer.cancel();
                           });
    run_all();
    if (resolve_timed_out) return timed_out(limit, "resolving", k_connect_hint);
    if (ec) {
      return fail(ErrorKind::unavailable,
                  "cannot resolve " + m_host + " for " + base_url() + ": " + ec.message(),
                  k_connect_hint);
    }

    m_stream.emplace(m_ioc, m_ssl_ctx);
    m_buffer.clear();
    SSL* ssl = m_stream->native_handle();
    // SNI carries DNS names only (RFC 6066); IP literals are checked against IP SANs instead.
    if (m_host_is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), m_host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, m_host.c_str());
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, m_host.c_str());
    }

    auto& tcp_layer = beast::get_lowest_layer(*m_stream);
    tcp_layer.expires_at(deadline);
    tcp_layer.async_connect(
        endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) { ec = e; });
    run_all();
    if (ec == beast::error::timeout) return timed_out(limit, "connecting to", k_connect_hint);
    if (ec) {
      close_connection();
      return fail(ErrorKind::unavailable, "cannot connect to " + base_url() + ": " + ec.message(),
                  k_connect_hint);
    }

    tcp_layer.expires_at(deadline);
    m_stream->async_handshake(ssl::stream_base::client,
                              [&](const boost::system::error_code& e) { ec = e; });
    run_all();
    if (ec == beast::error::timeout)
      return timed_out(limit, "in the TLS handshake with", k_connect_hint);
    if (ec) {
      std::string reason = tls_reason(ec, m_stream->native_handle());
      close_connection();
      return fail(ErrorKind::unavailable, "TLS handshake with " + base_url() + ": " + reason,
                  k_tls_hint);
    }
    tcp_layer.expires_never();
    return {};
  }

  // Writes the request and reads the answer. `retry` is set when the failure shows that a
  // reused connection had been closed by the server before it saw the request.
  Expected<Response> exchange(BeastRequest& req, bool head, bool reused, bool& retry) {
    retry = false;
    const auto limit = m_options.request_timeout;
    const auto deadline = Clock::now() + limit;
    auto& tcp_layer = beast::get_lowest_layer(*m_stream);
    boost::system::error_code ec;

    tcp_layer.expires_at(deadline);
    bhttp::async_write(*m_stream, req,
                       [&](const boost::system::error_code& e, std::size_t) { ec = e; });
    run_all();
    if (ec == beast::error::timeout) return timed_out(limit, "sending the request to", k_slow_hint);
    if (ec) {
      retry = reused;
      return io_failure(ec, "cannot send the request to ");
    }

    return read_response(limit, head, reused, retry);
  }

  // Reads one answer on the open connection, each read step within `limit`.
  Expected<Response> read_response(std::chrono::milliseconds limit, bool head, bool reused,
                                   bool& retry) {
    const auto deadline = Clock::now() + limit;
    auto& tcp_layer = beast::get_lowest_layer(*m_stream);
    boost::system::error_code ec;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(m_options.max_response_bytes);
    parser.header_limit(k_response_header_limit);
    parser.skip(head);
    tcp_layer.expires_at(deadline);
    bhttp::async_read(*m_stream, m_buffer, parser,
                      [&](const boost::system::error_code& e, std::size_t) { ec = e; });
    run_all();
    if (ec == beast::error::timeout)
      return timed_out(limit, "waiting for the response from", k_slow_hint);
    if (ec == bhttp::error::body_limit) {
      close_connection();
      return fail(ErrorKind::unavailable, "response too large from " + base_url() + " (more than " +
                                              std::to_string(m_options.max_response_bytes) +
                                              " bytes)");
    }
    if (ec) {
      retry = reused && !parser.got_some() && is_stale_connection(ec);
      return io_failure(ec, "cannot read the response from ");
    }
    tcp_layer.expires_never();

    auto msg = parser.release();
    Response response;
    response.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      response.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(msg.body());
    if (!msg.keep_alive()) close_connection();
    return response;
  }

  tl::unexpected<Error> io_failure(const boost::system::error_code& ec, const std::string& what) {
    bool tls = ec.category() == asio::error::get_ssl_category();
    std::string reason = tls_reason(ec, nullptr);
    close_connection();
    return fail(ErrorKind::unavailable, what + base_url() + ": " + reason,
                tls ? "the server may require a client certificate (mutual TLS), or refused it"
                    : std::string());
  }

  // Drops the connection without a TLS close_notify: a blocking shutdown could stall on a
  // server that is already gone, and the server treats a plain close as the end.
  void close_connection() {
    if (!m_stream) return;
    boost::system::error_code ignored;
    beast::get_lowest_layer(*m_stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(*m_stream).close();
    m_stream.reset();
    m_buffer.clear();
    // Handlers of cancelled operations must run before the next step reuses the context.
    run_all();
  }

  ClientOptions m_options;
  std::string m_host;
  std::string m_port;
  std::string m_prefix;
  bool m_host_is_ip;
  std::string m_host_header;
  asio::io_context m_ioc;
  ssl::context m_ssl_ctx;
  std::optional<Stream> m_stream;
  beast::flat_buffer m_buffer;
};

}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

Expected<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  auto bad_url = [&](const std::string& why) {
    // Control characters are shown escaped: the URL may hold a line break meant to forge lines.
    std::string shown;
    for (unsigned char c : options.base_url) {
      if (c < 0x20 || c == 0x7f) {
        static constexpr char k_hex[] = "0123456789abcdef";
        shown += "\\x";
        shown += k_hex[c >> 4];
        shown += k_hex[c & 15];
      } else {
        shown += static_cast<char>(c);
      }
    }
    return fail(ErrorKind::usage, "invalid base URL '" + shown + "': " + why,
                "use https://HOST[:PORT][/PATH]");
  };
  auto parsed = boost::urls::parse_uri(options.base_url);
  if (!parsed) return bad_url("not an absolute https:// URL");
  const boost::urls::url_view& url = *parsed;
  if (url.scheme_id() != boost::urls::scheme::https) return bad_url("only https:// is supported");
  if (!url.has_authority() || url.encoded_host().empty()) return bad_url("no host");
  if (url.has_userinfo()) return bad_url("credentials do not belong in the URL");
  if (url.has_query() || url.has_fragment()) return bad_url("no query or fragment allowed");

  std::string port = "443";
  if (url.has_port()) {
    if (url.port().empty() || url.port_number() == 0) return bad_url("invalid port");
    port = std::to_string(url.port_number());
  }
  bool is_ip = false;
  std::string host;
  std::string host_header;
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
      is_ip = true;
      host = url.host_address();
      host_header = host;
      break;
    case boost::urls::host_type::ipv6:
      is_ip = true;
      host = url.host_ipv6_address().to_string();
      host_header = "[" + host + "]";
      break;
    case boost::urls::host_type::name:
      host = lower(url.host_name());
      // The name is percent-decoded: "%00%0d%0a" would end the Host header and start another
      // (and a NUL would cut the name the resolver and the certificate check see).
      if (!is_dns_name(host)) {
        return bad_url("a host name may hold only letters, digits, '-', '_' and '.'");
      }
      host_header = host;
      break;
    default:
      return bad_url("unsupported host");
  }
  if (port != "443") host_header += ":" + port;

  std::string prefix(url.encoded_path());
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

  auto client = std::make_unique<BeastClient>(std::move(options), std::move(host), std::move(port),
                                              std::move(prefix), is_ip, std::move(host_header));
  if (auto r = client->init_tls(); !r) return fail(r.error());
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace portal::http
