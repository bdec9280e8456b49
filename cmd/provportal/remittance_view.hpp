// The remittance records of an 835, shared by `x12 parse --as 835` and `remittance`: one record
// per service line paid (one per claim without lines), the row table and CSV show for one, and
// how an X12 problem is named for a person.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "x12/error.hpp"
#include "x12/remittance.hpp"

namespace portal::cli {

// The columns of a line record: payer, payee, check_number, check_date, payment_method, the
// claim's control numbers, claim_status, member_id, service_date, procedure_code, modifiers,
// charged, allowed, paid, patient_responsibility, adjustments, remarks.
std::vector<std::string> remittance_columns();

// Hands `each` one record per service line of `remittance` (one per claim without lines), in
// the order of the 835. Amounts are exact decimals as strings; adjustments [{group, carc,
// amount}], modifiers and remarks arrays. Returns false as soon as `each` does.
bool remittance_line_records(const x12::Remittance& remittance,
                             const std::function<bool(boost::json::object&&)>& each);

// The row table and CSV show for a remittance record: adjustments as posting screens write them
// ("CO-45 50; PR-1 20"), modifiers and remarks space-separated; other members as they are.
boost::json::object remittance_row(const boost::json::object& record);

// "FILE:segment 15 (SE, loop 2000A) element 1: reason", or "FILE:byte 12: reason" when no
// segment could be read.
std::string finding_text(const std::string& file, const x12::Error& e);

}  // namespace portal::cli
