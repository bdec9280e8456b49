// 275 additional information to support a health care services review (005010X210): writer and
// streaming reader. The document travels in BIN, whose data the Reader reads by its length.
#include <string>
#include <utility>

#include "x12/guide.hpp"
#include "x12/transactions.hpp"
#include "x12/transactions_detail.hpp"

namespace x12 {

void write_275(Writer& writer, std::uint32_t st02, const Attachment& a, std::string_view bytes) {
  using detail::Field;
  using detail::or_default;
  detail::Emitter out(writer, k_guide_275);
  if (a.control.number.empty()) {
    out.fail(ErrorCode::element_missing, "TRN", 2,
             "a 275 needs its attachment control number (TRN02, the PWK06 it answers)");
    return;
  }
  if (bytes.empty()) {
    out.fail(ErrorCode::element_missing, "BIN", 2,
             "a 275 needs the document: BIN02 holds at least one byte");
    return;
  }
  out.begin(st02);
  const std::string date = a.created_date.empty() ? std::string(writer.interchange_date())
                                                  : out.d8(a.created_date, "BGN", 3);
  const std::string_view time =
      a.created_time.empty() ? writer.interchange_time() : std::string_view(a.created_time);
  out.segment("BGN", {or_default(a.purpose, "02"), a.reference, date, time});
  out.loop("1000A");
  detail::write_nm1(out, a.payer, "PR", "PI");
  out.loop("1000B");
  if (detail::party_empty(a.submitter)) {
    Party submitter = a.provider;  // the provider sends its own attachment
    submitter.entity_code.clear();
    detail::write_nm1(out, submitter, "41", "XX");
  } else {
    detail::write_nm1(out, a.submitter, "41", "46");
  }
  out.loop("1000C");
  detail::write_nm1(out, a.provider, "1P", "XX");
  out.loop("1000D");
  detail::write_nm1(out, a.patient, "QC", "MI");
  if (!a.patient_account.empty()) out.segment("REF", {"EJ", a.patient_account});
  if (!a.service.from.empty()) out.dtp(a.service, "472");
  out.loop("2000A");
  out.segment("LX", {"1"});
  detail::write_trn(out, a.control, "1");
  out.loop("2100B");
  const std::string submitted = a.submitted_date.empty() ? std::string(writer.interchange_date())
                                                         : out.d8(a.submitted_date, "DTP", 3);
  out.segment("DTP", {"368", "D8", submitted});
  out.segment("CAT", {or_default(a.category, "AE"), or_default(a.format, "MB")});
  out.loop("2110B");
  out.segment("EFI", {or_default(a.file_format, "05")});
  const std::string length = std::to_string(bytes.size());
  out.segment("BIN", {length, Field::bytes(bytes)});
  out.end();
}

void write_275(Writer& writer, std::uint32_t st02, const Attachment& attachment) {
  write_275(writer, st02, attachment, attachment.data);
}

namespace {

using detail::is;

// Where in a 275 the reader is.
enum class Part : std::uint8_t { header, patient, detail, document };

class Read275 final : public detail::Builder {
 public:
  explicit Read275(const Each<Attachment>& each) : m_each(each) {}
  void begin(const detail::SetContext& set) override {
    m_set = &set;
    m_item = {};
    m_part = Part::header;
  }
  void on(const Segment& s) override;
  void end(bool) override {}

 private:
  void misplaced(const Segment& s) {
    m_set->problems->add(
        s, ErrorCode::unexpected_segment, {}, 0,
        "segment " + std::string(s.id().substr(0, 3)) + " is out of place in a 275; skipped");
  }

  const Each<Attachment>& m_each;
  const detail::SetContext* m_set = nullptr;
  Attachment m_item;
  Part m_part = Part::header;
};

void Read275::on(const Segment& s) {
  const std::string_view id = s.id();
  detail::Problems& problems = *m_set->problems;
  if (is(id, "BGN")) {
    if (m_part != Part::header) return misplaced(s);
    m_item.purpose = s.element(1);
    m_item.reference = s.element(2);
    m_item.created_date = from_d8(s.element(3));
    m_item.created_time = s.element(4);
    return;
  }
  if (is(id, "NM1")) {
    if (m_part != Part::header && m_part != Part::patient) return misplaced(s);
    Party party = detail::read_party(s);
    const std::string_view entity = party.entity_code;
    if (entity == "PR") {
      m_item.payer = std::move(party);
    } else if (entity == "41") {
      m_item.submitter = std::move(party);
    } else if (entity == "1P") {
      m_item.provider = std::move(party);
    } else if (entity == "QC") {
      m_item.patient = std::move(party);
      m_part = Part::patient;
    }
    return;
  }
  if (is(id, "REF")) {
    if (m_part == Part::patient && s.element(1) == "EJ") m_item.patient_account = s.element(2);
    return;
  }
  if (is(id, "LX")) {
    if (m_part == Part::header) return misplaced(s);
    m_part = Part::detail;
    m_item.control = {};
    m_item.submitted_date.clear();
    m_item.category.clear();
    m_item.format.clear();
    m_item.file_format.clear();
    return;
  }
  if (is(id, "TRN")) {
    if (m_part != Part::detail) return misplaced(s);
    detail::read_trace(s, m_item.control);
    return;
  }
  if (is(id, "DTP")) {
    DatePeriod d;
    if (!detail::read_dtp(s, d, problems, m_part == Part::patient ? "1000D" : "2000A")) return;
    if (m_part == Part::patient && d.qualifier == "472") m_item.service = std::move(d);
    if (m_part != Part::header && m_part != Part::patient && d.qualifier == "368") {
      m_item.submitted_date = d.from;
      m_part = Part::document;
    }
    return;
  }
  if (is(id, "CAT")) {
    if (m_part != Part::document) return misplaced(s);
    m_item.category = s.element(1);
    m_item.format = s.element(2);
    return;
  }
  if (is(id, "EFI")) {
    if (m_part != Part::document) return misplaced(s);
    m_item.file_format = s.element(1);
    return;
  }
  if (is(id, "BIN")) {
    if (m_part != Part::document) return misplaced(s);
    if (m_stopped) return;
    Attachment item = m_item;
    item.data.assign(s.element(2));
    if (!m_each(std::move(item), m_set->st)) m_stopped = true;
    return;
  }
}

}  // namespace

ReadSummary read_275(Reader& reader, const Each<Attachment>& each) {
  Read275 builder(each);
  return detail::read_sets(reader, k_guide_275, builder);
}

}  // namespace x12
