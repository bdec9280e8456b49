// libFuzzer target for the client's reading of an HTTP response: the bytes the server sends,
// through the parser the client uses, to the portal::http::Response the rest of the CLI sees,
// and on to map_error / interpret_answer.
//
// http::Client (lib/portal/http/client.cpp) parses inside BeastClient::exchange() with
// boost::beast::http::response_parser<string_body> read straight off the TLS stream; that step
// is not a function of its own, so it cannot be called without a connection. This target builds
// the same parser with the same limits (ClientOptions::max_response_bytes and the client's
// 64 KiB header limit, k_response_header_limit) and copies the message to a Response the way
// exchange() does. Keep it in step with exchange() when that changes. This is the only fuzz
// target that includes Beast, so the others do not pay for its headers.
//
// Input layout: byte 0 holds options (bit 0: the answer to a HEAD request, bits 1-7: the size of
// the pieces the bytes arrive in, 0 meaning all at once); the rest is what the server sent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "portal/api/portal_api.hpp"
#include "portal/batch/runner.hpp"
#include "portal/http/client.hpp"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

constexpr std::uint32_t k_response_header_limit = 64 * 1024;  // as in client.cpp

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

[[noreturn]] void contract_broken(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_http_response: contract broken: %s%s%s\n", what,
               detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool head = (data[0] & 1) != 0;
  const std::size_t piece = data[0] >> 1;
  const std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(portal::http::ClientOptions{}.max_response_bytes);
  parser.header_limit(k_response_header_limit);
  parser.skip(head);
  parser.eager(true);  // as http::async_read (a whole message) sets it

  // What beast::http::read does: append what arrived to a buffer, let the parser take what it
  // can, keep the rest for the next read; at the end of the stream, tell the parser so.
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  std::size_t offset = 0;
  while (!parser.is_done()) {
    if (offset == wire.size()) {
      parser.put_eof(ec);
      break;
    }
    const std::size_t n = piece == 0 ? wire.size() - offset : std::min(piece, wire.size() - offset);
    auto dest = buffer.prepare(n);
    std::memcpy(dest.data(), wire.data() + offset, n);
    buffer.commit(n);
    offset += n;
    for (;;) {
      ec = {};
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec || parser.is_done() || used == 0) break;
    }
    if (ec) break;
  }
  if (ec || !parser.is_done()) return 0;  // the client reports a read error; nothing to map

  auto msg = parser.release();
  portal::http::Response response;
  response.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg) {
    response.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(msg.body());
  (void)msg.keep_alive();

  if (response.status < 0 || response.status > 999) contract_broken("status out of range");
  // header() gives the first value of a name; names are lower-cased already. (Quadratic: only
  // for a reasonable number of headers.)
  for (std::size_t i = std::min<std::size_t>(response.headers.size(), 64); i-- > 0;) {
    const auto& [name, value] = response.headers[i];
    bool first = true;
    for (std::size_t j = 0; j < i; ++j) first = first && response.headers[j].first != name;
    if (first && response.header(name) != value) contract_broken("header() missed a header", name);
  }
  if (response.status < 200 || response.status >= 300) {
    portal::Error error = portal::api::map_error(response);
    if (error.message.empty()) contract_broken("map_error gave an empty message");
  }
  portal::batch::RowResult row = portal::batch::interpret_answer(response);
  if (row.http_status != response.status) contract_broken("interpret_answer lost the HTTP status");
  return 0;
}
