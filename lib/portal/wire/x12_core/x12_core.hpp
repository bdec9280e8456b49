// X12 5010 over CAQH CORE Phase II connectivity (vC2.2.0) as a wire: each eligibility record is
// a 270, each claim inquiry a 276 and each case a 278 request for review (always in real time;
// docs/core.md, section 9.1), one interchange per record, sent in real time as a SOAP 1.2
// RealTimeTransaction (or the HTTP MIME multipart form) to the profile's CORE endpoint; the 271
// or 277 (or a 999/TA1 refusing the request) becomes the row's result in the portal's vocabulary
// (wire/x12/vocabulary.hpp). Authentication is the message's own: a WS-Security UsernameToken from
// the profile's email and password sources, or a TLS client certificate; no portal session.
//
// The row's TRN02 is derived from its idempotency key (the same in every run and resume), ISA13,
// GS06 and ST02 come from a store that never repeats them for the sender (x12/control_numbers),
// and a retried send is the same payload with the same PayloadID, as CORE asks. AAA 42 and 80 (the
// payer cannot answer now) are retried with backoff like a 503.
//
// In batch mode (the profile's core_mode batch; docs/core.md, "Batch mode") the rows of a run are
// gathered into interchanges of up to Options::sets_per_interchange sets, each written ahead into
// a spool under the state directory and recorded in the ledger (wire/x12/ledger.hpp, as x12-files
// publishes an outbox file), then sent with BatchSubmitTransaction when the run ends; the rows are
// pending. A later run (--resume) retrieves the submission's 999 and its 271/277 results by the
// submission's PayloadID, confirms their receipt, and reads each row's answer by its control
// numbers and TRN02 (wire/x12/inbox.hpp) with the vocabulary of real time. A spooled interchange
// is deleted only once the endpoint took it, and sent again under the same PayloadID and bytes
// after a kill, so the endpoint answers the resend idempotently and no row is sent twice.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "caqh/envelope.hpp"
#include "portal/wire/wire.hpp"
#include "portal/wire/x12/inbox.hpp"
#include "portal/wire/x12/ledger.hpp"
#include "portal/wire/x12/payers.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "x12/control_numbers.hpp"

namespace portal::wire::x12_core {

class X12Core final : public Wire {
 public:
  struct Options {
    // Batch mode: transaction sets per submitted interchange (the sandbox takes requests up to
    // 1 MiB; a 270 set in base64 is about 600 bytes).
    std::size_t sets_per_interchange = 1000;
  };
  explicit X12Core(Settings settings);
  X12Core(Settings settings, Options options);
  std::string_view name() const override;
  bool carries(Function f) const override;
  Expected<void> ready(Function f) const override;
  std::vector<FieldError> check(Function f, const boost::json::object& record) const override;
  bool one_request(Function f) const override;
  // Batch mode: writes the interchanges gathered into the spool and submits every spooled one
  // (what the engine calls at the end of a run). The first error of a run is returned again.
  Expected<void> flush() const;
  http::Request request(Function f, const boost::json::object& record, const Inputs& inputs,
                        std::string_view key) const override;
  std::optional<std::string> transient(Function f, const http::Response& answer) const override;
  Result result(Function f, const http::Response& answer,
                boost::json::storage_ptr storage) const override;
  bool answer_verbatim(Function f) const override;
  Result exchange(Function f, Exchange& exchange, const Inputs& inputs) const override;
  bool needs_session() const override { return false; }
  // CORE: an inquiry without an answer within the connection's 60 s may be sent again 90 s after
  // it was first sent (the profile's timeout, default 60 s, is the wait for an answer).
  std::chrono::seconds resend_after_timeout() const override { return std::chrono::seconds{90}; }
  std::string endpoint() const override;
  bool carries(Feed f) const override;
  http::Request page_request(Feed f, const PageQuery& query) const override;
  Expected<Page> read_page(Feed f, const http::Response& answer) const override;
  http::Request letter_request(std::string_view letter_id) const override;
  std::optional<http::Request> limits_request() const override;
  Expected<api::PortalLimits> read_limits(const http::Response& answer) const override;
  // An order as it stands: the case's own 278 again (same trace), which the payer answers from
  // the order it made (docs/core.md §9.1); there is no 278 inquiry (X215) yet.
  std::optional<http::Request> order_request(std::string_view order_id,
                                             const Exchange& row) const override;
  Result read_order(const http::Response& answer, const Exchange& row) const override;

