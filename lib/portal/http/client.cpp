#include "portal/http/client.hpp"

#include "portal/http/tls_stream.hpp"
#include "portal/util/strings.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <optional>

namespace portal::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

using namespace detail;

namespace {

constexpr std::uint32_t k_response_header_limit = 64 * 1024;
constexpr const char* k_tls_hint = "check --ca-file or the server's certificate names";
constexpr const char* k_connect_hint = "check the base URL and that the server is running";
constexpr const char* k_slow_hint = "the server did not answer in time; try again later";
// A file body is read and written in chunks of this size (memory stays flat at any file size).
constexpr std::size_t k_upload_chunk_bytes = 1u << 20;
// Bodies from this size on ask for `100 Continue` first, so a refusal costs no upload.
constexpr std::uint64_t k_expect_continue_bytes = 1u << 20;
// What one read of an answer asks for (read-ahead may bring a whole answer at once).
constexpr std::size_t k_read_bytes = 16 * 1024;
// How long to wait for `100 Continue` before sending the body anyway (a server may ignore it).
constexpr std::chrono::milliseconds k_continue_wait{1500};

// Letters, digits, '-', '_' and '.': what a DNS name (as a URL names it) is made of.
bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// The one Client implementation: blocking TLS on one keep-alive connection.
class TlsClient final : public Client {
 public:
  TlsClient(ClientOptions options, std::string host, std::string port, std::string prefix,
            bool host_is_ip, std::string host_header)
      : m_options(std::move(options)),
        m_host(std::move(host)),
        m_port(std::move(port)),
        m_prefix(std::move(prefix)),
        m_host_is_ip(host_is_ip),
        m_host_header(std::move(host_header)),
        m_ssl_ctx(ssl::context::tls_client) {}

  ~TlsClient() override { close_connection(); }

  ssl::context& tls_context() { return m_ssl_ctx; }
  const TlsOptions& tls_options() const { return m_options.tls; }

  const std::string& base_url() const override { return m_options.base_url; }

  Expected<Response> send(const Request& request) override {
    auto built = build_request(request);
    if (!built) return fail(built.error());
    bool reused = m_stream != nullptr;
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

  Expected<void> start(const Request& request) override {
    auto built = build_request(request);
    if (!built) return fail(built.error());
    if (!m_stream) {
      if (auto r = connect(); !r) return fail(r.error());
    }
    const auto limit = m_options.request_timeout;
    boost::system::error_code ec;
    m_stream->set_deadline(Clock::now() + limit);
    bhttp::write(*m_stream, *built, ec);
    if (ec == beast::error::timeout) return timed_out(limit, "sending the request to", k_slow_hint);
    if (ec) return io_failure(ec, "cannot send the request to ");
    m_answer.emplace();
    m_answer->body_limit(m_options.max_response_bytes);
    m_answer->header_limit(k_response_header_limit);
    m_answer->skip(request.method == "HEAD");
    m_answer->eager(true);
    m_answer_deadline = Clock::now() + limit;
    return {};
  }

  int wait_fd() const override { return m_stream ? m_stream->fd() : -1; }

  std::optional<Expected<Response>> poll_answer(bool readable) override {
    if (!m_answer || !m_stream) {
      return fail(ErrorKind::internal, "no request is waiting for its answer from " + base_url());
    }
    const auto limit = m_options.request_timeout;
    if (!readable) {
      if (Clock::now() < m_answer_deadline) return std::nullopt;
      m_answer.reset();
      return timed_out(limit, "waiting for the response from", k_slow_hint);
    }
    // One read(2) per call at most (the socket was readable); then whatever is buffered is
    // parsed. Waiting for more is the caller's poll(2), never a blocking read here.
    m_stream->set_deadline(m_answer_deadline);
    boost::system::error_code ec;
    do {
      auto space = m_buffer.prepare(k_read_bytes);
      std::size_t n = m_stream->read_some(space, ec);
      m_buffer.commit(n);
      if (ec == asio::error::eof) {
        // The server closed the connection (close_notify): the end of an answer delimited by
        // it, or a fault (as Beast's own reads tell them apart).
        if (!parse_buffered(ec) && !ec) {
          if (m_answer->got_some())
            m_answer->put_eof(ec);
          else
            ec = bhttp::error::end_of_stream;
        }
      } else if (!ec) {
        parse_buffered(ec);
      }
      if (!ec && m_answer->is_done()) {
        auto msg = m_answer->release();
        m_answer.reset();
        return answer_of(std::move(msg));
      }
    } while (!ec && m_stream->has_pending());
    if (!ec) return std::nullopt;
    m_answer.reset();
    return read_failure(ec, limit);
  }

  // Feeds the buffered bytes to the waiting answer's parser; whether the answer is whole.
  bool parse_buffered(boost::system::error_code& ec) {
    ec = {};
    while (m_buffer.size() > 0 && !m_answer->is_done()) {
      auto used = m_answer->put(m_buffer.data(), ec);
      m_buffer.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec || used == 0) break;
    }
    return !ec && m_answer->is_done();
  }

