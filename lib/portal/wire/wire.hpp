// A wire is how the portal's functions travel: the portal's own JSON API, X12 5010 over CAQH
// CORE, X12 files through a clearinghouse's SFTP drop, later HL7 FHIR. The operations
// (portal/ops/) say what a record is and how it is checked; the wire turns one record into
// requests on its transport and the answers into a Result in the portal's vocabulary (the field
// names of the JSON API's answers, which the results files and outputs show whatever the wire).
// The batch engine sends what the wire builds, with its sessions, rate, retries and journal.
//
// A new wire is new files under wire/ (its folder, and one line in registry.cpp): nothing in
// batch/, ops/ or cmd/ changes. See ARCHITECTURE.md, "Adding a wire".
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>

#include "portal/api/prior_auth.hpp"
#include "portal/http/client.hpp"
#include "portal/util/error.hpp"

namespace portal::wire {

// The portal's functions that take one record each (a row of a batch, or one from flags).
enum class Function {
  eligibility,      // schemas/eligibility.schema.json → active/inactive, plan, benefits
  claim_inquiry,    // schemas/claim_status.schema.json → the claims found and their status
  case_submission,  // schemas/case.schema.json → an order (and its attachments uploaded)
  document,         // schemas/document.schema.json → a document added to an order
  profile_change,   // schemas/profile.schema.json → the account's profile as changed
  case_update,      // schemas/case_update.schema.json → the order as revised
  case_cancel,      // schemas/case_cancel.schema.json → the order, cancelled
};

// The portal's lists, read page by page (a pull, not a record per row).
enum class Feed {
  claims,       // the organisation's claims, those changed since a time (claim-status's feed)
  orders,       // the organisation's prior authorization orders (search-orders)
  remittances,  // the organisation's remittance advice (835s), those issued since a time
};

// The name of a function as the operations and messages say it ("eligibility", ...).
std::string_view function_name(Function f);
// The name of a feed as messages say it ("claims feed", "order search").
std::string_view feed_name(Feed f);

// One page's question: the filters by the portal's names (empty values are left out), the page
// size (0: the portal's default) and the token of the page (empty: the first).
struct PageQuery {
  std::vector<std::pair<std::string, std::string>> filters;
  std::size_t page_size = 0;
  std::string page_token;
};

// One page of a feed: its items in the portal's vocabulary (claims, orders), the next page's
// token (empty: this is the last page), and the whole answer (as_of and the other fields a pull's
// watermark reads).
struct Page {
  boost::json::array items;
  std::string next_page_token;
  boost::json::object answer;
};

// A file a record names: `path` as given, or under `base_dir` when relative.
std::filesystem::path resolve_path(const std::string& path, const std::filesystem::path& base_dir);

// What one record came to. "ok": the portal accepted it; "rejected": the portal answered with a
// final refusal (its reason is in code/message); "invalid": the record cannot be used and was
// not sent (or not all of it); "failed": no final answer after every retry (safe to send again
// with --resume); "pending": handed over and not answered yet (a file in a clearinghouse's
// outbox: --resume hands the record to the wire again, which reads its answer when it is in and
// never sends it twice); empty: the run is stopping and the record stays unfinished.
struct Result {
  std::string outcome;
  int http_status = 0;
  std::string code;
  std::string message;
  std::vector<FieldError> errors;
  boost::json::object answer;  // in the portal's vocabulary
  bool replayed = false;       // the portal had this idempotency key and replayed its answer
};

// One record's conversation with the portal, as the batch engine offers it to a wire: the
// record, its idempotency key, and a way to send requests with the engine's guarantees
// (session, rate, retries with backoff on 429/5xx/connection faults, Retry-After, a 401 or a
// long Retry-After stopping the run).
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const boost::json::object& record() const = 0;
  // The record's idempotency key; each request of the record derives its own (key() + ":case").
  virtual const std::string& key() const = 0;
  virtual std::size_t line() const = 0;
  // Sends `request` (the session is added) until it gets a final answer: 2xx, or a 4xx that is
  // not retried. nullopt when there is none (attempts used up, or the run is stopping): the
  // exchange then returns unanswered().
  virtual std::optional<http::Response> send(http::Request request) = 0;
  // The same with the content of `file` streamed as the body (http::Client::send_file).
  virtual std::optional<http::Response> send_file(http::Request request,
                                                  const std::filesystem::path& file,
                                                  std::string content_type) = 0;
  // The result of a record whose last send() had no final answer: "failed" with the reason
  // (safe to send again with --resume), or no outcome at all when the run is stopping.
  virtual Result unanswered() const = 0;
  // Asks for `finish` to run once when the run has handed over its last record, before the
  // journal and the results are committed for the last time: a wire that hands records over in
  // bulk (x12-files writes a run's inquiries into outbox files) writes out the rest there. Each
  // `owner` is finished once however many records ask; its error stops the run like a fatal
  // answer. Outside a batch run (this default) `finish` runs at once.
  virtual Expected<void> at_run_end(const void* owner, std::function<Expected<void>()> finish) {
    (void)owner;
    return finish();
  }
};

