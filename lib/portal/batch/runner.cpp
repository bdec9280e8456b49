#include "portal/batch/runner.hpp"

#include <cstdio>
#include <string>

#include <boost/json.hpp>

#include "portal/api/portal_api.hpp"
#include "portal/batch/run.hpp"

namespace portal::batch {

namespace json = boost::json;

std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

RowResult interpret_answer(const http::Response& r, json::storage_ptr storage) {
  RowResult out{.answer = json::object(storage)};
  out.http_status = r.status;
  json::error_code ec;
  auto body = json::parse(r.body, ec, std::move(storage));
  if (r.status >= 200 && r.status < 300) {
    out.outcome = "ok";
    if (!ec && body.is_object()) out.answer = std::move(body.get_object());
    return out;
  }
  Error e = api::map_error(r);
  out.outcome = "rejected";
  out.code = e.code;
  out.message = e.message;
  out.errors = e.fields;
  if (!ec && body.is_object()) {
    if (auto* err = body.get_object().if_contains("error"); err && err->is_object()) {
      out.answer = err->get_object();
    }
  }
  return out;
}

std::string Summary::line() const {
  char buf[400];
  std::snprintf(
      buf, sizeof buf,
      "%s%zu rows: %zu ok, %zu rejected, %zu invalid, %zu failed; %zu retried%s%s in %.1f s (%.0f "
      "rows/s)",
      interrupted ? "interrupted after " : (stopped_early ? "stopped after " : ""),
      ok + rejected + invalid + failed, ok, rejected, invalid, failed, retried,
      resumed ? (", " + std::to_string(resumed) + " from the journal").c_str() : "",
      replayed ? (", " + std::to_string(replayed) + " replayed by the portal").c_str() : "",
      elapsed.count(),
      elapsed.count() > 0 ? (ok + rejected + invalid + failed) / elapsed.count() : 0.0);
  return buf;
}

int exit_code_of(const Summary& s) {
  if (s.interrupted) return 130;
  if (s.fatal) return portal::exit_code(s.fatal->kind);
  if (s.failed > 0) return 5;
  if (s.rejected > 0 || s.invalid > 0) return 1;
  if (s.stopped_early) return 1;
  return 0;
}

Expected<Summary> run_batch(const Operation& op, RecordReader& reader, const Transport& transport,
                            const RunOptions& options, std::ostream& results_out,
                            std::ostream& err) {
  detail::Run run(op, transport, options, err);
  return run.execute(reader, results_out);
}

}  // namespace portal::batch
