// A quick acceptance test compiled from a record's JSON Schema. Most rows of a batch are valid,
// and valijson spends most of a row's time on its own bookkeeping and on std::regex; this test
// says "certainly valid" much faster, or "ask valijson". A row it does not accept is validated by
// valijson exactly as before, so every error message still comes from one place, and the schema
// stays the single source of truth.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include <boost/json/fwd.hpp>

namespace portal::records {

// A JSON Schema `pattern` (ECMAScript syntax, which valijson hands to std::regex) run by PCRE2
// with its JIT compiler over bytes, as std::regex_search runs it over a std::string.
class Pattern {
 public:
  // nullptr when the pattern uses syntax outside the core that both engines read alike
  // (lookaround, back-references, \b, \v, POSIX classes, ...) or that PCRE2 refuses.
  static std::unique_ptr<Pattern> compile(std::string_view ecmascript);
  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  // Whether the pattern matches anywhere in `text`; nullopt when PCRE2 hit a resource limit.
  // Safe to call from several threads at once.
  std::optional<bool> search(std::string_view text) const;

 private:
  struct Code;
  explicit Pattern(std::unique_ptr<Code> code);
  std::unique_ptr<Code> m_code;
};

class QuickCheck {
 public:
  // nullptr when the schema uses a keyword this check does not implement (if/then, oneOf,
  // patternProperties, const, format, ...): such a schema is validated by valijson alone.
  static std::unique_ptr<QuickCheck> compile(const boost::json::value& schema);
  ~QuickCheck();
  QuickCheck(const QuickCheck&) = delete;
  QuickCheck& operator=(const QuickCheck&) = delete;

  // True only when valijson (with strong types) would accept `record` too; false means "maybe
  // not: ask valijson". Safe to call from several threads at once.
  bool accepts(const boost::json::value& record) const;
  bool accepts(const boost::json::object& record) const;

  struct Node;

 private:
  explicit QuickCheck(std::unique_ptr<Node> root);
  std::unique_ptr<Node> m_root;
};

}  // namespace portal::records
