#include "portal/ops/fields.hpp"

namespace portal::ops {

const std::vector<std::string>& eligibility_fields() {
  static const std::vector<std::string> k_fields = {"ref",
                                                    "status",
                                                    "active",
                                                    "member.member_id",
                                                    "member.first_name",
                                                    "member.last_name",
                                                    "member.date_of_birth",
                                                    "plan.id",
                                                    "plan.name",
                                                    "plan.type",
                                                    "coverage.start",
                                                    "coverage.end",
                                                    "service_date",
                                                    "benefits.copays.primary_care",
                                                    "benefits.copays.specialist",
                                                    "benefits.copays.emergency_room",
                                                    "benefits.deductible.individual",
                                                    "benefits.deductible.family",
                                                    "benefits.out_of_pocket_max.individual",
                                                    "benefits.out_of_pocket_max.family",
                                                    "benefits.coinsurance_percent",
                                                    "benefits.prior_authorization",
                                                    "reason"};
  return k_fields;
}

const std::vector<std::string>& claim_fields() {
  static const std::vector<std::string> k_fields = {
      "claim_number",   "status_category", "status",        "status_description", "status_date",
      "status_reasons", "member_id",       "health_plan",   "provider_npi",       "rendering_npi",
      "service_from",   "service_to",      "received_date", "billed_amount",      "paid_amount",
      "check_number",   "paid_date",       "lines",         "status_history",     "updated_at"};
  return k_fields;
}

const std::vector<std::string>& order_fields() {
  static const std::vector<std::string> k_fields = {
      "order_id",      "acmp_number",     "status",        "health_plan",
      "solution",      "member_id",       "date_of_birth", "first_name",
      "last_name",     "ordering_npi",    "servicing_npi", "procedures",
      "diagnoses",     "service_start",   "service_end",   "urgency",
      "answers",       "additional_info", "created_at",    "updated_at",
      "decided_at",    "review_due_at",   "decision_note", "documents_required",
      "documents",     "letters",         "next_step",     "received_at",
      "complete_at",   "decision_due",    "overdue",       "cancelled_at",
      "cancel_reason", "revision"};
  return k_fields;
}

const std::vector<std::string>& case_fields() {
  static const std::vector<std::string> k_fields = [] {
    auto fields = order_fields();
    fields.push_back("documents_uploaded");
    return fields;
  }();
  return k_fields;
}

const std::vector<std::string>& document_fields() {
  static const std::vector<std::string> k_fields = {
      "document_id", "order_id",     "document_type", "description",  "filename",    "size",
      "sha256",      "content_type", "received_at",   "order_status", "deduplicated"};
  return k_fields;
}

const std::vector<std::string>& profile_fields() {
  static const std::vector<std::string> k_fields = {"id",
                                                    "email",
                                                    "first_name",
                                                    "last_name",
                                                    "phone",
                                                    "fax",
                                                    "provider_type",
                                                    "npi",
                                                    "organization.id",
                                                    "organization.name",
                                                    "organization.npi",
                                                    "status",
                                                    "totp_enrolled",
                                                    "password_expires_at",
                                                    "last_login_at",
                                                    "created_at"};
  return k_fields;
}

const std::vector<std::string>& eligibility_result_columns() {
  static const std::vector<std::string> k_columns = {"status",
                                                     "active",
                                                     "member.member_id",
                                                     "plan.id",
                                                     "plan.name",
                                                     "coverage.start",
                                                     "coverage.end",
                                                     "service_date",
                                                     "reason",
                                                     "reject_reason.code",
                                                     "reject_reason.x12_aaa"};
  return k_columns;
}

const std::vector<std::string>& claim_status_result_columns() {
  static const std::vector<std::string> k_columns = {
      "as_of",    "claim_count",        "claim_numbers",        "status_categories",
      "statuses", "reject_reason.code", "reject_reason.x12_aaa"};
  return k_columns;
}

const std::vector<std::string>& case_result_columns() {
  static const std::vector<std::string> k_columns = {
      "order_id",  "acmp_number", "status",   "documents_uploaded",
      "next_step", "health_plan", "solution", "existing_order_id"};
  return k_columns;
}

const std::vector<std::string>& document_result_columns() {
  static const std::vector<std::string> k_columns = {
      "document_id", "order_id", "document_type", "size", "sha256", "content_type", "order_status"};
  return k_columns;
}

}  // namespace portal::ops