  Expected<Response> send_file(const Request& request, const std::filesystem::path& file,
                               std::string_view content_type) override {
    if (content_type.empty() || util::has_line_break_or_nul(content_type)) {
      return fail(ErrorKind::usage,
                  "invalid content type for " + file.string() + "; nothing was sent");
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
    bool reused = m_stream != nullptr;
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

  // Waits up to `wait` for the server to say something (decrypted bytes already waiting count).
  bool readable_within(std::chrono::milliseconds wait) {
    if (m_stream->has_pending() || m_buffer.size() > 0) return true;
    pollfd p{m_stream->fd(), POLLIN, 0};
    int n = 0;
    do {
      n = ::poll(&p, 1, static_cast<int>(wait.count()));
    } while (n < 0 && errno == EINTR);
    return n != 0;
  }

  // Writes the header, waits for `100 Continue` when asked, streams the file from offset 0 and
  // reads the answer. `retry` as in exchange().
  Expected<Response> upload(FileRequest& head, int fd, std::uint64_t size, bool expect, bool reused,
                            bool& retry) {
    retry = false;
    const auto limit = m_options.request_timeout;
    boost::system::error_code ec;
    bhttp::request_serializer<bhttp::empty_body> serializer(head);
    m_stream->set_deadline(Clock::now() + limit);
    bhttp::write_header(*m_stream, serializer, ec);
    if (ec == beast::error::timeout) return timed_out(limit, "sending the request to", k_slow_hint);
    if (ec) {
      retry = reused;
      return io_failure(ec, "cannot send the request to ");
    }
    if (expect && readable_within(k_continue_wait)) {
      // An answer came before the body: `100 Continue`, or a final refusal (no body wanted).
      bhttp::response_parser<bhttp::string_body> interim;
      interim.body_limit(m_options.max_response_bytes);
      interim.header_limit(k_response_header_limit);
      m_stream->set_deadline(Clock::now() + limit);
      bhttp::read_header(*m_stream, m_buffer, interim, ec);
      if (ec == beast::error::timeout) {
        return timed_out(limit, "waiting for the response from", k_slow_hint);
      } else if (ec) {
        retry = reused && !interim.got_some() && is_stale_connection(ec);
        return io_failure(ec, "cannot read the response from ");
      } else if (interim.get().result_int() != 100) {
        // A final answer before the body (too large, unauthorised, unknown order): read it and
        // drop the connection, which still expects the body it was promised.
        if (!interim.is_done()) {
          m_stream->set_deadline(Clock::now() + limit);
          bhttp::read(*m_stream, m_buffer, interim, ec);
          if (ec == beast::error::timeout) {
            return timed_out(limit, "waiting for the response from", k_slow_hint);
          }
          if (ec) return io_failure(ec, "cannot read the response from ");
        }
        Response response = to_response(interim.release());
        close_connection();
        return response;
      }
    }
    // (No interim answer within the wait: the body goes anyway, as RFC 9110 allows.)
    std::vector<char> chunk(static_cast<std::size_t>(
        std::min<std::uint64_t>(k_upload_chunk_bytes, std::max<std::uint64_t>(size, 1))));
    std::uint64_t sent = 0;
    while (sent < size) {
      std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - sent));
      ssize_t n = ::pread(fd, chunk.data(), want, static_cast<off_t>(sent));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::string why = n < 0 ? std::strerror(errno) : "it became shorter while being sent";
        close_connection();
        return fail(ErrorKind::input, "cannot read the file being sent: " + why);
      }
      // Each write(2) waits at most `limit`: a limit on silence, not on the whole upload.
      m_stream->write_all(chunk.data(), static_cast<std::size_t>(n), ec);
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
      response.headers.emplace_back(util::lower(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(msg.body());
    return response;
  }

  Expected<BeastRequest> build_request(const Request& request) const {
    if (!util::is_http_token(request.method)) {
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
    if (util::has_line_break_or_nul(m_host_header) ||
        util::has_line_break_or_nul(m_options.user_agent)) {
      return fail(ErrorKind::usage,
                  "the Host or User-Agent header would hold a line break or NUL; "
                  "nothing was sent");
    }
    req.set(bhttp::field::host, m_host_header);
    req.set(bhttp::field::user_agent, m_options.user_agent);
    req.set(bhttp::field::accept, "application/json");
    req.set(bhttp::field::connection, "keep-alive");
    if (!request.body.empty()) req.set(bhttp::field::content_type, "application/json");

    std::vector<std::string> seen;
    for (const auto& [name, value] : request.headers) {
      if (!util::is_http_token(name) || util::has_line_break_or_nul(name)) {
        return fail(ErrorKind::usage, "invalid header name; nothing was sent");
      }
      if (util::has_line_break_or_nul(value)) {
        return fail(ErrorKind::usage,
                    "header " + name + " contains a line break or NUL; nothing was sent");
      }
      std::string key = util::lower(name);
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

  tl::unexpected<Error> timed_out(std::chrono::milliseconds limit, const std::string& step,
                                  const char* hint) {
    close_connection();
    Error e(ErrorKind::unavailable,
            "timed out after " + seconds_text(limit) + " while " + step + " " + base_url(), hint);
    e.code = "timeout";
    return tl::unexpected(std::move(e));
  }

  // Opens a TCP connection to one of the host's addresses within the deadline; the socket is
  // left blocking. -1 with `problem` set (or `timed_out`) when none answered.
  int open_socket(Clock::time_point deadline, std::string& problem, bool& timed_out_connecting) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | (m_host_is_ip ? AI_NUMERICHOST : 0);
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(m_host.c_str(), m_port.c_str(), &hints, &found);
    if (rc != 0) {
      problem =
          "cannot resolve " + m_host + " for " + base_url() + ": " +
          (rc == EAI_SYSTEM ? std::string(std::strerror(errno)) : std::string(::gai_strerror(rc)));
      return -1;
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
    int last_error = ECONNREFUSED;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      int fd =
          ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
      if (fd < 0) {
        last_error = errno;
        continue;
      }
      int err = 0;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          pollfd p{fd, POLLOUT, 0};
          int n = 0;
          do {
            auto left = until(deadline);
            n = left.count() <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left.count()));
          } while (n < 0 && errno == EINTR);
          if (n == 0) {
            ::close(fd);
            timed_out_connecting = true;
            return -1;
          }
          socklen_t len = sizeof err;
          if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
      if (err != 0) {
        last_error = err;
        ::close(fd);
        continue;
      }
      int flags = ::fcntl(fd, F_GETFL);
      ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // a request is one write
      return fd;
    }
    problem = "cannot connect to " + base_url() + ": " + std::strerror(last_error);
    return -1;
  }

  Expected<void> connect() {
    close_connection();
    const auto limit = m_options.connect_timeout;
    const auto deadline = Clock::now() + limit;
    std::string problem;
    bool connect_timed_out = false;
    int fd = open_socket(deadline, problem, connect_timed_out);
    if (connect_timed_out) return timed_out(limit, "connecting to", k_connect_hint);
    if (fd < 0) return fail(ErrorKind::unavailable, problem, k_connect_hint);

    SSL* ssl = SSL_new(m_ssl_ctx.native_handle());
    if (ssl == nullptr) {
      ::close(fd);
      ERR_clear_error();
      return fail(ErrorKind::internal, "cannot start a TLS connection (out of memory?)");
    }
    m_stream = std::make_unique<TlsStream>(fd, ssl);
    m_buffer.clear();
    SSL_set_fd(ssl, fd);
    SSL_set_read_ahead(ssl, 1);  // a whole answer in one read(2), not a header and a body
    // SNI carries DNS names only (RFC 6066); IP literals are checked against IP SANs instead.
    if (m_host_is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), m_host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, m_host.c_str());
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, m_host.c_str());
    }
    set_io_timeouts(fd, until(deadline));
    ERR_clear_error();
    int rc = SSL_connect(ssl);
    if (rc != 1) {
      auto ec = TlsStream::tls_failure(ssl, rc);
      if (ec == beast::error::timeout) {
        return timed_out(limit, "in the TLS handshake with", k_connect_hint);
      }
      std::string reason = tls_reason(ec, ssl);
      close_connection();
      return fail(ErrorKind::unavailable, "TLS handshake with " + base_url() + ": " + reason,
                  k_tls_hint);
    }
    set_io_timeouts(fd, m_options.request_timeout);
    return {};
  }

