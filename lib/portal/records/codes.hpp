// Procedure and diagnosis code formats, shared by the CLI and the sandbox: CPT, HCPCS Level II
// and ICD-10-CM. Format checks only (the code sets themselves are licensed and change yearly).
#pragma once

#include <string>
#include <string_view>

namespace portal::records {

// A CPT code: 5 characters, 4 digits then a digit or a capital letter (70551, 0042T, 3008F).
bool is_cpt_code(std::string_view code);

// A HCPCS Level II code: a capital letter A to V then 4 digits (E0601, G0399, K0001).
bool is_hcpcs_code(std::string_view code);

// Either of the above: what a case's `procedures[].code` may be.
bool is_procedure_code(std::string_view code);

// An ICD-10-CM code in capitals: a letter, a digit, a digit or letter, then optionally up to
// 4 more digits or letters, with or without the dot after the third character (M54.16, M5416,
// E11.9, R51). A dot with nothing after it is not a code.
bool is_icd10cm_code(std::string_view code);

// The code with the dot after the third character when it has more than 3 (M5416 → M54.16);
// `code` must satisfy is_icd10cm_code.
std::string canonical_icd10cm(std::string_view code);

}  // namespace portal::records
