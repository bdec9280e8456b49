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

namespace {

constexpr const char* k_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

}  // namespace

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

Expected<void> configure_client_tls(asio::ssl::context& context, const TlsOptions& tls) {
  SSL_CTX* ctx = context.native_handle();
  context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, k_tls12_ciphers) != 1) {
    ERR_clear_error();
    return fail(ErrorKind::internal, "cannot configure TLS 1.2+ with the required ciphers");
  }
  boost::system::error_code ec;
  if (!tls.ca_file.empty()) {
    context.load_verify_file(tls.ca_file, ec);
    if (ec) {
      return fail(ErrorKind::usage,
                  "cannot load CA file " + tls.ca_file + ": " + tls_reason(ec, nullptr));
    }
  } else {
    context.set_default_verify_paths(ec);
    if (ec) {
      return fail(ErrorKind::internal,
                  "cannot load the system's trusted certificates: " + tls_reason(ec, nullptr));
    }
  }
  context.set_verify_mode(asio::ssl::verify_peer);
  if (tls.client_cert_file.empty() != tls.client_key_file.empty()) {
    return fail(ErrorKind::usage, "a client certificate needs both a certificate and a key file");
  }
  if (!tls.client_cert_file.empty()) {
    context.use_certificate_chain_file(tls.client_cert_file, ec);
    if (ec) {
      return fail(ErrorKind::usage, "cannot load client certificate " + tls.client_cert_file +
                                        ": " + tls_reason(ec, nullptr));
    }
    context.use_private_key_file(tls.client_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return fail(ErrorKind::usage,
                  "cannot load client key " + tls.client_key_file + ": " + tls_reason(ec, nullptr));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      return fail(ErrorKind::usage, "client key " + tls.client_key_file +
                                        " does not match certificate " + tls.client_cert_file);
    }
  }
  return {};
}

}  // namespace portal::http::detail
