// The vocabulary's own helpers that its 278 half (reviews.cpp) shares with vocabulary.cpp. Not
// for other modules: they use vocabulary.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"
#include "portal/wire/x12/payers.hpp"
#include "x12/codes.hpp"

namespace portal::wire::x12w::detail {

// A record's string member (its text), "" when absent or not a string.
std::string text(const boost::json::object& o, std::string_view key);

// `out` = a name as X12's basic character set holds it (upper case, accents folded).
void assign_x12_name(std::string& out, std::string_view name);
// The payer of a record's health plan, or nullptr with the error naming the field.
const Payer* payer_for(std::string_view plan, const Payers& payers,
                       std::vector<FieldError>& errors);
// A code's title in words ("" when the list does not hold it).
std::string reason_words(x12::codes::List list, std::string_view code);
// trace_originator() of `sender_id`, kept per thread.
const std::string& originator_of(std::string_view sender_id);
// Today (UTC) as YYYY-MM-DD.
std::string now_date();
// A failed result: an answer that cannot be read (code x12_unreadable).
Result unreadable(std::string message);

}  // namespace portal::wire::x12w::detail
