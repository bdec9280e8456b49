#include "portal/wire/portal_json/portal_json.hpp"

#include <boost/json.hpp>

#include "portal/api/portal_api.hpp"
#include "portal/records/content_type.hpp"
#include "portal/util/crypto.hpp"

namespace portal::wire::portal_json {

namespace json = boost::json;
namespace fs = std::filesystem;
using api::url_encode;

namespace {

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A reject_reason object's code and message as the result's (eligibility, claim inquiries).
void read_reject_reason(Result& result) {
  const auto* reason = result.answer.if_contains("reject_reason");
  if (!reason || !reason->is_object()) return;
  if (auto code = text(reason->get_object(), "code"); !code.empty()) result.code = std::move(code);
  if (auto m = text(reason->get_object(), "message"); !m.empty()) result.message = std::move(m);
}

// The reasons of a case_rejected answer as field errors, and one line naming them all.
void read_reasons(Result& result) {
  const auto* reasons = result.answer.if_contains("reasons");
  if (!reasons || !reasons->is_array()) return;
  std::string all;
  for (const auto& r : reasons->get_array()) {
    if (!r.is_object()) continue;
    const auto& o = r.get_object();
    std::string line = text(o, "code") + ": " + text(o, "message");
    if (auto existing = text(o, "existing_order_id");
        !existing.empty() && line.find(existing) == std::string::npos) {
      line += " (order " + existing + ")";
    }
    std::string field = text(o, "field");
    result.errors.push_back({field.empty() ? std::string("case") : field, line});
    all += (all.empty() ? "" : "; ") + line;
  }
  if (!all.empty()) result.message = "the portal rejected the case: " + all;
}

// Streams one file to an order under the row's key. nullopt when there is no final answer
// (ctx.unanswered() says why); `local_problem` is set when the file could not be read here.
std::optional<http::Response> upload(Exchange& ctx, const std::string& order_id,
                                     const fs::path& file, const std::string& document_type,
                                     const std::string& description, std::string& local_problem) {
  auto sha = records::sha256_of_file(file);
  if (!sha) {
    local_problem = sha.error().message;
    return std::nullopt;
  }
  auto type = records::content_type_of_file(file);
  if (!type) {
    local_problem = type.error().message;
    return std::nullopt;
  }
  http::Request req;
  req.method = "POST";
  // Only the file's own name travels: never the directories above it.
  req.target = "/v1/cases/" + url_encode(order_id) +
               "/documents?document_type=" + url_encode(document_type) +
               (description.empty() ? std::string() : "&description=" + url_encode(description)) +
               "&filename=" + url_encode(file.filename().string());
  // One key per (row, content), within the portal's 128 characters.
  req.headers = {{"X-Content-SHA256", *sha},
                 {"Idempotency-Key", sha256_hex(ctx.key() + ":doc:" + *sha)}};
  return ctx.send_file(std::move(req), file, *type);
}

Result case_exchange(Exchange& ctx, const fs::path& base_dir) {
  json::object body = ctx.record();
  body.erase("ref");
  body.erase("attachments");
  http::Request req;
  req.method = "POST";
  req.target = "/v1/cases";
  req.body = json::serialize(body);
  req.headers = {{"Idempotency-Key", ctx.key() + ":case"}};
  auto answer = ctx.send(std::move(req));
  if (!answer) return ctx.unanswered();
  Result result = read_answer(*answer);
  result.replayed = answer->header("idempotent-replayed") == "true";
  if (result.outcome != "ok") {
    read_reasons(result);
    return result;
  }
  std::string order_id = text(result.answer, "order_id");
  std::int64_t uploaded = 0;
  const auto* attachments = ctx.record().if_contains("attachments");
  // Attachments go whatever the status: an order approved or pended at once keeps them on file
  // too (they are never dropped); those the portal asks for take its document types.
  if (attachments && attachments->is_array() && !attachments->get_array().empty()) {
    json::array required;
    if (const auto* r = result.answer.if_contains("documents_required"); r && r->is_array()) {
      required = r->get_array();
    }
    const auto& files = attachments->get_array();
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::string type = "other", description;
      if (i < required.size() && required[i].is_object()) {
        type = text(required[i].get_object(), "document_type");
        description = text(required[i].get_object(), "description");
      }
      std::string local_problem;
      fs::path file = resolve_path(std::string(files[i].get_string()), base_dir);
      auto sent = upload(ctx, order_id, file, type, description, local_problem);
      std::string field = "attachments[" + std::to_string(i) + "]";
      if (!local_problem.empty()) {
        Result r;
        r.outcome = "invalid";
        r.message = "order " + order_id + " was created, but " + field + " " + local_problem;
        r.errors.push_back({field, local_problem});
        r.answer = result.answer;
        return r;
      }
      if (!sent) {
        auto r = ctx.unanswered();
        if (!r.outcome.empty())
          r.message = "order " + order_id + " was created; uploading " + field + ": " + r.message;
        r.answer = result.answer;
        return r;
      }
      if (sent->status < 200 || sent->status >= 300) {
        auto refused = read_answer(*sent);
        refused.message = "order " + order_id + " was created, but the portal refused " + field +
                          ": " + refused.message;
        refused.errors.insert(refused.errors.begin(), FieldError{field, refused.code});
        refused.answer = result.answer;
        refused.answer["documents_uploaded"] = uploaded;
        return refused;
      }
      ++uploaded;
    }
    http::Request reread;
    reread.method = "GET";
    reread.target = "/v1/cases/" + url_encode(order_id);
    auto now = ctx.send(std::move(reread));
    if (!now) {
      auto r = ctx.unanswered();
      r.answer = result.answer;
      return r;
    }
    if (now->status >= 200 && now->status < 300) {
      auto fresh = read_answer(*now);
      if (!fresh.answer.empty()) result.answer = std::move(fresh.answer);
    }
  }
  result.answer["documents_uploaded"] = uploaded;
  return result;
}

Result document_exchange(Exchange& ctx, const fs::path& base_dir) {
  const auto& record = ctx.record();
  std::string local_problem;
  fs::path file = resolve_path(text(record, "file"), base_dir);
  auto sent = upload(ctx, text(record, "order_id"), file, text(record, "document_type"),
                     text(record, "description"), local_problem);
  if (!local_problem.empty()) {
    Result r;
    r.outcome = "invalid";
    r.message = "file " + local_problem;
    r.errors.push_back({"file", local_problem});
    return r;
  }
  if (!sent) return ctx.unanswered();
  auto result = read_answer(*sent);
  result.replayed = sent->header("idempotent-replayed") == "true";
  if (sent->status == 200) result.message = "the order already held this document";
  if (result.code == "not_found") {
    result.message = "no order " + text(record, "order_id") + " for your organisation";
  }
  return result;
}

// A revision or a cancellation of an order: the record without ref and order_id is the body,
// sent under the row's key.
Result change_exchange(Exchange& ctx, Function f) {
  json::object body = ctx.record();
  std::string order_id = text(body, "order_id");
  body.erase("ref");
  body.erase("order_id");
  // What the X12 wires' 278 names and the portal reads off the order itself.
  for (const char* x12_only :
       {"health_plan", "member_id", "first_name", "last_name", "date_of_birth", "ordering_npi"})
    body.erase(x12_only);
  bool cancel = f == Function::case_cancel;
  http::Request req;
  req.method = "POST";
  req.target = "/v1/cases/" + url_encode(order_id) + (cancel ? "/cancellation" : "/revisions");
  req.body = json::serialize(body);
  req.headers = {{"Idempotency-Key", ctx.key() + (cancel ? ":cancel" : ":revision")}};
  auto answer = ctx.send(std::move(req));
  if (!answer) return ctx.unanswered();
  Result result = read_answer(*answer);
  result.replayed = answer->header("idempotent-replayed") == "true";
  if (result.outcome != "ok") {
    read_reasons(result);
    if (result.code == "not_found")
      result.message = "no order " + order_id + " for your organisation";
  }
  return result;
}

// The columns a results file shows for the claims an inquiry found.
void summarize(json::object& answer) {
  json::array numbers, categories, statuses;
  std::size_t count = 0;
  if (const auto* claims = answer.if_contains("claims"); claims && claims->is_array()) {
    for (const auto& c : claims->get_array()) {
      if (!c.is_object()) continue;
      ++count;
      numbers.push_back(json::string(text(c.get_object(), "claim_number")));
      categories.push_back(json::string(text(c.get_object(), "status_category")));
      statuses.push_back(json::string(text(c.get_object(), "status")));
    }
  }
  answer["claim_count"] = count;
  answer["claim_numbers"] = std::move(numbers);
  answer["status_categories"] = std::move(categories);
  answer["statuses"] = std::move(statuses);
}

Result inquiry_exchange(Exchange& ctx, const std::string& changed_since) {
  json::object body = ctx.record();
  if (!changed_since.empty()) body["changed_since"] = changed_since;
  http::Request req;
  req.method = "POST";
  req.target = "/v1/claims/status";
  req.body = json::serialize(body);
  auto answer = ctx.send(std::move(req));
  if (!answer) return ctx.unanswered();
  Result result = read_answer(*answer);
  if (result.outcome == "ok") {
    summarize(result.answer);
    return result;
  }
  read_reject_reason(result);
  return result;
}

}  // namespace

