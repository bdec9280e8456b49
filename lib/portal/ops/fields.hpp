// The fields each kind of record shows, as table and CSV name them (dotted for nested objects):
// what --fields may choose from, known before any answer arrives. They are the properties of the
// answers' schemas in schemas/openapi.yaml (tests/unit/fields_test.cpp holds them to it).
#pragma once

#include <string>
#include <vector>

namespace portal::ops {

// An eligibility answer (EligibilityResult).
const std::vector<std::string>& eligibility_fields();
// A claim, from an inquiry or the feed (Claim).
const std::vector<std::string>& claim_fields();
// An order, as search-orders lists it (Order).
const std::vector<std::string>& order_fields();
// The order a submitted case made: an Order and documents_uploaded.
const std::vector<std::string>& case_fields();
// An uploaded document (DocumentUploaded).
const std::vector<std::string>& document_fields();
// The account's profile (Profile).
const std::vector<std::string>& profile_fields();

// The answer's columns of each operation's results (Operation::result_columns), after the fixed
// ones (batch::result_fields()).
const std::vector<std::string>& eligibility_result_columns();
const std::vector<std::string>& claim_status_result_columns();
const std::vector<std::string>& case_result_columns();
const std::vector<std::string>& document_result_columns();

}  // namespace portal::ops
