// Typed readers for the acknowledgements a payer sends back: TA1 (interchange) and 999
// (005010X231A1, implementation acknowledgment). A TA1 may stand alone or precede the 999's
// GS inside the same interchange; both are read. Malformed acknowledgements are reported in
// `problems`, never thrown or crashed on. And their writers, for a receiver answering
// (ack_write.cpp): validate() an input, place its findings by envelope_ranges(), acknowledge()
// each group and interchange, write_ta1() and write_999() the verdicts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "x12/error.hpp"
#include "x12/reader.hpp"
#include "x12/validate.hpp"
#include "x12/writer.hpp"

namespace x12 {

// TA1: the receiver's verdict on one interchange.
struct Ta1 {
  std::string control_number;  // TA101, the ISA13 acknowledged
  std::string date;            // TA102 YYMMDD
  std::string time;            // TA103 HHMM
  char ack_code = '?';         // TA104: A accepted, E accepted with errors, R rejected
  std::string note_code;       // TA105: 000 no error, 001 control number mismatch...
  std::size_t segment_position = 0;
  bool accepted() const { return ack_code == 'A' || ack_code == 'E'; }
  friend bool operator==(const Ta1&, const Ta1&) = default;
};

// IK4: one bad element of a segment.
struct ElementNote {
  int position = 0;       // IK401-1, the element's position in the segment
  int component = 0;      // IK401-2, 0 when not given
  int repetition = 0;     // IK401-3, 0 when not given
  std::string reference;  // IK402, the data element reference number ("782")
  std::string code;       // IK403: 1 required missing, 4/5 too short/long, 7 bad code...
  std::string bad_value;  // IK404
  friend bool operator==(const ElementNote&, const ElementNote&) = default;
};

// IK3: one bad segment of a transaction set, with its element notes.
struct SegmentNote {
  std::string segment_id;    // IK301
  std::size_t position = 0;  // IK302, counted from ST = 1
  std::string loop;          // IK303, e.g. "2100C"
  std::string code;          // IK304: 1 unrecognized, 3 required missing, 8 element errors...
  std::vector<std::string> context;  // CTX01 of the CTX segments that follow
  std::vector<ElementNote> elements;
  friend bool operator==(const SegmentNote&, const SegmentNote&) = default;
};

// AK2..IK5: the verdict on one transaction set.
struct SetAck {
  std::string set_id;              // AK201
  std::string control_number;      // AK202, the ST02 acknowledged
  std::string version;             // AK203
  char status = '?';               // IK501: A, E, R, M, W, X
  std::vector<std::string> codes;  // IK502..IK506
  std::vector<SegmentNote> segments;
  bool accepted() const { return status == 'A' || status == 'E'; }
  friend bool operator==(const SetAck&, const SetAck&) = default;
};

// AK1..AK9: the verdict on one functional group.
struct GroupAck {
  std::string functional_id;   // AK101
  std::string control_number;  // AK102, the GS06 acknowledged
  std::string version;         // AK103
  char status = '?';           // AK901: A, E, P partially accepted, R, M, W, X
  std::size_t included = 0, received = 0, accepted_count = 0;  // AK902..AK904
  std::vector<std::string> codes;                              // AK905..AK909
  std::vector<SetAck> sets;
  friend bool operator==(const GroupAck&, const GroupAck&) = default;
};

struct Acknowledgements {
  std::vector<Ta1> ta1s;
  std::vector<GroupAck> groups;
  // Envelope errors and malformed acknowledgement segments, with their positions.
  std::vector<Error> problems;
  // Notes beyond the reader's cap (a hostile 999 cannot grow memory without bound).
  std::size_t dropped_notes = 0;
};

// Reads every TA1 and 999 in the input; keeps at most `max_notes` IK3/IK4 notes.
Acknowledgements read_acknowledgements(Reader& reader, std::size_t max_notes = 100000);
// The same over bytes in memory.
Acknowledgements read_acknowledgements(std::string_view bytes, std::size_t max_notes = 100000);

// ---- writing acknowledgements --------------------------------------------------------------

// A TA1 inside the open interchange of `writer`, after its ISA and before any GS: TA101 the
// ISA13 acknowledged (9 digits), TA102/TA103 that interchange's ISA09 (YYMMDD) and ISA10 (HHMM),
// TA104 A, E or R, TA105 a note code ("000" when there is nothing to note). A value out of its
// rule makes the writer's status() an error naming the TA1 element.
void write_ta1(Writer& writer, const Ta1& ta1);

// One 999 (005010X231A1) with control number `st02` into the open group of `writer` (GS01 FA,
// GS08 005010X231A1): AK1, then for each set AK2, its IK3 notes (each with a CTX per context,
// split into components on ':', and an IK4 per element note; a bad value that cannot be written
// with the writer's delimiters and character set is left out), IK5; then AK9. What the 999
// guide does not allow (an AK102 not 1-9 digits, an IK303 over 4 characters, more than 5 IK5 or
// AK9 codes) makes the writer's status() an error naming the segment and element.
void write_999(Writer& writer, std::uint32_t st02, const GroupAck& group);

// Where one transaction set is in an input: what acknowledge() needs to place findings.
struct SetRange {
  std::string set_id;           // ST01
  std::string control_number;   // ST02
  std::string version;          // ST03, "" when absent
  std::size_t st_position = 0;  // the ST's segment position in its interchange (ISA = 1)
  std::uint64_t begin = 0;      // byte offset of the ST
  std::uint64_t end = 0;        // past the SE's terminator, or where the set was cut off
  bool closed = false;          // an SE ended it
};

// Where one functional group is, with its sets.
struct GroupRange {
  std::string functional_id;         // GS01
  std::string control_number;        // GS06
  std::string version;               // GS08
  std::uint64_t begin = 0, end = 0;  // the GS's offset; past the GE, or where it was cut off
  bool closed = false;               // a GE ended it
  std::vector<SetRange> sets;
};

// Where one interchange is, with its groups.
struct InterchangeRange {
  std::string control_number;        // ISA13
  std::string date;                  // ISA09, YYMMDD
  std::string time;                  // ISA10, HHMM
  std::uint64_t begin = 0, end = 0;  // the ISA's offset; past the IEA, or where it was cut off
  std::vector<GroupRange> groups;
};

// The interchanges, groups and sets of an input, in order, as the envelope segments place them
// (nothing else is checked). Memory grows with the number of sets, as a 999 for them does.
std::vector<InterchangeRange> envelope_ranges(Reader& reader);
std::vector<InterchangeRange> envelope_ranges(std::string_view bytes);

// The 999 verdict on one group from validate()'s report of the same input (findings placed by
// byte offset): the group's GS01/GS06/GS08 in AK1; per set its ST01/ST02/ST03 in AK2, an IK3
// per segment in error (its ID, position in the set counted from ST = 1, loop as the guide names
// it cut to IK303's 4 characters, IK304 from ack_code()), an IK4 per element finding (position,
// component, IK403, bad value), IK5 A, or R with the set's IK502 codes and 5 when segments are
// in error; AK9 A (all accepted), P (some), R (none, or a group error with its AK905 codes).
// Interchange findings belong in a TA1 (acknowledge_interchange). A set whose ST01/ST02 cannot
// be echoed (ST02 not 4-9 letters or digits) is counted in AK903 but gets no AK2. When the
// report dropped findings (over max_findings), a set the dropped ones may belong to is rejected
// with IK502 5 and no IK3: validate with a cap high enough for exact notes.
GroupAck acknowledge(const Report& report, const GroupRange& group);

// The TA1 verdict on one interchange from the same report: R with the TA105 code of its first
// interchange-level finding (ack_code()), else A with 000.
Ta1 acknowledge_interchange(const Report& report, const InterchangeRange& interchange);

// What an IK304, IK403 or TA105 code means ("Required Segment Missing"), or "".
std::string_view ik3_reason(std::string_view code);
std::string_view ik4_reason(std::string_view code);
std::string_view ta1_reason(std::string_view code);

}  // namespace x12
