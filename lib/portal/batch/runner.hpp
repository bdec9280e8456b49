// The batch runner every record-taking subcommand uses: reads and validates rows as a stream,
// sends the good ones with bounded concurrency over keep-alive connections, retries what may be
// retried, journals every final answer, and writes one result per row in input order.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "portal/batch/reader.hpp"
#include "portal/batch/rows.hpp"
#include "portal/http/client.hpp"
#include "portal/http/observer.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::api {
class OutageWait;
}

namespace portal::batch {

// What one row came to, and the row's conversation with the portal as a wire sees it.
using RowResult = wire::Result;
using RowContext = wire::Exchange;

// What a subcommand plugs into the runner.
struct Operation {
  std::string name;    // names the idempotency scope and the journal ("eligibility")
  std::string schema;  // the record's schema in schemas/ ("eligibility")
  // The request of a row of one request, given the row's idempotency key (which the engine also
  // adds as a header). Optional: by default `method` `target` with the record as the JSON body.
  std::function<http::Request(const boost::json::object& record, const std::string& key)> request;
  // Whether a 2xx answer says the other side cannot answer now (an X12 AAA 42): the reason, and
  // the row is retried with backoff as after a 503. Optional.
  std::function<std::optional<std::string>(const http::Response&)> transient;
  // The least time between sending a request that timed out and sending it again (CAQH CORE:
  // 90 s, so the receiver has finished with the first); 0: the backoff alone decides.
  std::chrono::seconds resend_after_timeout{0};
  std::string method = "POST";
  std::string target;
  // Fills defaults before validation and hashing (e.g. today's service date). Optional.
  std::function<void(boost::json::object&)> prepare;
  // Turns a final answer of the portal (2xx or a 4xx that is not retried) into a result whose
  // answer lives in `storage` (the row's own memory). Optional: by default 2xx is ok and
  // anything else rejected with the portal's reason.
  std::function<RowResult(const http::Response&, boost::json::storage_ptr storage)> interpret;
  // `interpret` leaves a 2xx answer's `answer` as the body parsed: a JSON Lines result (and the
  // journal) may then carry the body's own text instead of serializing `answer` again.
  bool answer_verbatim = false;
  // Columns of the answer (dotted paths) that a CSV results file shows after the fixed ones.
  std::vector<std::string> result_columns;
  // Checks a row beyond its schema (files on disk, codes, dates that depend on each other) on
  // the reading thread, after validation; its problems make the row invalid. Optional.
  std::function<std::vector<FieldError>(const boost::json::object&)> check;
  // Does the row's work itself, in several requests sent through the context (which retries
  // each one), instead of one request to `target`. Optional.
  std::function<RowResult(RowContext&)> action;
};

struct RunOptions {
  std::size_t concurrency = 8;
  double rate = 0;  // requests per second across all connections; 0: unlimited
  int max_attempts = 5;
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{30'000};  // a longer Retry-After fails the row and stops
  bool dry_run = false;
  bool fail_fast = false;
  Shard shard;
  bool use_journal = true;  // false for a single record sent from flags
  bool resume = false;
  bool restart = false;
  std::filesystem::path journal;  // empty: default_journal_path()
  std::filesystem::path results;  // empty: results go to `results_out` in `results_format`
  bool results_csv = false;       // the format for results_out ("jsonl" otherwise)
  bool progress = false;          // draw a progress line on stderr (a terminal)
  bool quiet = false;             // no per-row messages on stderr
  std::string input_name;         // the batch file as given ("-" for stdin)
  std::string scope;              // the portal and profile; part of the journal's fingerprint
  // Hooks for unattended runs (not owned; null: none). `observer` is told of every exchange and
  // request (metrics, audit log); with `outage` (--wait) a Retry-After longer than max_delay
  // pauses every connection until the portal is back instead of stopping the run; `say` prints a
  // per-row message (default: a line on `err`).
  http::Observer* observer = nullptr;
  api::OutageWait* outage = nullptr;
  std::function<void(const std::string&)> say;
  // Records of a single command (from flags): each row's result is handed to `on_result` with the
  // row's index instead of becoming a results line. Optional.
  std::function<void(std::size_t index, RowResult result)> on_result;
  // The records were coerced, prepared and checked before the run (a single command refuses them
  // all before sending any): the runner does not do it again.
  bool prevalidated = false;
  // --fields: the result columns to keep, in this order (names of result_fields()); empty: all.
  // JSON Lines keep the chosen answer columns inside "answer".
  std::vector<std::string> fields;
};

// The columns of a result line as CSV results show them: line, ref, outcome, http_status, code,
// message, errors, then `answer_columns` (Operation::result_columns).
std::vector<std::string> result_fields(const std::vector<std::string>& answer_columns);

// Where the runner sends requests: a fresh client for each connection, and the session token.
struct Transport {
  std::function<Expected<std::unique_ptr<http::Client>>()> connect;
  std::string token;
  // After a 401: the session token to go on with (one another job of the same profile left in
  // the session cache, or a new login); nullopt when there is none, an error when getting one
  // failed. Optional.
  std::function<Expected<std::optional<std::string>>(const std::string& rejected)> renew;
};

struct Summary {
  std::size_t total = 0;  // rows of this shard
  std::size_t ok = 0, rejected = 0, invalid = 0, failed = 0;
  // Handed over and not answered yet (a file in a clearinghouse's outbox): journaled as
  // "pending", and --resume hands them to the wire again instead of taking them as done.
  std::size_t pending = 0;
  std::size_t resumed = 0;  // taken from the journal of an interrupted run
  std::size_t retried = 0;  // requests sent again after a retryable answer or fault
  std::size_t replayed = 0;
  std::chrono::duration<double> elapsed{};
  bool interrupted = false;
  bool stopped_early = false;  // --fail-fast, or a fatal answer
  std::optional<Error> fatal;  // why the run stopped before the end (auth, maintenance, ...)
  std::filesystem::path journal;
  std::string line() const;  // the one-line summary ("N pending" in it when there are some)
};

// The default reading of a final answer, the portal's JSON API's: 2xx is ok with the body as the
// answer; anything else is rejected with the portal's error code, message and field errors, and
// its error object as the answer.
RowResult interpret_answer(const http::Response& response, boost::json::storage_ptr storage = {});

// Set from a signal handler: the runner stops sending, saves the journal and returns.
std::atomic<bool>& stop_flag();

// Runs the batch. Errors (exit codes 2/3) are for problems found before anything was sent: an
// unreadable input, a journal that belongs to another batch, a bad results path.
Expected<Summary> run_batch(const Operation& op, RecordReader& reader, const Transport& transport,
                            const RunOptions& options, std::ostream& results_out,
                            std::ostream& err);

}  // namespace portal::batch