Result read_answer(const http::Response& r, json::storage_ptr storage) {
  Result out{.answer = json::object(storage)};
  out.http_status = r.status;
  json::error_code ec;
  auto body = json::parse(r.body, ec, std::move(storage));
  if (r.status >= 200 && r.status < 300) {
    out.outcome = "ok";
    if (!ec && body.is_object()) out.answer = std::move(body.get_object());
    return out;
  }
  Error e = api::map_error(r);
  out.outcome = "rejected";
  out.code = e.code;
  out.message = e.message;
  out.errors = e.fields;
  if (!ec && body.is_object()) {
    if (auto* err = body.get_object().if_contains("error"); err && err->is_object()) {
      out.answer = err->get_object();
    }
  }
  return out;
}

std::string_view PortalJson::name() const { return k_default; }

bool PortalJson::carries(Function) const { return true; }

bool PortalJson::one_request(Function f) const {
  return f == Function::eligibility || f == Function::profile_change;
}

http::Request PortalJson::request(Function f, const json::object& record, const Inputs&,
                                  std::string_view) const {
  http::Request request;
  request.method = f == Function::profile_change ? "PATCH" : "POST";
  request.target = f == Function::eligibility      ? "/v1/eligibility"
                   : f == Function::profile_change ? "/v1/profile"
                                                   : "/v1/claims/status";
  request.body = json::serialize(record);
  return request;
}

