// The flags and the driver every batch subcommand shares: --batch FILE and its format, the
// runner's knobs, the journal and the results file (SPEC.md section 3, "Batch behaviour").
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "context.hpp"
#include "portal/api/prior_auth.hpp"
#include "portal/batch/runner.hpp"

namespace portal::cli {

struct BatchFlags {
  std::string file;    // --batch FILE ("-" for stdin)
  std::string format;  // --batch-format csv|yaml|jsonl (default: by extension)
  // Given as flags, or else the profile's (or PROVPORTAL_*'s), or else these defaults.
  std::size_t concurrency = 8;
  double rate = 0;
  int max_attempts = 5;
  const CLI::Option* concurrency_flag = nullptr;
  const CLI::Option* rate_flag = nullptr;
  const CLI::Option* max_attempts_flag = nullptr;
  bool dry_run = false;
  bool fail_fast = false;
  std::string shard;
  bool resume = false;
  bool restart = false;
  std::string journal;
  std::string results;
};

// The fields a record-taking subcommand prints (for --fields): `record_fields` for one record,
// the result lines' columns (batch::result_fields) for a batch.
std::vector<std::string> printed_fields(const BatchFlags& flags,
                                        const std::vector<std::string>& record_fields,
                                        const std::vector<std::string>& result_columns);

// Adds the batch flags to `cmd` in their own help group.
void add_batch_flags(CLI::App& cmd, BatchFlags& flags);

// True while a batch runs: the SIGINT handler then lets it stop cleanly.
std::atomic<bool>& batch_running();

// Reads, validates and sends the batch; prints the summary on stderr and sets ctx.exit_code.
Expected<void> run_batch_command(Context& ctx, const batch::Operation& op, const BatchFlags& flags);

// Sends one record (built from flags or a file) through the same validation, idempotency and
// retries as a batch row, and returns its result. `flags` (null: none) give --max-attempts and
// --rate, else the profile's.
Expected<batch::RowResult> run_single(Context& ctx, const batch::Operation& op,
                                      boost::json::object record,
                                      const BatchFlags* flags = nullptr);

// A single command's row that is not ok, as its error: "WHAT OUTCOME (code[, X12 AAA n]):
// message", the kind refused for a rejection, else unavailable, with the row's field errors.
Error single_row_error(const batch::RowResult& result, std::string_view what);

// A single command's pending row (handed over to a file exchange, its answer to come): says so
// on stderr and returns true; the command exits 0 then, as a batch with pending rows does.
bool report_pending(Context& ctx, const batch::RowResult& result);

// What the portal accepts for documents and free text (each solution's additional_info limit):
// the profile's cached limits while fresh (at any age on --dry-run), else asked over the wire
// and cached, else the cache however old, else the schemas' generic maximums; says on stderr
// when the limits are old or not the portal's.
api::PortalLimits portal_limits(Context& ctx, bool dry_run);

// What a case operation calls when the portal refuses additional_info the cached limits let
// through: the cache is dropped, so the next run asks again. Empty when there is no profile.
std::function<void()> forget_limits_when_refused(Context& ctx);

// The directory relative paths inside a batch file are read from: the file's own ("-": the
// current directory).
std::filesystem::path batch_base_dir(const std::string& batch_file);

// Sends records built from flags (several files to upload, say) the same way, in order, over
// one connection; ErrorKind::input naming each bad record by its label before any is sent.
Expected<std::vector<batch::RowResult>> run_records(Context& ctx, const batch::Operation& op,
                                                    std::vector<boost::json::object> records,
                                                    const std::vector<std::string>& labels,
                                                    const BatchFlags* flags = nullptr);

}  // namespace portal::cli
