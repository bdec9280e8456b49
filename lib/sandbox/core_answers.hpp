// The CAQH CORE endpoint's answers to a valid 270, 276 or 278 interchange: each inquiry or
// request becomes the body the JSON API takes, goes through the same rules
// (Portal::check_eligibility, ClaimStatus::claim_status, Orders::submit_case) and comes back as a
// 271, 277 or 278 response by the conventions of docs/core.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "portal/util/clock.hpp"
#include "sandbox/core_x12.hpp"
#include "sandbox/portal.hpp"
#include "x12/error.hpp"
#include "x12/transactions.hpp"

namespace portal::sandbox {

struct CoreAnswer {
  std::string payload;                // the 271 or 277 interchange
  std::vector<std::string> answered;  // the TRN02 of every inquiry answered finally
  // Problems of the typed reader (a set it could not hold), when no inquiry could be read.
  std::vector<x12::Error> problems;
  bool empty() const { return payload.empty(); }
};

// Answers every 270 inquiry of `payload` (one 271 set each). With `cannot_respond_now` (the
// core-42 fault) each is refused with AAA*N**42*R in 2000A instead and none counts as answered.
CoreAnswer answer_270(Portal& portal, std::string_view payload, const RequestInterchange& request,
                      ControlAllocator& numbers, bool cannot_respond_now);

// Answers every 276 inquiry of `payload` (one 277 set each) for the claims of `user_id`'s
// organisation.
CoreAnswer answer_276(Portal& portal, const std::string& user_id, std::string_view payload,
                      const RequestInterchange& request, ControlAllocator& numbers);

// Answers every 278 request for review of `payload` (one 278 response set each, core_reviews.cpp):
// each patient event is submitted as a case of `user_id` under the idempotency key
// "x12-278:<ISA06>:<TRN02>", so the same request sent again is answered from the same order.
CoreAnswer answer_278(Portal& portal, const std::string& user_id, std::string_view payload,
                      const RequestInterchange& request, ControlAllocator& numbers);

// Attaches each document of the 275s of `payload` (core_attachments.cpp) to the order of
// `user_id`'s organisation its TRN02 names (a control number a 278's PWK06 announced), through
// Orders::upload_document; the findings a 999 answers with (none: every document attached or
// already on the order).
std::vector<x12::Error> attach_275(Portal& portal, const std::string& user_id,
                                   std::string_view payload);

// Keeps the attachment control numbers (PWK06) of a 278 `request` with the order its
// `response` names (HCR02), so the 275s that carry the documents find it; nothing when the
// request made no order.
void remember_attachment_controls(Portal& portal, const std::string& user_id,
                                  const x12::ServiceReview& request,
                                  const x12::ServiceReview& response);

// The STC01 (category, status code, entity) the sandbox gives a claim status category.
struct StatusCode {
  std::string category, status, entity;
};
StatusCode status_code_of(std::string_view category);

}  // namespace portal::sandbox