Result PortalJson::result(Function, const http::Response& answer, json::storage_ptr storage) const {
  auto result = read_answer(answer, std::move(storage));
  read_reject_reason(result);
  return result;
}

bool PortalJson::answer_verbatim(Function f) const {
  return f == Function::eligibility;  // result() only reads the answer
}

Result PortalJson::exchange(Function f, Exchange& exchange, const Inputs& inputs) const {
  switch (f) {
    case Function::case_submission:
      return case_exchange(exchange, inputs.base_dir);
    case Function::document:
      return document_exchange(exchange, inputs.base_dir);
    case Function::claim_inquiry:
      return inquiry_exchange(exchange, inputs.changed_since);
    case Function::case_update:
    case Function::case_cancel:
      return change_exchange(exchange, f);
    case Function::eligibility:
    case Function::profile_change:
      break;
  }
  // One request: sent and read here as the engine would.
  auto answer = exchange.send(request(f, exchange.record(), inputs, exchange.key()));
  if (!answer) return exchange.unanswered();
  return result(f, *answer, {});
}

bool PortalJson::carries(Feed) const { return true; }

http::Request PortalJson::page_request(Feed f, const PageQuery& q) const {
  std::string query;
  auto add = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + url_encode(value);
  };
  for (const auto& [name, value] : q.filters) add(name, value);
  if (q.page_size) add("page_size", std::to_string(q.page_size));
  add("page_token", q.page_token);
  http::Request request;
  request.method = "GET";
  request.target = std::string(f == Feed::claims        ? "/v1/claims"
                               : f == Feed::remittances ? "/v1/remittances"
                                                        : "/v1/orders") +
                   query;
  return request;
}

Expected<Page> PortalJson::read_page(Feed f, const http::Response& answer) const {
  json::error_code ec;
  auto body = json::parse(answer.body, ec);
  if (ec || !body.is_object()) {
    return fail(ErrorKind::unavailable, "the portal sent a page of its " +
                                            std::string(feed_name(f)) +
                                            " that is not a JSON object");
  }
  Page page;
  page.answer = std::move(body.get_object());
  const char* list = f == Feed::claims ? "claims" : f == Feed::remittances ? "items" : "orders";
  if (auto* items = page.answer.if_contains(list); items && items->is_array()) {
    page.items = std::move(items->get_array());
    items->emplace_array();
  }
  page.next_page_token = text(page.answer, "next_page_token");
  return page;
}

http::Request PortalJson::letter_request(std::string_view letter_id) const {
  http::Request request;
  request.method = "GET";
  request.target = "/v1/letters/" + url_encode(letter_id);
  request.headers = {{"Accept", "application/pdf"}};
  return request;
}

std::optional<http::Request> PortalJson::order_request(std::string_view order_id,
                                                       const Exchange&) const {
  http::Request request;
  request.method = "GET";
  request.target = "/v1/cases/" + url_encode(order_id);
  return request;
}

Result PortalJson::read_order(const http::Response& answer, const Exchange&) const {
  return read_answer(answer);
}

std::optional<http::Request> PortalJson::limits_request() const {
  http::Request request;
  request.method = "GET";
  request.target = "/v1/limits";
  return request;
}

Expected<api::PortalLimits> PortalJson::read_limits(const http::Response& answer) const {
  json::error_code ec;
  auto body = json::parse(answer.body, ec);
  if (ec || !body.is_object()) {
    return fail(ErrorKind::unavailable,
                "the portal's limits (GET /v1/limits) are not a JSON object");
  }
  return api::parse_limits(body.get_object());
}

}  // namespace portal::wire::portal_json
