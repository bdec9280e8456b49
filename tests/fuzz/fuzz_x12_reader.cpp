// libFuzzer target for the X12 codec: the streaming reader, the envelope walk, validate() over
// every guide and the 999/TA1 readers, on arbitrary bytes.
//
// Input layout: byte 0 picks the reader's chunk size (1..256) and a small segment limit; the rest
// is the interchange. Contracts checked besides "no crash": the result does not depend on how
// the input was chunked, every finding has a reason, findings respect the cap, and a reader
// error is the last finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "x12/ack.hpp"
#include "x12/validate.hpp"

namespace {

[[noreturn]] void contract_broken(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_x12_reader: contract broken: %s%s%s\n", what,
               detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

constexpr std::size_t k_max_findings = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0];
  const std::size_t limit = (data[0] & 1) ? 300 : 4096;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  const x12::ValidateOptions options{.max_findings = k_max_findings};
  x12::Reader small = x12::Reader::from_memory(
      bytes, x12::ReaderOptions{.max_segment_length = limit, .chunk_size = chunk});
  const x12::Report a = x12::validate(small, options);
  x12::Reader large = x12::Reader::from_memory(
      bytes, x12::ReaderOptions{.max_segment_length = limit, .chunk_size = 65536});
  const x12::Report b = x12::validate(large, options);

  if (a.segments != b.segments) contract_broken("segment count depends on the chunk size");
  if (a.findings.size() != b.findings.size() || a.dropped != b.dropped)
    contract_broken("findings depend on the chunk size");
  if (a.findings.size() > k_max_findings) contract_broken("findings over the cap");
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    const x12::Error& e = a.findings[i];
    if (e.reason.empty()) contract_broken("a finding without a reason", x12::to_string(e));
    if (e.code != b.findings[i].code || e.segment_position != b.findings[i].segment_position ||
        e.byte_offset != b.findings[i].byte_offset)
      contract_broken("finding differs across chunk sizes", x12::to_string(e));
    if (e.byte_offset > bytes.size()) contract_broken("offset past the input", x12::to_string(e));
    if (e.value.size() > 80) contract_broken("value longer than IK404 allows");
  }
  if (small.error() && (a.findings.empty() || a.findings.back().code != small.error()->code))
    if (a.dropped == 0) contract_broken("the reader error is not the last finding");

  const x12::Acknowledgements acks = x12::read_acknowledgements(bytes, 32);
  std::size_t notes = 0;
  for (const auto& g : acks.groups)
    for (const auto& s : g.sets)
      for (const auto& n : s.segments) notes += 1 + n.elements.size();
  if (notes > 32) contract_broken("acknowledgement notes over the cap");
  return 0;
}
