// libFuzzer target for the CLI's reading of the portal's answers: api::map_error (every non-2xx
// answer of a typed call) and batch::interpret_answer (every final answer of a batch row).
//
// Input layout: byte 0 picks the HTTP status, byte 1 the headers (Retry-After and
// Idempotent-Replayed variants), the rest is the body. tests/fuzz/make_seeds.py writes seeds.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "portal/api/portal_api.hpp"
#include "portal/batch/runner.hpp"
#include "portal/http/client.hpp"

namespace {

// Byte 0 below 128 picks one of these; from 128 up, a status spread over 100..599.
constexpr std::array<int, 24> k_statuses{200, 201, 202, 204, 400, 401, 403, 404,
                                         405, 409, 413, 422, 423, 429, 500, 501,
                                         502, 503, 504, 0,   99,  302, 600, 999};

constexpr std::array<const char*, 8> k_retry_after{nullptr,
                                                   "120",
                                                   "0",
                                                   "9999999",
                                                   "18446744073709551616",
                                                   "abc",
                                                   "",
                                                   "Wed, 21 Oct 2015 07:28:00 GMT"};

[[noreturn]] void contract_broken(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_json_response: contract broken: %s%s%s\n", what,
               detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  portal::http::Response response;
  const unsigned pick = data[0];
  response.status = pick < 128 ? k_statuses[pick % k_statuses.size()]
                               : 100 + static_cast<int>((pick - 128) * 397 % 500);
  const unsigned headers = data[1];
  if (const char* ra = k_retry_after[headers % k_retry_after.size()]) {
    // Header names arrive lower-cased from the client; bit 3 sends the name as a server wrote it.
    response.headers.emplace_back((headers & 8) ? "Retry-After" : "retry-after", ra);
  }
  if (headers & 16) response.headers.emplace_back("idempotent-replayed", "true");
  if (headers & 32) response.headers.emplace_back("content-type", "application/json");
  response.body.assign(reinterpret_cast<const char*>(data) + 2, size - 2);

  portal::Error error = portal::api::map_error(response);
  if (error.message.empty()) contract_broken("map_error gave an empty message");
  if (error.http_status != response.status) contract_broken("map_error lost the HTTP status");

  portal::batch::RowResult row = portal::batch::interpret_answer(response);
  if (row.http_status != response.status) contract_broken("interpret_answer lost the HTTP status");
  const bool ok = response.status >= 200 && response.status < 300;
  if (row.outcome != (ok ? "ok" : "rejected")) contract_broken("unexpected outcome", row.outcome);
  if (!ok && row.message.empty()) contract_broken("a rejected row without a message");
  return 0;
}
