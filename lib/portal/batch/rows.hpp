// What every batch row needs besides its fields: an idempotency key, its shard, and the
// conversion of text cells to the types the record's schema declares.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "portal/util/error.hpp"

namespace portal::batch {

// --shard K/N: this run handles the rows whose index i has i % N == K (K counts from 0, as
// Kubernetes' JOB_COMPLETION_INDEX does). N runs with K = 0..N-1 cover every row exactly once.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool contains(std::size_t row_index) const { return row_index % count == index; }
  std::string to_string() const;
};
// "K/N" -> Shard; ErrorKind::usage naming the problem otherwise.
Expected<Shard> parse_shard(std::string_view text);

// JSON with object keys sorted at every level and no whitespace: equal records, equal text.
std::string canonical_json(const boost::json::value& value);

// The idempotency key of a row: from its `ref` when it has one (a re-run row with the same ref
// is never applied twice, even when other fields were corrected), otherwise from its content.
// Keys are scoped by `operation` ("eligibility", "case", ...), so the same ref in two kinds of
// batch never collides. 64 hex characters.
std::string idempotency_key(std::string_view operation, const boost::json::object& record);
// The same into `key` (replacing what it held), whose memory a loop over the rows keeps.
void assign_idempotency_key(std::string& key, std::string_view operation,
                            const boost::json::object& record);

// Converts the cells of a row to the types the schema `schema_name` declares: text to integer,
// number or boolean (CSV cells are all text), and integers or booleans to text where the schema
// wants text (an unquoted NPI in YAML). For CSV's nested fields (SPEC.md section 5): a list is
// one cell with ';' between items ("M54.16; M51.26"), an item of an object list is its
// properties' values in the schema's order joined by ':' ("70551:1" -> {code, units}), and a map
// is one column per key ("answers.q1" -> answers: {q1}); a map's values keep their text unless
// the schema gives them one type. A cell that does not convert is left as it is, so validation
// names it.
void coerce_to_schema(std::string_view schema_name, boost::json::object& record);

}  // namespace portal::batch
