#include "portal/ops/orders_search.hpp"

#include <utility>

#include <boost/json.hpp>

namespace portal::ops {

namespace json = boost::json;

Expected<void> check_order_query(const OrderQuery& q) {
  if (q.member_id.empty() != q.date_of_birth.empty()) {
    return fail(ErrorKind::usage,
                "a member is searched by --member-id and --date-of-birth together",
                "give both, e.g. --member-id ACM100234 --date-of-birth 1958-03-14");
  }
  return {};
}

wire::PageQuery page_query(const OrderQuery& q) {
  wire::PageQuery out;
  out.filters = {{"order_id", q.order_id},
                 {"acmp_number", q.acmp_number},
                 {"member_id", q.member_id},
                 {"date_of_birth", q.date_of_birth},
                 {"from", q.from},
                 {"to", q.to},
                 {"status", q.status},
                 {"health_plan", q.health_plan},
                 {"solution", q.solution},
                 {"updated_since", q.updated_since},
                 {"overdue", q.overdue ? std::string("true") : std::string()}};
  out.page_size = q.page_size;
  return out;
}

std::string query_key(const OrderQuery& q) {
  return "order_id=" + q.order_id + "\nacmp_number=" + q.acmp_number +
         "\nmember_id=" + q.member_id + "\ndate_of_birth=" + q.date_of_birth + "\nfrom=" + q.from +
         "\nto=" + q.to + "\nstatus=" + q.status + "\nhealth_plan=" + q.health_plan +
         "\nsolution=" + q.solution + (q.overdue ? "\noverdue=true" : "");
}

std::string describe(const OrderQuery& q) {
  std::string out = "orders";
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"order", &q.order_id},
        {"ACMP", &q.acmp_number},
        {"from", &q.from},
        {"to", &q.to},
        {"status", &q.status},
        {"plan", &q.health_plan},
        {"solution", &q.solution}}) {
    if (!value->empty()) out += ", " + std::string(name) + " " + *value;
  }
  if (!q.member_id.empty()) out += ", one member";
  if (q.overdue) out += ", overdue";
  return out;
}

const std::vector<std::string>& order_columns() {
  static const std::vector<std::string> k_columns = {
      "order_id",   "acmp_number",   "status",      "health_plan", "solution",
      "member_id",  "service_start", "service_end", "created_at",  "decision_due",
      "decided_at", "overdue",       "letters",     "next_step"};
  return k_columns;
}

json::object order_summary(const json::object& order) {
  json::object s;
  for (const auto& key : order_columns()) {
    const auto* v = order.if_contains(key);
    if (key == "letters") {
      json::array ids;
      if (v && v->is_array()) {
        for (const auto& l : v->get_array()) {
          if (const auto* id = l.is_object() ? l.get_object().if_contains("letter_id") : nullptr)
            ids.push_back(*id);
        }
      }
      s[key] = std::move(ids);
    } else {
      s[key] = v ? *v : json::value(nullptr);
    }
  }
  return s;
}

Expected<std::string> letter(api::PortalApi& api, const wire::Wire& wire,
                             std::string_view letter_id) {
  auto answer = api.send(wire.letter_request(letter_id));
  if (!answer) return fail(answer.error());
  return std::move(answer->body);
}

}  // namespace portal::ops
