// X12 5010 over CAQH CORE Phase II connectivity (vC2.2.0) as a wire: each eligibility record is
// a 270 and each claim inquiry a 276, one interchange per record, sent in real time as a SOAP 1.2
// RealTimeTransaction (or the HTTP MIME multipart form) to the profile's CORE endpoint; the 271
// or 277 (or a 999/TA1 refusing the request) becomes the row's result in the portal's vocabulary
// (wire/x12/vocabulary.hpp). Authentication is the message's own: a WS-Security UsernameToken from
// the profile's email and password sources, or a TLS client certificate; no portal session.
//
// The row's TRN02 is derived from its idempotency key (the same in every run and resume), ISA13,
// GS06 and ST02 come from a store that never repeats them for the sender (x12/control_numbers),
// and a retried send is the same payload with the same PayloadID, as CORE asks. AAA 42 and 80 (the
// payer cannot answer now) are retried with backoff like a 503.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "portal/wire/wire.hpp"
#include "portal/wire/x12/payers.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "x12/control_numbers.hpp"

namespace portal::wire::x12_core {

class X12Core final : public Wire {
 public:
  explicit X12Core(Settings settings);
  std::string_view name() const override;
  bool carries(Function f) const override;
  Expected<void> ready(Function f) const override;
  std::vector<FieldError> check(Function f, const boost::json::object& record) const override;
  bool one_request(Function f) const override;
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

 private:
  // The payers file and the control number store, loaded once (ready() reports their errors).
  Expected<void> load() const;
  // The next interchange's control numbers, from blocks reserved in the store.
  Expected<x12w::Controls> next_controls() const;
  // The X12 payload of a CORE answer (SOAP or MIME), or the problem reading it.
  Expected<std::string> payload_of(const http::Response& answer) const;

  Settings m_settings;
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
};

}  // namespace portal::wire::x12_core
