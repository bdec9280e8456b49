// Password rules after NIST SP 800-63B §5.1.1.2: length, no composition rules, a blocklist.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace portal::records {

inline constexpr std::size_t k_password_min_length = 8;
inline constexpr std::size_t k_password_max_length = 128;

// Why `password` is refused, or nullopt when it is acceptable. Length is counted in Unicode
// code points. Refused: too short or long, invalid UTF-8, a control character, a common or
// breached password (embedded blocklist), a repetitive or sequential string, or one that
// contains the account's email local part or name (context words, case-insensitive).
std::optional<std::string> password_problem(std::string_view password, std::string_view email = {},
                                            std::string_view first_name = {},
                                            std::string_view last_name = {});

}  // namespace portal::records