// What an operation hands the wire beside the record.
struct Inputs {
  std::filesystem::path base_dir;  // relative attachment paths are under it (the batch's folder)
  std::string changed_since;       // claim inquiries: only claims changed since (RFC 3339)
};

class Wire {
 public:
  virtual ~Wire() = default;
  // The name a profile's `wire` key gives ("portal-json").
  virtual std::string_view name() const = 0;
  // The least time between a request that timed out and sending it again (CAQH CORE: 90 s);
  // 0: the engine's backoff alone decides.
  virtual std::chrono::seconds resend_after_timeout() const { return std::chrono::seconds{0}; }
  // Whether the wire's requests need the portal's session (a login): the portal's JSON API does;
  // an X12 wire authenticates each message itself (a certificate, a WS-Security token).
  virtual bool needs_session() const { return true; }
  // The URL the wire's requests go to when it is not the profile's base_url (a CORE endpoint),
  // else "".
  virtual std::string endpoint() const { return {}; }
  // Whether the wire talks to a server at all: a file exchange (x12-files) does not, so it needs
  // no base_url, CA file or connection.
  virtual bool uses_network() const { return true; }
  // Whether the wire carries `f`; an operation over a wire that does not is a usage error.
  virtual bool carries(Function f) const = 0;
  // Whether the wire has what it needs to carry `f` (an X12 wire: its sender ID, its payers
  // file): a usage error naming the profile key to set, checked before any row is read.
  virtual Expected<void> ready(Function f) const {
    (void)f;
    return {};
  }
  // A record's problems that only this wire has (X12 needs fields the JSON API does not): the
  // row is then invalid and nothing is sent. Checked on the reading thread after the schema.
  virtual std::vector<FieldError> check(Function f, const boost::json::object& record) const {
    (void)f;
    (void)record;
    return {};
  }
  // Whether a record of `f` is one request and its answer: the engine then sends request() on
  // its lanes and reads the answer with result(). Otherwise it runs exchange().
  virtual bool one_request(Function f) const = 0;
  // The request of a record of a one-request function. `key` is the record's idempotency key,
  // the same for the row in every run (the engine adds it as a header; a wire whose protocol has
  // no such header ties the request to it otherwise, e.g. an X12 trace number).
  virtual http::Request request(Function f, const boost::json::object& record, const Inputs& inputs,
                                std::string_view key) const = 0;
  // Whether a final answer (2xx) to request() says the other side cannot answer now (X12 AAA 42:
  // the payer's system is down): the engine then retries the row with backoff as it would a 503.
  // The reason in words, or nullopt for an answer to keep.
  virtual std::optional<std::string> transient(Function f, const http::Response& answer) const {
    (void)f;
    (void)answer;
    return std::nullopt;
  }
  // The final answer of a one-request function (2xx, or a 4xx the engine does not retry) as a
  // Result whose answer lives in `storage` (the row's own memory).
  virtual Result result(Function f, const http::Response& answer,
                        boost::json::storage_ptr storage) const = 0;
  // Whether result() leaves a 2xx answer as the body parsed, so a JSON Lines result may carry
  // the body's own text.
  virtual bool answer_verbatim(Function f) const = 0;
  // The whole conversation of one record of a function of several requests.
  virtual Result exchange(Function f, Exchange& exchange, const Inputs& inputs) const = 0;

