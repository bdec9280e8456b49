#include "x12/writer.hpp"

#include <cstdio>
#include <utility>

#include "x12/reader.hpp"

namespace x12 {
namespace {

constexpr std::uint32_t k_max_control = 999999999;

}  // namespace

Writer::Writer(WriterOptions options) : m_options(options) {
  // One table lookup per character on the hot path: the character set less the delimiters.
  for (int c = 0; c < 256; ++c) m_allowed[c] = in_charset(static_cast<char>(c), m_options.charset);
  const Delimiters& d = m_options.delimiters;
  for (char c : {d.element, d.segment, d.component, d.repetition})
    m_allowed[static_cast<unsigned char>(c)] = false;
  if (!delimiters_valid(m_options.delimiters))
    fail_here(ErrorCode::bad_delimiters, 0,
              "the delimiters must be distinct and neither letters, digits nor spaces");
}

void Writer::fail_here(ErrorCode code, int element, std::string reason, std::string_view value) {
  if (!m_status) return;
  Error e;
  e.code = code;
  e.segment_position = m_position + 1;
  e.byte_offset = m_segment_start;
  e.segment_id = m_segment_id;
  e.element = element;
  e.value = std::string(value.substr(0, 80));
  e.reason = std::move(reason);
  m_status = x12::fail(std::move(e));
}

void Writer::fail(Error error) {
  if (!m_status) return;
  if (error.segment_position == 0) error.segment_position = m_position + 1;
  if (error.byte_offset == 0) error.byte_offset = m_out.size();
  if (error.value.size() > 80) error.value.resize(80);
  m_status = x12::fail(std::move(error));
}

bool Writer::writable(std::string_view value) const {
  for (char c : value)
    if (m_allowed[static_cast<unsigned char>(c)] == 0) return false;
  return true;
}

bool Writer::control_valid(std::uint32_t control_number, ErrorCode code, int element) {
  if (control_number != 0 && control_number <= k_max_control) return true;
  fail_here(
      code, element,
      m_segment_id + (element < 10 ? "0" : "") + std::to_string(element) + " must be 1..999999999");
  return false;
}

void Writer::envelope_segment(std::initializer_list<std::string_view> elements, Level after) {
  m_level = Level::transaction;  // borrow the segment builder for the envelope segments
  segment(elements);
  m_level = after;
}

void Writer::trailer(std::string_view id, std::uint64_t count, std::string_view control,
                     Level after) {
  const std::string text = std::to_string(count);
  envelope_segment({id, text, control}, after);
}

bool Writer::expect_level(Level level, std::string_view what) {
  if (!m_status) return false;
  if (m_level == level) return true;
  fail_here(ErrorCode::unexpected_segment, 0,
            std::string(what) + " written out of order (trailer or header missing before it)");
  return false;
}

void Writer::put_checked(std::string_view value, int element) {
  for (char c : value) {
    if (m_allowed[static_cast<unsigned char>(c)] == 0) {
      const Delimiters& d = m_options.delimiters;
      if (c == d.element || c == d.segment || c == d.component || c == d.repetition) {
        fail_here(ErrorCode::invalid_character, element,
                  std::string("the value holds the delimiter '") + c + "'", value);
      } else {
        fail_here(ErrorCode::invalid_character, element,
                  m_options.charset == Charset::basic
                      ? "the value holds a character outside the X12 basic character set"
                      : "the value holds a character outside the X12 extended character set",
                  value);
      }
      return;
    }
  }
  m_out.append(value);
}

void Writer::begin_segment(std::string_view id) {
  if (!expect_level(Level::transaction, "a segment outside ST..SE or inside another segment"))
    return;
  m_segment_id.assign(id);
  m_segment_start = m_out.size();
  const bool good_id =
      id.size() >= 2 && id.size() <= 3 && id[0] >= 'A' && id[0] <= 'Z' &&
      (id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string_view::npos);
  if (!good_id) {
    fail_here(ErrorCode::unrecognized_segment, 0, "a segment id is 2-3 upper-case letters/digits",
              id);
    return;
  }
  m_out.append(id);
  m_keep = m_out.size();
  m_element = 0;
  m_level = Level::segment;
}

void Writer::element(std::string_view value) {
  if (!expect_level(Level::segment, "an element")) return;
  m_out += m_options.delimiters.element;
  ++m_element;
  put_checked(value, m_element);
  if (!value.empty()) m_keep = m_out.size();
}

void Writer::component(std::string_view value) {
  if (!expect_level(Level::segment, "a component")) return;
  m_out += m_options.delimiters.component;
  put_checked(value, m_element);
  if (!value.empty()) m_keep = m_out.size();
}

void Writer::repetition(std::string_view value) {
  if (!expect_level(Level::segment, "a repetition")) return;
  m_out += m_options.delimiters.repetition;
  put_checked(value, m_element);
  if (!value.empty()) m_keep = m_out.size();
}

void Writer::binary(std::string_view bytes) {
  if (!expect_level(Level::segment, "binary data")) return;
  m_out += m_options.delimiters.element;
  ++m_element;
  m_out.append(bytes);
  m_keep = m_out.size();
}

void Writer::finish_segment() {
  m_out.resize(m_keep);
  m_out += m_options.delimiters.segment;
  if (m_options.newline_after_segment) m_out += '\n';
  ++m_position;
  ++m_segments;
}

void Writer::end_segment() {
  if (!expect_level(Level::segment, "the end of a segment")) return;
  finish_segment();
  m_level = Level::transaction;
}

void Writer::segment(std::initializer_list<std::string_view> elements) {
  if (elements.size() == 0) return;
  auto it = elements.begin();
  begin_segment(*it);
  for (++it; it != elements.end(); ++it) element(*it);
  end_segment();
}

void Writer::begin_interchange(const InterchangeHeader& h, std::uint32_t control_number) {
  if (!expect_level(Level::none, "ISA")) return;
  m_position = 0;
  m_segment_id = "ISA";
  m_segment_start = m_out.size();
  if (!control_valid(control_number, ErrorCode::isa_malformed, 13)) return;
  if (h.usage != 'T' && h.usage != 'P')
    return fail_here(ErrorCode::isa_malformed, 15, "ISA15 must be T or P");
  const auto days = std::chrono::floor<std::chrono::days>(h.time);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{h.time - days};
  char date8[16], time4[8];
  std::snprintf(date8, sizeof date8, "%04d%02u%02u", static_cast<int>(ymd.year()) % 10000,
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  std::snprintf(time4, sizeof time4, "%02d%02d", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()));
  m_date8 = date8;
  m_time4 = time4;
  std::snprintf(m_isa13, sizeof m_isa13, "%09u", control_number);

  const Delimiters& d = m_options.delimiters;
  const std::pair<std::string_view, std::size_t> fields[16] = {
      {h.authorization_qualifier, 2},
      {h.authorization, 10},
      {h.security_qualifier, 2},
      {h.security, 10},
      {h.sender_qualifier, 2},
      {h.sender_id, 15},
      {h.receiver_qualifier, 2},
      {h.receiver_id, 15},
      {std::string_view(m_date8).substr(2), 6},
      {m_time4, 4},
      {std::string_view(&d.repetition, 1), 1},
      {"00501", 5},
      {m_isa13, 9},
      {h.ack_requested ? "1" : "0", 1},
      {std::string_view(&h.usage, 1), 1},
      {std::string_view(&d.component, 1), 1},
  };
  m_out += "ISA";
  for (int i = 0; i < 16; ++i) {
    const auto [value, width] = fields[i];
    m_out += d.element;
    if (value.size() > width)
      return fail_here(ErrorCode::isa_malformed, i + 1,
                       "ISA" + std::string(i < 9 ? "0" : "") + std::to_string(i + 1) +
                           " is wider than its " + std::to_string(width) + " characters",
                       value);
    if (i == 10 || i == 15)
      m_out += value;  // a delimiter, not data
    else
      put_checked(value, i + 1);
    m_out.append(width - value.size(), ' ');
  }
  if (!m_status) return;
  m_keep = m_out.size();
  finish_segment();
  m_groups = 0;
  m_group_seen = false;
  m_level = Level::interchange;
}

void Writer::begin_group(std::string_view functional_id, std::string_view application_sender,
                         std::string_view application_receiver, std::string_view version,
                         std::uint32_t control_number) {
  if (!expect_level(Level::interchange, "GS")) return;
  m_segment_id = "GS";
  if (!control_valid(control_number, ErrorCode::group_control_invalid, 6)) return;
  std::snprintf(m_gs06, sizeof m_gs06, "%u", control_number);
  m_version.assign(version);
  m_functional_id.assign(functional_id);
  m_group_seen = true;
  envelope_segment({"GS", functional_id, application_sender, application_receiver, m_date8, m_time4,
                    m_gs06, "X", version},
                   Level::group);
  m_sets = 0;
}

void Writer::begin_transaction(std::string_view set_id, std::uint32_t control_number) {
  if (!expect_level(Level::group, "ST")) return;
  m_segment_id = "ST";
  if (!control_valid(control_number, ErrorCode::transaction_control_invalid, 2)) return;
  std::snprintf(m_st02, sizeof m_st02, "%04u", control_number);
  m_segments = 0;
  envelope_segment({"ST", set_id, m_st02, m_version}, Level::transaction);
}

void Writer::end_transaction() {
  if (!expect_level(Level::transaction, "SE")) return;
  trailer("SE", m_segments + 1, m_st02, Level::group);
  ++m_sets;
}

void Writer::end_group() {
  if (!expect_level(Level::group, "GE")) return;
  trailer("GE", m_sets, m_gs06, Level::interchange);
  ++m_groups;
}

void Writer::interchange_segment(std::initializer_list<std::string_view> elements) {
  if (!expect_level(Level::interchange, "a segment between ISA and GS")) return;
  if (m_group_seen) {
    fail_here(ErrorCode::unexpected_segment, 0,
              "a segment directly inside the interchange must come before its first GS");
    return;
  }
  envelope_segment(elements, Level::interchange);
}

void Writer::end_interchange() {
  if (!expect_level(Level::interchange, "IEA")) return;
  trailer("IEA", m_groups, m_isa13, Level::none);
}

}  // namespace x12