  // Writes the request and reads the answer. `retry` is set when the failure shows that a
  // reused connection had been closed by the server before it saw the request.
  Expected<Response> exchange(BeastRequest& req, bool head, bool reused, bool& retry) {
    retry = false;
    const auto limit = m_options.request_timeout;
    boost::system::error_code ec;
    m_stream->set_deadline(Clock::now() + limit);
    bhttp::write(*m_stream, req, ec);
    if (ec == beast::error::timeout) return timed_out(limit, "sending the request to", k_slow_hint);
    if (ec) {
      retry = reused;
      return io_failure(ec, "cannot send the request to ");
    }
    return read_response(limit, head, reused, retry);
  }

  // Reads one answer on the open connection within `limit`.
  Expected<Response> read_response(std::chrono::milliseconds limit, bool head, bool reused,
                                   bool& retry) {
    boost::system::error_code ec;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(m_options.max_response_bytes);
    parser.header_limit(k_response_header_limit);
    parser.skip(head);
    m_stream->set_deadline(Clock::now() + limit);
    bhttp::read(*m_stream, m_buffer, parser, ec);
    if (ec) {
      retry = reused && !parser.got_some() && is_stale_connection(ec);
      return read_failure(ec, limit);
    }
    return answer_of(parser.release());
  }

