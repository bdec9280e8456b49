// What the x12-files wire handed to a clearinghouse's drop, kept on the provider's side: each
// transaction set's trace number (TRN02) with the outbox file and control numbers it went in.
// A file drop has no Idempotency-Key: this ledger is what makes a row go out exactly once,
// across --resume, --restart, a lost journal or a kill -9 at any instant.
//
// The outbox file is written ahead of the rename that publishes it: its bytes go to a name the
// pickup ignores (".NAME.part", fsync-ed), the ledger commits its sets, and only then is it
// renamed to NAME (and the directory fsync-ed). So a set in the ledger is in a file that was
// published or will be: recover() renames a ".part" whose sets the ledger holds (a run killed
// between commit and rename) and removes one it does not (killed before the commit: its rows
// were never handed over and go out again). The steps hold an flock beside the database, so two
// runs sharing a ledger never take each other's ".part" for a leftover.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::wire::x12w {

// One transaction set written into an outbox file.
struct SentSet {
  std::string trace;    // TRN02 (x12w::trace_of of the row's idempotency key)
  std::string file;     // the outbox file's name (no directory)
  std::string isa13;    // its interchange control number, 9 digits
  std::string gs06;     // its group control number
  std::string st02;     // the set's control number, as written (at least 4 digits)
  std::string sent_at;  // when the file was made, ISO 8601 UTC
};

// The name a published outbox file has while it is written (the pickup ignores both the
// leading dot and the .part suffix).
std::string part_name(std::string_view name);

class Ledger {
 public:
  // Opens (creating) the ledger database `file` (SQLite, synchronous writes) and its lock file.
  static Expected<std::unique_ptr<Ledger>> open(const std::filesystem::path& file);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // The set sent for `trace` by `sender` (ISA06), if one was.
  std::optional<SentSet> find(std::string_view sender, std::string_view trace);

  // Publishes `bytes` as `outbox`/`name` holding `sets`, write-ahead as above. On an error
  // before the ledger's commit nothing counts as sent; after it the file is published by the
  // next recover() at the latest.
  Expected<void> publish(const std::filesystem::path& outbox, std::string_view sender,
                         const std::string& name, std::string_view bytes,
                         const std::vector<SentSet>& sets);

  // Finishes what a killed run of `sender` left in its outboxes and in `outbox` (see above);
  // only ".part" files whose names start with "." + `name_prefix` are its own.
  Expected<void> recover(std::string_view sender, const std::filesystem::path& outbox,
                         std::string_view name_prefix);

 private:
  struct Impl;
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace portal::wire::x12w
