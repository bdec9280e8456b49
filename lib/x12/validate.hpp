// One validator for every implementation guide: reads an interchange with the streaming
// Reader, checks the envelope (EnvelopeChecker) and walks each transaction set against its
// guide's tables (guide.hpp), reporting every finding with its segment position, loop, element
// and reason. Memory stays flat: the loop stack is bounded and findings are capped.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "x12/charset.hpp"
#include "x12/error.hpp"
#include "x12/reader.hpp"

namespace x12 {

struct ValidateOptions {
  std::size_t max_findings = 1000;      // beyond it findings are only counted
  Charset charset = Charset::extended;  // what data may hold (provportal writes basic-safe data)
  bool require_guide = false;           // a set without a guide (837...) is a finding
};

struct Report {
  std::vector<Error> findings;  // in input order, reader errors last
  std::size_t dropped = 0;      // findings over max_findings
  std::size_t segments = 0;
  std::size_t interchanges = 0;
  std::size_t transactions = 0;
  bool ok() const { return findings.empty() && dropped == 0; }
};

// Validates everything `reader` yields; a fatal reader error ends the walk and is the last
// finding.
Report validate(Reader& reader, const ValidateOptions& options = {});

// Validates an interchange held in memory.
Report validate(std::string_view bytes, const ValidateOptions& options = {});

}  // namespace x12
