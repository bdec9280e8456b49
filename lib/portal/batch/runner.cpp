#include "portal/batch/runner.hpp"

#include <cstdio>
#include <string>

#include <boost/json.hpp>

#include "portal/batch/results_sink.hpp"
#include "portal/batch/run.hpp"
#include "portal/wire/portal_json/portal_json.hpp"

namespace portal::batch {

namespace json = boost::json;

std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

RowResult interpret_answer(const http::Response& r, json::storage_ptr storage) {
  return wire::portal_json::read_answer(r, std::move(storage));
}

std::vector<std::string> result_fields(const std::vector<std::string>& answer_columns) {
  std::vector<std::string> fields(detail::k_result_fixed.begin(), detail::k_result_fixed.end());
  fields.insert(fields.end(), answer_columns.begin(), answer_columns.end());
  return fields;
}

std::string Summary::line() const {
  const std::size_t done = ok + rejected + invalid + failed + pending;
  // "N pending" only when there are some: the line of a wire that answers at once is unchanged.
  const std::string waiting = pending ? ", " + std::to_string(pending) + " pending" : std::string();
  char buf[448];
  std::snprintf(
      buf, sizeof buf,
      "%s%zu rows: %zu ok, %zu rejected, %zu invalid, %zu failed%s; %zu retried%s%s in %.1f s "
      "(%.0f rows/s)",
      interrupted ? "interrupted after " : (stopped_early ? "stopped after " : ""), done, ok,
      rejected, invalid, failed, waiting.c_str(), retried,
      resumed ? (", " + std::to_string(resumed) + " from the journal").c_str() : "",
      replayed ? (", " + std::to_string(replayed) + " replayed by the portal").c_str() : "",
      elapsed.count(), elapsed.count() > 0 ? done / elapsed.count() : 0.0);
  return buf;
}

Expected<Summary> run_batch(const Operation& op, RecordReader& reader, const Transport& transport,
                            const RunOptions& options, std::ostream& results_out,
                            std::ostream& err) {
  detail::Run run(op, transport, options, err);
  return run.execute(reader, results_out);
}

}  // namespace portal::batch
