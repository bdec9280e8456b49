// What the transaction writers and readers (transactions_*.cpp) share: a segment emitter that
// checks each segment against its guide row before writing it, and the walk over the sets of one
// kind that the readers build their items on (internal to the codec).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "x12/envelope.hpp"
#include "x12/guide.hpp"
#include "x12/transactions.hpp"

namespace x12::detail {

// ---- writing -------------------------------------------------------------------------------

// One element to write: a simple value, or the components of a composite, or the repetitions of
// a repeating element.
struct Field {
  std::string_view text;
  std::span<const std::string_view> parts = {};
  bool repeated = false;
  bool binary = false;  // written as is (BIN02): any byte, delimiters included

  Field() = default;
  Field(std::string_view t) : text(t) {}
  Field(const std::string& t) : text(t) {}
  Field(const char* t) : text(t) {}
  static Field composite(std::span<const std::string_view> components) {
    Field f;
    f.parts = components;
    return f;
  }
  static Field repeats(std::span<const std::string_view> repetitions) {
    Field f;
    f.parts = repetitions;
    f.repeated = true;
    return f;
  }
  // Binary data (a BIN02), written as is.
  static Field bytes(std::string_view data) {
    Field f(data);
    f.binary = true;
    return f;
  }
  bool empty() const;
  // The first component or repetition, or the value itself.
  std::string_view first() const { return parts.empty() ? text : parts[0]; }
};

// Writes the segments of one set, each checked first against the row of its guide in the loop
// named by loop(): required values present, "not used" ones absent, lengths, codes, dates. The
// first problem becomes the writer's status, naming the segment, element and loop; after it
// nothing more is written.
class Emitter {
 public:
  Emitter(Writer& writer, const Guide& guide)
      : m_writer(writer), m_guide(guide), m_loop_rules(guide.root) {}

  bool ok() const { return m_writer.status().has_value(); }
  // ST (after checking the open group is the guide's) and SE.
  void begin(std::uint32_t st02);
  void end();
  // The guide loop the next segments belong to ("2100C"; the set's own table is "ST").
  void loop(std::string_view name);
  std::string_view loop() const { return m_loop; }
  // One segment: `fields` are elements 1..n.
  void segment(std::string_view id, std::initializer_list<Field> fields);
  // A problem no guide row states (a loop that needs a value, a list too long).
  void fail(ErrorCode code, std::string_view id, int element, std::string reason,
            std::string_view value = {});
  // Reports `id`NN of the current loop as missing when `value` is empty; true when present.
  bool require(std::string_view value, std::string_view id, int element, std::string_view what);
  // CCYYMMDD of an ISO date, failing on `id`NN when `iso` is not one.
  std::string d8(std::string_view iso, std::string_view id, int element);
  // DTP02/DTP03 of a period: D8 of `from`, or RD8 of `from`-`to`.
  void dtp(const DatePeriod& period, std::string_view qualifier);
  Writer& writer() { return m_writer; }

 private:
  Writer& m_writer;
  const Guide& m_guide;
  std::string_view m_loop = "ST";
  const Loop* m_loop_rules = nullptr;
  // The row last written and how often in a row, against its max use.
  const SegmentRule* m_row = nullptr;
  std::uint32_t m_uses = 0;
};

// The fields of an NM1 for `party`, with the loop's defaults for an empty NM101 and for NM108
// when NM109 is given without it.
void write_nm1(Emitter& out, const Party& party, std::string_view default_entity,
               std::string_view default_qualifier);

// BHT: its structure and purpose codes, the reference, the creation date (ISO; the interchange's
// when empty) and time (HHMM; the interchange's when empty), BHT06 when given.
void write_bht(Emitter& out, std::string_view structure, std::string_view purpose,
               std::string_view reference, std::string_view created_date,
               std::string_view created_time, std::string_view transaction_type = {});

// TRN of `trace` with `default_type` for an empty TRN01; nothing when the trace is empty.
void write_trn(Emitter& out, const Trace& trace, std::string_view default_type);

// DMG*D8 of a birth date and gender; nothing when both are empty.
void write_dmg(Emitter& out, std::string_view date_of_birth, std::string_view gender);

// The entity code and ID qualifier a party would be written with.
std::string_view or_default(std::string_view value, std::string_view fallback);

// True when nothing of `party` is filled in.
bool party_empty(const Party& party);

// ---- reading -------------------------------------------------------------------------------

// The most entries a reader keeps in one list of an item (benefits, claims, lines, statuses,
// dates, messages, rejections, traces, service types); beyond it they are skipped with a problem,
// so a hostile set cannot grow an item without bound.
inline constexpr std::size_t k_max_list = 10000;
// The most problems a reader keeps (then counted by the envelope checker only).
inline constexpr std::size_t k_max_problems = 1000;

// The problems of one read and the helpers that locate them.
class Problems {
 public:
  explicit Problems(EnvelopeChecker& sink) : m_sink(sink) {}
  // A problem at segment `s`, in `loop` when known.
  void add(const Segment& s, ErrorCode code, std::string_view loop, int element, std::string reason,
           std::string_view value = {});
  // Appends to `list` unless it is full (then one problem per list and item): nullptr then.
  template <typename T>
  T* push(std::vector<T>& list, const Segment& s, std::string_view what) {
    if (list.size() < k_max_list) return &list.emplace_back();
    if (!m_list_full) {
      m_list_full = true;
      add(s, ErrorCode::segment_over_max, {}, 0,
          "more than " + std::to_string(k_max_list) + " " + std::string(what) +
              " in one item; the rest are skipped");
    }
    return nullptr;
  }
  // A new item starts: a full list is reported again.
  void new_item() { m_list_full = false; }