  // Whether the wire carries the feed `f`; pulling one it does not is a usage error.
  virtual bool carries(Feed f) const = 0;
  // The request of one page (the sender adds the session).
  virtual http::Request page_request(Feed f, const PageQuery& query) const = 0;
  // The page in a 2xx answer to page_request(); ErrorKind::unavailable when it cannot be read.
  virtual Expected<Page> read_page(Feed f, const http::Response& answer) const = 0;
  // The request of an order's letter (the answer's body is the PDF).
  virtual http::Request letter_request(std::string_view letter_id) const = 0;
  // The request that reads one order as it stands now (its answer read with read_order), or
  // nullopt when the wire cannot ask (a decision is then not waited for). `row` is the case
  // that made the order (its record and key), for wires that ask by the request itself.
  virtual std::optional<http::Request> order_request(std::string_view order_id,
                                                     const Exchange& row) const {
    (void)order_id;
    (void)row;
    return std::nullopt;
  }
  // The order in an answer to order_request(): ok with the order, or rejected.
  virtual Result read_order(const http::Response& answer, const Exchange& row) const {
    (void)answer;
    (void)row;
    return {.outcome = "rejected", .message = "this wire cannot read an order"};
  }

  // The request that asks the portal what it accepts (each solution's additional_info limit,
  // document sizes and types; no session needed), or nullopt when this wire has no way to learn
  // it: records are then checked against the schemas' generic maximums alone.
  virtual std::optional<http::Request> limits_request() const = 0;
  // The limits in a 2xx answer to limits_request(); ErrorKind::unavailable when unreadable.
  virtual Expected<api::PortalLimits> read_limits(const http::Response& answer) const = 0;
};

// The usage error of asking `wire` for `what` ("eligibility requests", "the claims feed") that
// it does not carry.
Error not_carried(const Wire& wire, std::string_view what);

// What a profile says of its wire beyond its name: the X12 wires' endpoint, parties and places
// (portal/config/config.hpp, Profile). The portal's JSON API needs none of it.
struct Settings {
  std::string base_url;         // the profile's portal
  std::string endpoint;         // x12-core: the CORE endpoint's URL ("": base_url + /core/soap)
  std::string core_form;        // x12-core: "soap" (default) or "mime"
  std::string core_mode;        // x12-core: "realtime" (default) or "batch"
  std::string sender_id;        // ISA06, GS02, CORE SenderID
  std::string receiver_id;      // ISA08, GS03, CORE ReceiverID (a payer's own when it names one)
  std::string usage_indicator;  // ISA15: "T" (default) or "P"
  std::string payers_file;      // the health_plan → payer ID crosswalk
  std::filesystem::path state_dir;  // control numbers are kept under it
  std::string username;             // WS-Security UsernameToken: the profile's email
  // The password, read from the profile's secret sources when first needed (never a flag).
  std::function<Expected<std::string>()> password;
  std::string outbox, inbox;  // x12-files: the clearinghouse drop's directories
  // A connection of the wire's own to its endpoint, for what it sends outside a record's
  // exchange (x12-core in batch mode submits a run's interchanges when the run ends).
  std::function<Expected<std::unique_ptr<http::Client>>()> connect;
};

// The wire of `name`; ErrorKind::usage naming the wires there are when there is none.
Expected<std::shared_ptr<const Wire>> make(std::string_view name, const Settings& settings = {});
// The names of every wire, the default first.
std::vector<std::string> names();
// The default wire: the portal's JSON API.
inline constexpr std::string_view k_default = "portal-json";

}  // namespace portal::wire
