// Identifier checks shared by the CLI and the sandbox.
#pragma once

#include <string>
#include <string_view>

namespace portal::records {

// True when `npi` is 10 digits whose last is the Luhn check digit over "80840" + the first nine.
bool npi_is_valid(std::string_view npi);

// The check digit that completes a 9-digit NPI prefix (for generating test data).
char npi_check_digit(std::string_view first_nine);

// Digits of a US phone number (10 digits, NANP) from common spellings, or "" when it is not one.
std::string normalize_us_phone(std::string_view text);

// A Tax ID (EIN) as 9 digits from "12-3456789" or "123456789", or "" when it is not one.
std::string normalize_tax_id(std::string_view text);

// Lower-cases and trims an email address (the portal compares emails this way).
std::string normalize_email(std::string_view text);

}  // namespace portal::records
