#include "portal/http/tls_stream.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>

namespace portal::http::detail {

namespace bhttp = boost::beast::http;

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

boost::system::error_code TlsStream::tls_failure(SSL* ssl, int ret) {
  int saved_errno = errno;
  int err = SSL_get_error(ssl, ret);
  switch (err) {
    case SSL_ERROR_ZERO_RETURN:
      return asio::error::eof;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      // A blocking socket only asks again when SO_RCVTIMEO/SO_SNDTIMEO ran out.
      ERR_clear_error();
      return beast::error::timeout;
    case SSL_ERROR_SYSCALL: {
      unsigned long code = ERR_get_error();
      ERR_clear_error();
      if (code != 0) return {static_cast<int>(code), asio::error::get_ssl_category()};
      if (ret == 0 || saved_errno == 0) return asio::ssl::error::stream_truncated;
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) return beast::error::timeout;
      return {saved_errno, boost::system::system_category()};
    }
    case SSL_ERROR_SSL: {
      unsigned long code = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return asio::ssl::error::stream_truncated;
      }
      return {static_cast<int>(code), asio::error::get_ssl_category()};
    }
    default:
      ERR_clear_error();
      return asio::ssl::error::stream_truncated;
  }
}

// Sets how long one read(2) or write(2) of `fd` may wait (at least a millisecond).
void set_io_timeouts(int fd, std::chrono::milliseconds limit) {
  auto ms = std::max<std::chrono::milliseconds::rep>(limit.count(), 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::chrono::milliseconds until(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

}  // namespace portal::http::detail
