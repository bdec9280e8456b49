// X12 5010 through a clearinghouse's SFTP drop as a wire: provportal never speaks SFTP; the user
// syncs two directories with the drop (sftp, rclone, the clearinghouse's agent), and this wire
// writes inquiries into one and reads answers from the other (docs/core.md, "File exchange").
//
// First run: each eligibility record becomes a 270 set, each claim inquiry a 276 set, gathered
// into one interchange per outbox file (up to Options::sets_per_file sets; the rest of a run goes
// when the engine finishes it, wire::Exchange::at_run_end), named
// <sender>_<ISA13>_<YYYYMMDDHHMMSS>.x12, published atomically through the Ledger; the row is
// "pending" with its trace and control numbers. Later runs (--resume) find the row in the ledger
// and look in the inbox (Inbox): a TA1 rejecting its interchange or a 999 rejecting its set (by
// GS06 and ST02) makes it rejected naming the IK3/IK4 segment and element; a 271/277 carrying its
// TRN02 gives its result in the portal's vocabulary; otherwise it stays pending. A row is never
// written to the outbox twice: the ledger is asked before anything is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "portal/wire/wire.hpp"
#include "portal/wire/x12/inbox.hpp"
#include "portal/wire/x12/ledger.hpp"
#include "portal/wire/x12/payers.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "x12/control_numbers.hpp"

namespace portal::wire::x12_files {

using x12w::Inbox;
using x12w::Ledger;
using x12w::SentSet;

class X12Files final : public Wire {
 public:
  struct Options {
    std::size_t sets_per_file = 5000;  // transaction sets per outbox file (one interchange)
  };
  explicit X12Files(Settings settings);
  X12Files(Settings settings, Options options);
  std::string_view name() const override;
  bool needs_session() const override { return false; }
  bool uses_network() const override { return false; }
  bool carries(Function f) const override;
  Expected<void> ready(Function f) const override;
  std::vector<FieldError> check(Function f, const boost::json::object& record) const override;
  bool one_request(Function f) const override;
  http::Request request(Function f, const boost::json::object& record, const Inputs& inputs,
                        std::string_view key) const override;
  Result result(Function f, const http::Response& answer,
                boost::json::storage_ptr storage) const override;
  bool answer_verbatim(Function f) const override;
  Result exchange(Function f, Exchange& exchange, const Inputs& inputs) const override;
  bool carries(Feed f) const override;
  http::Request page_request(Feed f, const PageQuery& query) const override;
  Expected<Page> read_page(Feed f, const http::Response& answer) const override;
  http::Request letter_request(std::string_view letter_id) const override;
  std::optional<http::Request> limits_request() const override;
  Expected<api::PortalLimits> read_limits(const http::Response& answer) const override;

  // Writes out the sets gathered and not yet in a file (what the engine calls at the end of a
  // run). The first error of a run is kept and returned again.
  Expected<void> flush() const;

 private:
  // One outbox file being gathered: an interchange to one receiver.
  struct Chunk {
    std::string name;    // the file's name
    std::string header;  // ISA and GS
    std::string body;    // the ST..SE sets
    std::uint32_t isa13 = 0, gs06 = 0, sets = 0;
    std::string sent_at;
    std::vector<SentSet> sent;
  };
  Expected<void> load() const;
  Expected<void> open_state() const;
  // Makes the drop's directories and finishes what a killed run left (Ledger::recover), before
  // the first row of a run goes. Under m_mutex.
  Expected<void> open_drop() const;
  // A new chunk to `receiver` for `f`, with its control numbers. Under m_mutex.
  Expected<Chunk> start_chunk(Function f, const std::string& receiver) const;
  // Writes `chunk` out through the ledger and forgets it. Under m_mutex.
  Expected<void> publish(Chunk& chunk) const;
  // Adds the record's set to its receiver's chunk (written out when full): what was sent, or
  // the row's result when it cannot go (invalid: the record's problems). Under m_mutex.
  tl::expected<SentSet, Result> stage(Function f, const boost::json::object& record,
                                      const std::string& trace) const;
  // What the inbox says of a set sent earlier: its result, or pending.
  Result collect(Function f, const SentSet& sent, const boost::json::object& record) const;
  const Inbox& inbox() const;

  Settings m_settings;
  Options m_options;
  x12w::Parties m_parties;
  mutable std::filesystem::path m_outbox, m_inbox;  // absolute, set by load()
  mutable std::mutex m_mutex;
  mutable bool m_loaded = false;
  mutable std::optional<Error> m_load_error;
  mutable bool m_drop_opened = false;
  mutable std::optional<Error> m_write_error;  // a file that could not be written this run
  mutable std::optional<x12w::Payers> m_payers;
  mutable std::optional<::x12::ControlNumbers> m_controls;
  mutable std::unique_ptr<Ledger> m_ledger;
  mutable std::map<std::pair<Function, std::string>, Chunk> m_chunks;  // by function, receiver
  mutable std::unordered_map<std::string, SentSet> m_gathered;  // sets of chunks not yet written
  mutable std::optional<Inbox> m_inbox_index;
};

}  // namespace portal::wire::x12_files
