#include "portal/api/prior_auth.hpp"

#include <boost/json.hpp>

#include "portal/api/portal_api.hpp"
#include "portal/records/codes.hpp"
#include "portal/records/content_type.hpp"
#include "portal/util/crypto.hpp"

namespace portal::api {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Characters (code points) of UTF-8 text, as JSON Schema's maxLength counts them.
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void check_file(const std::string& field, const std::string& path, const fs::path& base_dir,
                const PortalLimits& limits, std::vector<FieldError>& problems) {
  auto checked = records::check_document_file(
      resolve_path(path, base_dir), limits.document_max_bytes, limits.document_content_types);
  if (!checked) problems.push_back({field, checked.error().message});
}

// The reasons of a case_rejected answer as field errors, and one line naming them all.
void read_reasons(batch::RowResult& result) {
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
std::optional<http::Response> upload(batch::RowContext& ctx, const std::string& order_id,
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

batch::RowResult case_action(batch::RowContext& ctx, const fs::path& base_dir) {
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
  batch::RowResult result = batch::interpret_answer(*answer);
  result.replayed = answer->header("idempotent-replayed") == "true";
  if (result.outcome != "ok") {
    read_reasons(result);
    return result;
  }
  std::string order_id = text(result.answer, "order_id");
  std::int64_t uploaded = 0;
  const auto* attachments = ctx.record().if_contains("attachments");
  if (text(result.answer, "status") == "needs-documents" && attachments &&
      attachments->is_array() && !attachments->get_array().empty()) {
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
        batch::RowResult r;
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
        auto refused = batch::interpret_answer(*sent);
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
      auto fresh = batch::interpret_answer(*now);
      if (!fresh.answer.empty()) result.answer = std::move(fresh.answer);
    }
  }
  result.answer["documents_uploaded"] = uploaded;
  return result;
}

batch::RowResult document_action(batch::RowContext& ctx, const fs::path& base_dir) {
  const auto& record = ctx.record();
  std::string local_problem;
  fs::path file = resolve_path(text(record, "file"), base_dir);
  auto sent = upload(ctx, text(record, "order_id"), file, text(record, "document_type"),
                     text(record, "description"), local_problem);
  if (!local_problem.empty()) {
    batch::RowResult r;
    r.outcome = "invalid";
    r.message = "file " + local_problem;
    r.errors.push_back({"file", local_problem});
    return r;
  }
  if (!sent) return ctx.unanswered();
  auto result = batch::interpret_answer(*sent);
  result.replayed = sent->header("idempotent-replayed") == "true";
  if (sent->status == 200) result.message = "the order already held this document";
  if (result.code == "not_found") {
    result.message = "no order " + text(record, "order_id") + " for your organisation";
  }
  return result;
}

}  // namespace

PortalLimits parse_limits(const json::object& answer) {
  PortalLimits limits;
  if (const auto* v = answer.if_contains("additional_info_max_chars"); v && v->is_number()) {
    limits.additional_info_max_chars = v->to_number<std::size_t>();
  }
  if (const auto* v = answer.if_contains("document_max_bytes"); v && v->is_number()) {
    limits.document_max_bytes = v->to_number<std::uint64_t>();
  }
  if (const auto* v = answer.if_contains("document_content_types"); v && v->is_array()) {
    std::vector<std::string> types;
    for (const auto& t : v->get_array()) {
      if (t.is_string()) types.emplace_back(t.get_string());
    }
    if (!types.empty()) limits.document_content_types = std::move(types);
  }
  return limits;
}

fs::path resolve_path(const std::string& path, const fs::path& base_dir) {
  fs::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p;
  return base_dir / p;
}

std::vector<FieldError> check_case(const json::object& record, const fs::path& base_dir,
                                   const PortalLimits& limits) {
  std::vector<FieldError> problems;
  if (const auto* procs = record.if_contains("procedures"); procs && procs->is_array()) {
    const auto& a = procs->get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto* code = a[i].is_object() ? a[i].get_object().if_contains("code") : nullptr;
      if (code && code->is_string() && !records::is_procedure_code(code->get_string())) {
        problems.push_back({"procedures[" + std::to_string(i) + "].code",
                            "is not a CPT code (70551, 0042T) or a HCPCS Level II code (E0601)"});
      }
    }
  }
  if (const auto* dx = record.if_contains("diagnoses"); dx && dx->is_array()) {
    const auto& a = dx->get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_string() && !records::is_icd10cm_code(a[i].get_string())) {
        problems.push_back(
            {"diagnoses[" + std::to_string(i) + "]", "is not an ICD-10-CM code (M54.16)"});
      }
    }
  }
  std::string start = text(record, "service_start"), end = text(record, "service_end");
  if (!start.empty() && !end.empty() && end < start) {
    problems.push_back({"service_end", "is before service_start"});
  }
  if (auto info = text(record, "additional_info");
      utf8_length(info) > limits.additional_info_max_chars) {
    problems.push_back({"additional_info", "is too long: " + std::to_string(utf8_length(info)) +
                                               " characters, the portal accepts at most " +
                                               std::to_string(limits.additional_info_max_chars)});
  }
  if (const auto* files = record.if_contains("attachments"); files && files->is_array()) {
    const auto& a = files->get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_string()) {
        check_file("attachments[" + std::to_string(i) + "]", std::string(a[i].get_string()),
                   base_dir, limits, problems);
      }
    }
  }
  return problems;
}

std::vector<FieldError> check_document(const json::object& record, const fs::path& base_dir,
                                       const PortalLimits& limits) {
  std::vector<FieldError> problems;
  if (auto file = text(record, "file"); !file.empty())
    check_file("file", file, base_dir, limits, problems);
  return problems;
}

batch::Operation case_operation(fs::path base_dir, PortalLimits limits) {
  batch::Operation op;
  op.name = "case";
  op.schema = "case";
  op.target = "/v1/cases";
  op.check = [base_dir, limits](const json::object& record) {
    return check_case(record, base_dir, limits);
  };
  op.action = [base_dir](batch::RowContext& ctx) { return case_action(ctx, base_dir); };
  op.result_columns = {"order_id",  "acmp_number", "status",   "documents_uploaded",
                       "next_step", "health_plan", "solution", "existing_order_id"};
  return op;
}

batch::Operation document_operation(fs::path base_dir, PortalLimits limits) {
  batch::Operation op;
  op.name = "document";
  op.schema = "document";
  op.check = [base_dir, limits](const json::object& record) {
    return check_document(record, base_dir, limits);
  };
  op.action = [base_dir](batch::RowContext& ctx) { return document_action(ctx, base_dir); };
  op.result_columns = {"document_id", "order_id",     "document_type", "size",
                       "sha256",      "content_type", "order_status"};
  return op;
}

std::string orders_query(const OrderQuery& q, const std::string& page_token) {
  std::string out;
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    out += (out.empty() ? "" : "&") + std::string(name) + "=" + url_encode(value);
  };
  add("order_id", q.order_id);
  add("acmp_number", q.acmp_number);
  add("member_id", q.member_id);
  add("date_of_birth", q.date_of_birth);
  add("from", q.from);
  add("to", q.to);
  add("status", q.status);
  add("health_plan", q.health_plan);
  add("solution", q.solution);
  add("updated_since", q.updated_since);
  if (q.page_size) add("page_size", std::to_string(q.page_size));
  add("page_token", page_token);
  return out;
}

}  // namespace portal::api
