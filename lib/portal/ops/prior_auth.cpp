#include "portal/ops/prior_auth.hpp"

#include <algorithm>
#include <thread>

#include <boost/json.hpp>

#include "portal/ops/fields.hpp"
#include "portal/ops/over_wire.hpp"
#include "portal/records/codes.hpp"
#include "portal/records/content_type.hpp"

namespace portal::ops {

namespace json = boost::json;
namespace fs = std::filesystem;
using api::PortalLimits;
using wire::resolve_path;

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

}  // namespace

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
  // The portal's limit for the case's solution; unannounced, the schema's maxLength (which
  // validation already applied) is all there is to check.
  if (std::string info = text(record, "additional_info"), solution = text(record, "solution");
      limits.announced && utf8_length(info) > limits.additional_info_max_for(solution)) {
    const bool own = limits.additional_info_max_chars_by_solution.contains(solution);
    problems.push_back(
        {"additional_info", "is too long: " + std::to_string(utf8_length(info)) +
                                " characters, the portal accepts at most " +
                                std::to_string(limits.additional_info_max_for(solution)) +
                                (own ? " for the " + solution + " solution" : std::string())});
  }
  if (const auto* nd = record.if_contains("not_duplicate"); nd && nd->is_bool() && nd->get_bool()) {
    std::string info = text(record, "additional_info");
    if (info.find_first_not_of(" \t\r\n") == std::string::npos) {
      problems.push_back({"additional_info",
                          "must say why the case is new when not_duplicate is set (it repeats an "
                          "approved order's member, procedure codes and dates)"});
    }
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

bool refused_for_limit(const wire::Result& result) {
  if (result.outcome != "rejected") return false;
  for (const auto& e : result.errors) {
    if (e.field == "additional_info" && e.message.starts_with("additional_info_too_long"))
      return true;
  }
  return false;
}

Expected<batch::Operation> case_operation(std::shared_ptr<const wire::Wire> wire, fs::path base_dir,
                                          PortalLimits limits,
                                          std::function<void()> on_limit_refused) {
  batch::Operation op;
  op.name = "case";
  op.schema = "case";
  op.check = [base_dir, limits](const json::object& record) {
    return check_case(record, base_dir, limits);
  };
  op.result_columns = case_result_columns();
  auto made = over_wire(std::move(op), wire::Function::case_submission, std::move(wire),
                        {.base_dir = std::move(base_dir)});
  if (made && made->action && on_limit_refused) {
    made->action = [send = std::move(made->action),
                    told = std::move(on_limit_refused)](batch::RowContext& row) {
      auto result = send(row);
      if (refused_for_limit(result)) told();
      return result;
    };
  }
  return made;
}

Expected<batch::Operation> document_operation(std::shared_ptr<const wire::Wire> wire,
                                              fs::path base_dir, PortalLimits limits) {
  batch::Operation op;
  op.name = "document";
  op.schema = "document";
  op.check = [base_dir, limits](const json::object& record) {
    return check_document(record, base_dir, limits);
  };
  op.result_columns = document_result_columns();
  return over_wire(std::move(op), wire::Function::document, std::move(wire),
                   {.base_dir = std::move(base_dir)});
}

namespace {

// Sleeps up to `d`, waking early when the run is asked to stop; false when it was.
bool pause(std::chrono::milliseconds d) {
  using Steady = std::chrono::steady_clock;
  auto until = Steady::now() + d;
  while (!batch::stop_flag().load() && Steady::now() < until) {
    std::this_thread::sleep_for(
        std::min<Steady::duration>(std::chrono::milliseconds(50), until - Steady::now()));
  }
  return !batch::stop_flag().load();
}

}  // namespace

batch::Operation waiting_for_decision(batch::Operation op, std::shared_ptr<const wire::Wire> wire,
                                      DecisionWait wait) {
  if (!op.action) return op;
  op.action = [submit = std::move(op.action), wire = std::move(wire),
               wait](batch::RowContext& row) -> wire::Result {
    auto result = submit(row);
    std::string order_id = text(result.answer, "order_id");
    if (result.outcome != "ok" || text(result.answer, "status") != "pended" || order_id.empty() ||
        !wire->order_request(order_id, row))
      return result;
    using Steady = std::chrono::steady_clock;
    auto deadline = Steady::now() + wait.max_wait;
    auto delay = wait.first_poll;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
      if (left <= std::chrono::milliseconds::zero()) break;
      if (!pause(std::min(delay, left))) return wire::Result{};  // stopping: unfinished
      delay = std::min(wait.max_poll, delay + delay / 2);
      auto answer = row.send(*wire->order_request(order_id, row));
      if (!answer) return row.unanswered();
      auto now = wire->read_order(*answer, row);
      if (now.outcome != "ok") {
        now.message = "order " + order_id +
                      " was submitted; reading it while waiting for its "
                      "decision: " +
                      now.message;
        return now;
      }
      now.answer["documents_uploaded"] = result.answer.contains("documents_uploaded")
                                             ? result.answer.at("documents_uploaded")
                                             : json::value(0);
      result.answer = std::move(now.answer);
      if (text(result.answer, "status") != "pended") return result;
    }
    result.outcome = "pending";
    const std::string due = text(result.answer, "decision_due");
    result.message = "order " + order_id + " is still pended after waiting " +
                     std::to_string(wait.max_wait.count()) + "s" +
                     (due.empty() ? "" : " (decision due " + due + ")") +
                     "; run the same command again to keep waiting";
    return result;
  };
  return op;
}

}  // namespace portal::ops