 private:
  // The receiver (ISA08) of a record: its payer's own, else the profile's.
  std::string receiver_of(const boost::json::object& record) const;
  // The CORE real-time request carrying `payload` (the audit identifiers of `controls`, `trace`).
  http::Request core_request(std::string payload, std::string_view payload_type,
                             const std::string& receiver, const x12w::Controls& controls,
                             std::string_view trace) const;
  // The attachments of a case record that no 275 can carry (too large), by field.
  std::vector<FieldError> attachment_problems(const boost::json::object& record,
                                              const Inputs& inputs) const;
  // A case the payer took (`out`): its attachments sent as 275s, then its status asked again.
  Result with_attachments(Result out, Exchange& exchange, const Inputs& inputs) const;
  // A 999/TA1 in a CORE answer: a rejected (or failed) result, or one without outcome when the
  // acknowledgements accepted the request.
  Result acknowledgement_of(const http::Response& answer) const;
  // result() with the row's record at hand (a case's answer names its health plan and solution).
  Result read_result(Function f, const http::Response& answer, const boost::json::object& record,
                     boost::json::storage_ptr storage) const;
  // The payers file and the control number store, loaded once (ready() reports their errors).
  Expected<void> load() const;
  // The next interchange's control numbers, from blocks reserved in the store.
  Expected<x12w::Controls> next_controls() const;
  // The X12 payload of a CORE answer (SOAP or MIME), or the problem reading it.
  Expected<std::string> payload_of(const http::Response& answer) const;
  // The engine asks transient() and then result() of the same answer: transient() keeps the
  // payload it read for result() to take, so each envelope is parsed once. An answer is found
  // by its bytes (never by address alone), so a kept payload is only ever its own answer's.
  struct ReadAnswer {
    std::string body;
    std::string payload;
  };
  void keep_payload(const http::Response& answer, const std::string& payload) const;
  std::optional<std::string> take_payload(const http::Response& answer) const;

  // ---- batch mode (batch.cpp) ----
  // One interchange being gathered: to one receiver, of one function.
  struct Chunk {
    std::string payload_id, file, header, body, sent_at;
    std::uint32_t isa13 = 0, gs06 = 0, sets = 0;
    std::vector<x12w::SentSet> sent;
  };
  // What this run learnt of a submission's answers.
  struct Retrieved {
    std::optional<x12w::Inbox> answers;  // its 999 and results as retrieved (once they are)
    bool results = false;                // its results are in
    std::string problem;                 // why they could not be asked for, when so
  };
  Result batch_exchange(Function f, Exchange& exchange) const;
  // Opens the spool and the ledger, finishes what a killed run left and submits what it did not.
  // Under m_mutex.
  Expected<void> open_spool() const;
  Expected<Chunk> start_chunk(Function f, const std::string& receiver) const;
  tl::expected<x12w::SentSet, Result> stage(Function f, const boost::json::object& record,
                                            const std::string& trace) const;
  Expected<void> spool(Chunk& chunk) const;
  // Sends every interchange of the spool with BatchSubmitTransaction, deleting each the
  // endpoint took. Under m_mutex.
  Expected<void> submit_spooled() const;
  // The result of a row sent in an earlier run: its answer once retrieved, else pending.
  Result collect(Function f, const x12w::SentSet& sent, Exchange& exchange) const;
  // Asks the endpoint for the acknowledgement and results of submission `payload_id` (a batch
  // request through `exchange`); what came is kept under the answers directory.
  void retrieve(Function f, const std::string& payload_id, Exchange& exchange,
                Retrieved& into) const;
  // A CORE batch request (no payload) of `message` for `payload_id`.
  http::Request batch_request(caqh::Message message, std::string_view payload_type,
                              const std::string& payload_id, std::string payload = {}) const;
  std::optional<caqh::Credentials> credentials() const;

  Settings m_settings;
  Options m_options;
  bool m_batch = false;
  x12w::Parties m_parties;
  std::string m_url_path;  // the endpoint's path
  bool m_mime = false;
  mutable std::mutex m_mutex;
  mutable bool m_loaded = false;
  mutable std::optional<Error> m_load_error;
  mutable std::optional<x12w::Payers> m_payers;
  mutable std::optional<::x12::ControlNumbers> m_controls;
  mutable ::x12::ControlBlock m_block{};
  mutable std::uint32_t m_block_left = 0;
  mutable std::optional<std::string> m_password;
  mutable std::mutex m_read_mutex;
  mutable std::deque<ReadAnswer> m_read;  // newest last, at most k_kept_answers
  // batch mode
  mutable std::filesystem::path m_spool, m_answers;
  mutable bool m_spool_opened = false;
  mutable std::optional<Error> m_spool_error;
  mutable std::unique_ptr<x12w::Ledger> m_ledger;
  mutable std::map<std::pair<Function, std::string>, Chunk> m_chunks;
  mutable std::unordered_map<std::string, x12w::SentSet> m_gathered;
  mutable std::map<std::string, Retrieved> m_retrieved;  // by PayloadID
};

}  // namespace portal::wire::x12_core
