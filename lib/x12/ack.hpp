// Typed readers for the acknowledgements a payer sends back: TA1 (interchange) and 999
// (005010X231A1, implementation acknowledgment). A TA1 may stand alone or precede the 999's
// GS inside the same interchange; both are read. Malformed acknowledgements are reported in
// `problems`, never thrown or crashed on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "x12/error.hpp"
#include "x12/reader.hpp"

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
};

// IK4: one bad element of a segment.
struct ElementNote {
  int position = 0;       // IK401-1, the element's position in the segment
  int component = 0;      // IK401-2, 0 when not given
  int repetition = 0;     // IK401-3, 0 when not given
  std::string reference;  // IK402, the data element reference number ("782")
  std::string code;       // IK403: 1 required missing, 4/5 too short/long, 7 bad code...
  std::string bad_value;  // IK404
};

// IK3: one bad segment of a transaction set, with its element notes.
struct SegmentNote {
  std::string segment_id;    // IK301
  std::size_t position = 0;  // IK302, counted from ST = 1
  std::string loop;          // IK303, e.g. "2100C"
  std::string code;          // IK304: 1 unrecognized, 3 required missing, 8 element errors...
  std::vector<std::string> context;  // CTX01 of the CTX segments that follow
  std::vector<ElementNote> elements;
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

// What an IK304, IK403 or TA105 code means ("Required Segment Missing"), or "".
std::string_view ik3_reason(std::string_view code);
std::string_view ik4_reason(std::string_view code);
std::string_view ta1_reason(std::string_view code);

}  // namespace x12
