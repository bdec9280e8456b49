// ASCII string helpers, written once. Bytes outside A-Z/a-z are left as they are, whatever the
// locale, so UTF-8 text passes through unchanged.
#pragma once

#include <string>
#include <string_view>

namespace portal::util {

// `s` with A-Z turned into a-z.
std::string lower(std::string_view s);

// `s` with a-z turned into A-Z.
std::string upper(std::string_view s);

// `s` without the spaces and tabs at either end (a view into `s`).
std::string_view trim(std::string_view s);

// Whether `a` and `b` are equal ignoring the case of A-Z.
bool iequals(std::string_view a, std::string_view b);

// Whether `s` is an RFC 9110 token: what an HTTP method or header field name may be.
bool is_http_token(std::string_view s);

// Whether `s` holds a CR, an LF or a NUL byte: what an HTTP header value may never hold.
bool has_line_break_or_nul(std::string_view s);

// `bytes` as hexadecimal digits, two per byte, lower case (upper case with `upper_case`).
std::string hex(std::string_view bytes, bool upper_case = false);
// The same into `out` (replacing what it held), whose memory a loop can keep from call to call.
void assign_hex(std::string& out, std::string_view bytes, bool upper_case = false);

// `s` with each byte `keep` refuses written as %XX (upper-case hex), the others as they are.
std::string percent_encode(std::string_view s, bool (*keep)(unsigned char));

}  // namespace portal::util
