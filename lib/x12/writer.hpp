// Builds X12 interchanges: a fixed-width ISA, GS/ST/SE/GE/IEA with their counts and control
// numbers, delimiters of the caller's choice. Appends to a reused string; no allocation per
// segment once it has grown. The first problem (a delimiter inside data, a character outside the
// character set, an ISA field too wide, trailers out of order) is kept and reported by status().
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "x12/charset.hpp"
#include "x12/error.hpp"
#include "x12/segment.hpp"

namespace x12 {

struct WriterOptions {
  Delimiters delimiters;                // default * ^ : ~
  bool newline_after_segment = false;   // a '\n' after each terminator, for people reading files
  Charset charset = Charset::extended;  // what data may hold
};

// The ISA's parties and flags. Fields wider than the ISA's are an error, shorter ones padded.
struct InterchangeHeader {
  std::string_view authorization_qualifier = "00";  // ISA01
  std::string_view authorization;                   // ISA02, up to 10
  std::string_view security_qualifier = "00";       // ISA03
  std::string_view security;                        // ISA04, up to 10
  std::string_view sender_qualifier = "ZZ";         // ISA05
  std::string_view sender_id;                       // ISA06, up to 15
  std::string_view receiver_qualifier = "ZZ";       // ISA07
  std::string_view receiver_id;                     // ISA08, up to 15
  bool ack_requested = false;                       // ISA14: ask for a TA1
  char usage = 'T';                                 // ISA15: T test, P production
  std::chrono::sys_seconds time{};                  // ISA09/10 and GS04/05, as UTC
};

class Writer {
 public:
  explicit Writer(WriterOptions options = {});

  // ISA with `control_number` (1..999999999) as ISA13; the IEA repeats it.
  void begin_interchange(const InterchangeHeader& header, std::uint32_t control_number);
  // GS; GS04/05 from the interchange's time, GS07 "X".
  void begin_group(std::string_view functional_id, std::string_view application_sender,
                   std::string_view application_receiver, std::string_view version,
                   std::uint32_t control_number);
  // ST with ST02 = `control_number` written with at least 4 digits; ST03 = the group's GS08.
  void begin_transaction(std::string_view set_id, std::uint32_t control_number);
  // One segment: elements[0] is its id; trailing empty elements are left out.
  void segment(std::initializer_list<std::string_view> elements);
  // A segment built piece by piece, for composites and repetitions: begin_segment("SVC"),
  // element("HC"), component("99203"), element("150"), end_segment().
  void begin_segment(std::string_view id);
  void element(std::string_view value);
  void component(std::string_view value);   // appends a component to the current element
  void repetition(std::string_view value);  // appends a repetition to the current element
  // Appends an element of binary data written as is, any byte allowed (BIN02, after BIN01 its
  // length: begin_segment("BIN"), element("5"), binary(bytes), end_segment()).
  void binary(std::string_view bytes);
  void end_segment();
  // SE with the counted segments (ST..SE) and ST02.
  void end_transaction();
  // GE with the number of transaction sets and GS06.
  void end_group();
  // IEA with the number of groups and ISA13.
  void end_interchange();
  // A segment directly inside the interchange, after the ISA and before any GS (a TA1):
  // elements[0] is its id.
  void interchange_segment(std::initializer_list<std::string_view> elements);

  // Keeps `error` as the writer's first problem (a check of the caller's own, such as a
  // required value missing), unless one is kept already. A segment position and byte offset of 0
  // become the segment about to be written.
  void fail(Error error);

  // Success, or the first problem met (later calls do nothing after it).
  const Expected<void>& status() const { return m_status; }
  // The bytes written so far; the caller may write them out and clear() between interchanges.
  std::string& out() { return m_out; }
  // Segments written in the current interchange (ISA = 1).
  std::size_t position() const { return m_position; }
  // The delimiters and character set the writer was made with.
  const WriterOptions& options() const { return m_options; }
  // The current interchange's date (CCYYMMDD) and time (HHMM), as GS04/GS05 carry them; "" before
  // the first ISA.
  std::string_view interchange_date() const { return m_date8; }
  std::string_view interchange_time() const { return m_time4; }
  // The open group's GS01 and GS08 (the last group's after its GE).
  std::string_view group_id() const { return m_functional_id; }
  std::string_view group_version() const { return m_version; }
  // True when `value` can be written as data: every character in the character set and none a
  // delimiter.
  bool writable(std::string_view value) const;

 private:
  enum class Level : std::uint8_t { none, interchange, group, transaction, segment };
  void put_checked(std::string_view value, int element);
  void finish_segment();
  void fail_here(ErrorCode code, int element, std::string reason, std::string_view value = {});
  bool expect_level(Level level, std::string_view what);
  // A header's control number (ISA13, GS06, ST02) in 1..999999999, else the first problem.
  bool control_valid(std::uint32_t control_number, ErrorCode code, int element);
  // An envelope segment written with the segment builder, then the writer at `after`.
  void envelope_segment(std::initializer_list<std::string_view> elements, Level after);
  // A trailer (SE, GE, IEA): its count and its header's control number.
  void trailer(std::string_view id, std::uint64_t count, std::string_view control, Level after);

  WriterOptions m_options;
  std::array<bool, 256> m_allowed{};  // characters data may hold
  std::string m_out;
  Expected<void> m_status;
  Level m_level = Level::none;
  std::size_t m_position = 0;
  std::size_t m_segment_start = 0;  // offset in m_out of the open segment
  std::size_t m_keep = 0;           // m_out size after the last non-empty element
  int m_element = 0;                // index of the open segment's current element
  std::string m_segment_id;
  char m_isa13[10] = {};
  char m_gs06[10] = {};
  char m_st02[10] = {};
  std::string m_version;
  std::string m_functional_id;
  std::string m_date8, m_time4;
  std::uint64_t m_groups = 0, m_sets = 0, m_segments = 0;
  bool m_group_seen = false;  // a GS was written in the current interchange
};

}  // namespace x12
