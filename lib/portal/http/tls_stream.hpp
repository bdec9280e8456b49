// The TLS byte stream under the HTTP client (private to lib/portal/http): a connected socket
// read and written with blocking OpenSSL calls for Beast's synchronous HTTP, and the helpers
// that turn its errors into words.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <string>

#include <openssl/err.h>
#include <unistd.h>

#include "portal/http/client.hpp"
#include "portal/util/error.hpp"

namespace portal::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

// "10s", "1.5s", "0.25s": a duration as users read it.
std::string seconds_text(std::chrono::milliseconds ms);

// OpenSSL's reason for an SSL-category error (without the library name), plus the certificate
// verification result when the chain or the name did not verify.
std::string tls_reason(const boost::system::error_code& ec, SSL* ssl);

// Errors that mean a reused keep-alive connection was closed by the server before it answered.
bool is_stale_connection(const boost::system::error_code& ec);

// A connected TLS socket read and written with blocking calls, for Beast's synchronous HTTP: a
// request is one write(2) and its answer usually one read(2), where an event loop per step
// costs several system calls more (epoll, timer updates) on every row of a batch. Each call
// waits at most the socket's SO_RCVTIMEO/SO_SNDTIMEO, and no read starts after `deadline`, so
// a server that drips bytes cannot hold a step open beyond it. Meets Beast's SyncReadStream and
// SyncWriteStream.
class TlsStream {
 public:
  TlsStream(int fd, SSL* ssl) : m_fd(fd), m_ssl(ssl) {}
  ~TlsStream() {
    SSL_free(m_ssl);
    ::close(m_fd);
  }
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  SSL* ssl() const { return m_ssl; }
  int fd() const { return m_fd; }
  void set_deadline(Clock::time_point deadline) { m_deadline = deadline; }
  // Whether an answer's bytes are already decrypted and waiting (no read(2) needed).
  bool has_pending() const { return SSL_pending(m_ssl) > 0; }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    auto first = *asio::buffer_sequence_begin(buffers);
    if (first.size() == 0) return 0;
    if (!has_pending() && Clock::now() >= m_deadline) {
      ec = beast::error::timeout;
      return 0;
    }
    ERR_clear_error();
    int n = SSL_read(m_ssl, first.data(),
                     static_cast<int>(std::min<std::size_t>(first.size(), 1u << 30)));
    if (n > 0) return static_cast<std::size_t>(n);
    ec = failure(n);
    return 0;
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    return or_throw([&](auto& ec) { return read_some(buffers, ec); });
  }

  // Writes the buffers whole (one TLS record per 16 KiB): several small buffers, as Beast's
  // serializer hands them over, are copied into one so a request leaves in one write(2).
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    std::size_t total = asio::buffer_size(buffers);
    if (total == 0) return 0;
    const void* data = nullptr;
    auto it = asio::buffer_sequence_begin(buffers);
    if (asio::const_buffer one(*it); one.size() == total) {
      data = one.data();
    } else {
      total = std::min<std::size_t>(total, k_write_coalesce_bytes);
      m_out.resize(total);
      total = asio::buffer_copy(asio::buffer(m_out), buffers);
      data = m_out.data();
    }
    ERR_clear_error();
    int n = SSL_write(m_ssl, data, static_cast<int>(std::min<std::size_t>(total, 1u << 30)));
    if (n > 0) return static_cast<std::size_t>(n);
    ec = failure(n);
    return 0;
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    return or_throw([&](auto& ec) { return write_some(buffers, ec); });
  }

  // Writes all of [data, data + size) or fails.
  void write_all(const char* data, std::size_t size, boost::system::error_code& ec) {
    while (size > 0) {
      auto n = write_some(asio::const_buffer(data, size), ec);
      if (ec) return;
      data += n;
      size -= n;
    }
  }

  // The error of an SSL call that returned `ret`, as the error codes Asio's TLS stream gives
  // (so messages and the stale-connection test read the same whichever way bytes move).
  boost::system::error_code failure(int ret) const { return tls_failure(m_ssl, ret); }

  // The error code of an SSL call on `ssl` that returned `ret` (see failure()).
  static boost::system::error_code tls_failure(SSL* ssl, int ret);

 private:
  // The throwing form Beast's synchronous streams also offer, over a call taking an error code.
  template <class Call>
  static std::size_t or_throw(Call&& call) {
    boost::system::error_code ec;
    auto n = call(ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  static constexpr std::size_t k_write_coalesce_bytes = 64 * 1024;
  int m_fd;
  SSL* m_ssl;
  Clock::time_point m_deadline = Clock::time_point::max();
  std::string m_out;
};

// Makes `context` a TLS 1.2+ client context with the project's ciphers, verifying the server
// against `tls.ca_file` (or the system's store), with the client certificate when one is given.
// ErrorKind::usage naming the file that cannot be loaded.
Expected<void> configure_client_tls(asio::ssl::context& context, const TlsOptions& tls);

// Sets how long one read(2) or write(2) of `fd` may wait (at least a millisecond).
void set_io_timeouts(int fd, std::chrono::milliseconds limit);

// How long is left until `deadline` (negative when it has passed).
std::chrono::milliseconds until(Clock::time_point deadline);

}  // namespace portal::http::detail
