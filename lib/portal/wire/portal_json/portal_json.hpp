// The portal's own JSON REST API as a wire (the default): POST /v1/eligibility, POST
// /v1/claims/status, POST /v1/cases with the attachments uploaded to
// POST /v1/cases/{order_id}/documents when the portal asks for documents, PATCH /v1/profile,
// GET /v1/claims and GET /v1/orders page by page, GET /v1/letters/{id} and GET /v1/limits, as
// schemas/openapi.yaml describes. Its answers are the portal's vocabulary as they are.
#pragma once

#include "portal/wire/wire.hpp"

namespace portal::wire::portal_json {

class PortalJson final : public Wire {
 public:
  std::string_view name() const override;
  bool carries(Function f) const override;
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
  std::optional<http::Request> order_request(std::string_view order_id,
                                             const Exchange& row) const override;
  Result read_order(const http::Response& answer, const Exchange& row) const override;
  std::optional<http::Request> limits_request() const override;
  Expected<api::PortalLimits> read_limits(const http::Response& answer) const override;
};

// The portal's reading of a final answer: 2xx is ok with the body as the answer; anything else
// is rejected with the portal's error code, message and field errors, and its error object as
// the answer (parsed into `storage`).
Result read_answer(const http::Response& response, boost::json::storage_ptr storage = {});

}  // namespace portal::wire::portal_json
