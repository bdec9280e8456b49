#include "sandbox/server.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <string>

#include "portal/util/strings.hpp"
#include "sandbox/listener.hpp"

namespace portal::sandbox {

namespace listener {

using namespace std::chrono_literals;

namespace {

constexpr const char* k_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr auto k_stop_grace = 5s;

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

}  // namespace

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
                              start_session(std::move(socket), *this);
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
  for (auto& s : live) stop_session(s);
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

}  // namespace listener

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
  auto server = std::make_unique<listener::BeastServer>(std::move(options), std::move(handler));
  if (auto r = server->init_tls(); !r) return fail(r.error());
  if (auto r = server->listen(); !r) return fail(r.error());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace portal::sandbox