  // A whole answer; the connection is closed when the server said it would close it.
  Response answer_of(bhttp::response<bhttp::string_body>&& msg) {
    bool keep_alive = msg.keep_alive();
    Response response = to_response(std::move(msg));
    if (!keep_alive) close_connection();
    return response;
  }

  // What a failed read of an answer is reported as; closes the connection.
  tl::unexpected<Error> read_failure(const boost::system::error_code& ec,
                                     std::chrono::milliseconds limit) {
    if (ec == beast::error::timeout) {
      return timed_out(limit, "waiting for the response from", k_slow_hint);
    }
    if (ec == bhttp::error::body_limit) {
      close_connection();
      return fail(ErrorKind::unavailable, "response too large from " + base_url() + " (more than " +
                                              std::to_string(m_options.max_response_bytes) +
                                              " bytes)");
    }
    return io_failure(ec, "cannot read the response from ");
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
    m_answer.reset();
    m_stream.reset();
    m_buffer.clear();
  }

  ClientOptions m_options;
  std::string m_host;
  std::string m_port;
  std::string m_prefix;
  bool m_host_is_ip;
  std::string m_host_header;
  ssl::context m_ssl_ctx;
  std::unique_ptr<TlsStream> m_stream;
  beast::flat_buffer m_buffer;
  // The answer start() waits for, and when it must have come.
  std::optional<bhttp::response_parser<bhttp::string_body>> m_answer;
  Clock::time_point m_answer_deadline{};
};

}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (util::iequals(key, name)) return value;
  }
  return {};
}

Expected<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  // A write to a connection the server closed must fail with EPIPE, not end the process.
  static std::once_flag sigpipe_once;
  std::call_once(sigpipe_once, [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
      ::signal(SIGPIPE, SIG_IGN);
  });
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
      host = util::lower(url.host_name());
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

  auto client = std::make_unique<TlsClient>(std::move(options), std::move(host), std::move(port),
                                            std::move(prefix), is_ip, std::move(host_header));
  if (auto r = configure_client_tls(client->tls_context(), client->tls_options()); !r)
    return fail(r.error());
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace portal::http