 private:
  EnvelopeChecker& m_sink;
  bool m_list_full = false;
};

// `text` == `literal`, compared in line: segment IDs and qualifiers are a few characters, and
// a call to memcmp for each cost more than the comparison.
template <std::size_t N>
constexpr bool is(std::string_view text, const char (&literal)[N]) {
  if (text.size() != N - 1) return false;
  for (std::size_t i = 0; i + 1 < N; ++i)
    if (text[i] != literal[i]) return false;
  return true;
}

// The first `n` parts of `text` split on `sep` into `out`, those it lacks empty (what
// Segment::component() gives for each, in one pass).
inline void split_parts(std::string_view text, char sep, std::string_view* out, std::size_t n) {
  std::size_t k = 0, begin = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != sep) continue;
    out[k++] = text.substr(begin, i - begin);
    begin = i + 1;
    if (k == n) return;
  }
  out[k++] = text.substr(begin);
  for (; k < n; ++k) out[k] = {};
}

// `out` = `v`, an empty `v` (most optional elements are) without a call into std::string.
inline void assign(std::string& out, std::string_view v) {
  if (v.empty())
    out.clear();
  else
    out.assign(v.data(), v.size());
}

// Parses an NM1 into a party.
Party read_party(const Segment& s);
// Parses a TRN.
Trace read_trace(const Segment& s);
// The same into `p` or `t`, every field assigned: a reused item keeps the memory of its strings.
void read_party(const Segment& s, Party& p);
void read_trace(const Segment& s, Trace& t);
// from_d8() into `out`, reusing its memory.
void assign_d8(std::string& out, std::string_view d8);
// Parses a DTP (D8 or RD8) into `period`; false (with a problem) when its date is not one.
bool read_dtp(const Segment& s, DatePeriod& period, Problems& problems, std::string_view loop);
// Parses DMG into a birth date and gender; false (with a problem) when the date is not one.
bool read_dmg(const Segment& s, std::string& date_of_birth, std::string& gender, Problems& problems,
              std::string_view loop);
// The repetitions of element `i` of `s` (empty ones skipped).
std::vector<std::string_view> repetitions(const Segment& s, std::size_t i);
// Parses an STC and an SVC.
StatusInfo read_stc(const Segment& s);
void read_stc(const Segment& s, StatusInfo& st);  // every field assigned, as read_party's
void read_svc(const Segment& s, ServiceLine& line);

// What a builder sees of the walk: the set's ST (a copy that lives as long as the set) and the
// problem sink.
struct SetContext {
  Segment st;
  Problems* problems = nullptr;
};

// A reader's item builder: begin() at each ST of its kind, on() for each segment inside, end()
// at its SE (complete) or where it was cut off; stopped() once the callback asked to stop.
class Builder {
 public:
  virtual ~Builder() = default;
  virtual void begin(const SetContext& set) = 0;
  virtual void on(const Segment& s) = 0;
  virtual void end(bool complete) = 0;
  bool stopped() const { return m_stopped; }

 protected:
  bool m_stopped = false;
};

// Walks every set of `guide`'s kind that `reader` yields through `builder`; other sets are
// skipped with a problem, envelope problems and the reader's error are collected.
ReadSummary read_sets(Reader& reader, const Guide& guide, Builder& builder);

}  // namespace x12::detail
