// libFuzzer target for the typed X12 transaction readers: the same bytes go to read_271,
// read_277, read_278 (and write_278 of each review read), read_275 (from memory and from a
// stream whose buffer must grow for a BIN, and write_275 of each document read), read_835 (and
// balance() of each check), the 999/TA1 reader and acknowledge() over validate()'s report.
//
// Input layout: byte 0 picks the reader's chunk size (1..256) and a small segment limit; the rest
// is the interchange. Contracts checked besides "no crash": the readers hand over the same items
// whatever the chunking, every problem has a reason and an offset inside the input, and a check
// read from the input that the 835 writer accepts reads back with the same amounts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "x12/ack.hpp"
#include "x12/remittance.hpp"
#include "x12/transactions.hpp"
#include "x12/validate.hpp"

namespace {

[[noreturn]] void contract_broken(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_x12_transactions: contract broken: %s%s%s\n", what,
               detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

void check_problems(const x12::ReadSummary& s, std::size_t size) {
  for (const x12::Error& e : s.problems) {
    if (e.reason.empty()) contract_broken("a problem without a reason", x12::to_string(e));
    if (e.byte_offset > size) contract_broken("offset past the input", x12::to_string(e));
    if (e.value.size() > 80) contract_broken("value longer than IK404 allows");
  }
}

// Reads with `read` at two chunk sizes; the item counts and problems must agree.
template <typename T, typename Read>
std::vector<T> read_twice(std::string_view bytes, std::size_t chunk, std::size_t limit, Read read) {
  std::vector<T> a, b;
  x12::Reader small = x12::Reader::from_memory(
      bytes, x12::ReaderOptions{.max_segment_length = limit, .chunk_size = chunk});
  const x12::ReadSummary sa = read(small, [&](T&& item, const x12::Segment&) {
    a.push_back(std::move(item));
    return a.size() < 64;
  });
  x12::Reader large = x12::Reader::from_memory(
      bytes, x12::ReaderOptions{.max_segment_length = limit, .chunk_size = 65536});
  const x12::ReadSummary sb = read(large, [&](T&& item, const x12::Segment&) {
    b.push_back(std::move(item));
    return b.size() < 64;
  });
  if (!(a == b)) contract_broken("items depend on the chunk size");
  if (sa.problems.size() != sb.problems.size())
    contract_broken("problems depend on the chunk size");
  check_problems(sa, bytes.size());
  return a;
}

// Writes a 278 read from the input; when the writer accepts it, it reads back as one item with
// the same decision and services.
void round_trip(const x12::ServiceReview& r) {
  x12::Writer w;
  x12::InterchangeHeader h;
  h.sender_id = "CLINIC";
  h.receiver_id = "PAYER";
  w.begin_interchange(h, 1);
  w.begin_group("HI", "CLINIC", "PAYER", "005010X217", 1);
  x12::write_278(w, 1, r);
  w.end_group();
  w.end_interchange();
  if (!w.status()) return;
  std::vector<x12::ServiceReview> back;
  x12::Reader reader = x12::Reader::from_memory(w.out());
  x12::read_278(reader, [&](x12::ServiceReview&& item, const x12::Segment&) {
    back.push_back(std::move(item));
    return true;
  });
  if (back.size() != 1) contract_broken("a written 278 does not read back", w.out());
  if (back[0].decision != r.decision || back[0].services.size() != r.services.size())
    contract_broken("a written 278 reads back different", w.out());
}

// Writes a document read from the input; when the writer accepts it, it reads back as one item
// with the same control number and the same bytes (BIN by its length, whatever they hold).
void round_trip(const x12::Attachment& a) {
  x12::Writer w;
  x12::InterchangeHeader h;
  h.sender_id = "CLINIC";
  h.receiver_id = "PAYER";
  w.begin_interchange(h, 1);
  w.begin_group("PI", "CLINIC", "PAYER", "005010X210", 1);
  x12::write_275(w, 1, a);
  w.end_group();
  w.end_interchange();
  if (!w.status()) return;
  std::vector<x12::Attachment> back;
  x12::Reader reader = x12::Reader::from_memory(w.out());
  x12::read_275(reader, [&](x12::Attachment&& item, const x12::Segment&) {
    back.push_back(std::move(item));
    return true;
  });
  if (back.size() != 1) contract_broken("a written 275 does not read back");
  if (back[0].data != a.data || back[0].control.number != a.control.number)
    contract_broken("a written 275 reads back different");
}

// The documents read from a stream in `chunk`-byte reads with a small buffer (grown for each
// large BIN) must be those read from memory.
void stream_read(std::string_view bytes, std::size_t chunk, std::size_t limit,
                 const std::vector<x12::Attachment>& from_memory) {
  std::istringstream in{std::string(bytes)};
  x12::Reader reader(in, x12::ReaderOptions{.max_segment_length = limit, .chunk_size = chunk});
  std::vector<x12::Attachment> items;
  x12::read_275(reader, [&](x12::Attachment&& item, const x12::Segment&) {
    items.push_back(std::move(item));
    return items.size() < 64;
  });
  if (!(items == from_memory)) contract_broken("275 documents differ between a stream and memory");
}

// Writes `r` as an 835; when the writer accepts it, it must read back with the same sums.
void round_trip(const x12::Remittance& r) {
  x12::Writer w;
  x12::InterchangeHeader h;
  h.sender_id = "PAYER";
  h.receiver_id = "CLINIC";
  w.begin_interchange(h, 1);
  w.begin_group("HP", "PAYER", "CLINIC", "005010X221A1", 1);
  x12::write_835(w, 1, r);
  w.end_group();
  w.end_interchange();
  if (!w.status()) return;
  std::vector<x12::Remittance> back;
  x12::Reader reader = x12::Reader::from_memory(w.out());
  x12::read_835(reader, [&](x12::Remittance&& item, const x12::Segment&) {
    back.push_back(std::move(item));
    return true;
  });
  if (back.size() != 1) contract_broken("a written 835 does not read back", w.out());
  const x12::Remittance& b = back[0];
  if (b.total_paid != r.total_paid || b.claims.size() != r.claims.size() ||
      b.provider_adjustments != r.provider_adjustments)
    contract_broken("a written 835 reads back different", w.out());
  for (std::size_t i = 0; i < r.claims.size(); ++i)
    if (b.claims[i].paid != r.claims[i].paid || b.claims[i].charged != r.claims[i].charged ||
        b.claims[i].adjustments != r.claims[i].adjustments ||
        b.claims[i].lines.size() != r.claims[i].lines.size())
      contract_broken("a written claim reads back different", w.out());
  if (x12::balance(b).size() != x12::balance(r).size())
    contract_broken("balancing differs after a round trip", w.out());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0];
  const std::size_t limit = (data[0] & 1) ? 300 : 4096;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  read_twice<x12::EligibilityResponse>(
      bytes, chunk, limit, [](x12::Reader& r, const auto& each) { return x12::read_271(r, each); });
  read_twice<x12::ClaimStatusResponse>(
      bytes, chunk, limit, [](x12::Reader& r, const auto& each) { return x12::read_277(r, each); });
  const auto reviews = read_twice<x12::ServiceReview>(
      bytes, chunk, limit, [](x12::Reader& r, const auto& each) { return x12::read_278(r, each); });
  for (const x12::ServiceReview& r : reviews) round_trip(r);
  const auto documents = read_twice<x12::Attachment>(
      bytes, chunk, limit, [](x12::Reader& r, const auto& each) { return x12::read_275(r, each); });
  stream_read(bytes, chunk, limit, documents);
  for (const x12::Attachment& a : documents) round_trip(a);
  const auto checks = read_twice<x12::Remittance>(
      bytes, chunk, limit, [](x12::Reader& r, const auto& each) { return x12::read_835(r, each); });
  for (const x12::Remittance& r : checks) {
    for (const x12::BalanceFinding& f : x12::balance(r))
      if (f.expected == f.actual) contract_broken("a balanced sum reported");
    round_trip(r);
  }

  const x12::Acknowledgements acks = x12::read_acknowledgements(bytes, 32);
  (void)acks;
  const x12::Report report = x12::validate(bytes, x12::ValidateOptions{.max_findings = 64});
  for (const x12::InterchangeRange& i : x12::envelope_ranges(bytes)) {
    (void)x12::acknowledge_interchange(report, i);
    for (const x12::GroupRange& g : i.groups) {
      const x12::GroupAck ack = x12::acknowledge(report, g);
      (void)ack;
    }
  }
  return 0;
}
