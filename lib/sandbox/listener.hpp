// The HTTPS listener's two halves, shared by server.cpp (the accept loop, TLS set-up and a
// graceful stop) and session.cpp (one connection). Internal to the sandbox's server: only those
// two files include it, so Asio and Beast stay out of every other header.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "portal/util/error.hpp"
#include "sandbox/faults.hpp"
#include "sandbox/server.hpp"

namespace portal::sandbox::listener {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

class BeastServer;
class Session;

// Starts a session on an accepted connection (it registers itself with `server`).
void start_session(tcp::socket&& socket, BeastServer& server);
// Tells a live session, on its own strand, that the server stops.
void stop_session(const std::shared_ptr<Session>& session);

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

}  // namespace portal::sandbox::listener
