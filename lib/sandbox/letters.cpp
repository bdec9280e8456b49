#include "sandbox/letters.hpp"

#include <hpdf.h>

#include <stdexcept>

#include "portal/util/atomic_file.hpp"

namespace portal::sandbox {

namespace {

// libharu reports errors through a callback; the status is checked once the letter is written.
void on_hpdf_error(HPDF_STATUS error, HPDF_STATUS detail, void* user_data) {
  auto* status = static_cast<HPDF_STATUS*>(user_data);
  if (*status == HPDF_OK) *status = error != HPDF_OK ? error : detail;
}

// The standard fonts speak WinAnsi (CP1252): Latin-1 letters pass as they are (names such as
// Zoë or Núñez), anything further is shown as '?'.
std::string to_win_ansi(const std::string& utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size();) {
    auto b = static_cast<unsigned char>(utf8[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
    char32_t cp = extra == 3 ? b & 0x07u : extra == 2 ? b & 0x0Fu : b & 0x1Fu;
    ++i;
    for (int k = 0; k < extra && i < utf8.size(); ++k, ++i) cp = (cp << 6) | (utf8[i] & 0x3Fu);
    out += cp >= 0xA0 && cp <= 0xFF ? static_cast<char>(cp) : '?';
  }
  return out;
}

const char* title_of(const std::string& kind) {
  if (kind == "approval") return "Prior Authorization Approved";
  if (kind == "denial") return "Prior Authorization Denied";
  return "Prior Authorization Partially Approved";
}

}  // namespace

void write_letter_pdf(const LetterContent& l, const std::filesystem::path& file) {
  HPDF_STATUS status = HPDF_OK;
  HPDF_Doc pdf = HPDF_New(on_hpdf_error, &status);
  if (pdf == nullptr) throw std::runtime_error("cannot create a PDF document");
  struct Guard {
    HPDF_Doc doc;
    ~Guard() { HPDF_Free(doc); }
  } guard{pdf};
  HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
  HPDF_SetInfoAttr(pdf, HPDF_INFO_TITLE, title_of(l.kind));
  HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, "provportal-sandbox");
  HPDF_Font regular = HPDF_GetFont(pdf, "Helvetica", "WinAnsiEncoding");
  HPDF_Font bold = HPDF_GetFont(pdf, "Helvetica-Bold", "WinAnsiEncoding");
  HPDF_Page page = HPDF_AddPage(pdf);
  HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_LETTER, HPDF_PAGE_PORTRAIT);
  const float left = 60;
  float y = HPDF_Page_GetHeight(page) - 70;
  auto line = [&](HPDF_Font font, float size, const std::string& text, float gap) {
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, font, size);
    HPDF_Page_TextOut(page, left, y, to_win_ansi(text).c_str());
    HPDF_Page_EndText(page);
    y -= gap;
  };
  line(bold, 16, l.plan_name, 22);
  line(regular, 10, "Utilization management - " + l.solution_name, 30);
  line(bold, 14, title_of(l.kind), 26);
  line(regular, 11, "Date of decision: " + l.decision_date, 16);
  line(regular, 11, "Order ID: " + l.order_id, 16);
  if (!l.acmp_number.empty()) line(regular, 11, "ACMP number: " + l.acmp_number, 16);
  line(regular, 11, "Letter: " + l.letter_id, 24);
  line(regular, 11,
       "Member: " + l.member_name + " (ID " + l.member_id + ", born " + l.date_of_birth + ")", 16);
  line(
      regular, 11,
      "Ordering provider NPI: " + l.ordering_npi + "    Servicing provider NPI: " + l.servicing_npi,
      16);
  line(regular, 11, "Requested dates of service: " + l.service_start + " to " + l.service_end, 16);
  std::string diagnoses;
  for (const auto& d : l.diagnoses) diagnoses += (diagnoses.empty() ? "" : ", ") + d;
  line(regular, 11, "Diagnoses: " + diagnoses, 26);
  line(bold, 11, "Procedure      Requested units      Approved units", 16);
  for (const auto& p : l.procedures) {
    char row[128];
    std::snprintf(row, sizeof row, "%-14s %-20lld %lld", p.code.c_str(),
                  static_cast<long long>(p.units), static_cast<long long>(p.approved_units));
    line(regular, 11, row, 15);
  }
  y -= 12;
  std::string decision =
      l.kind == "approval" ? "The requested services are approved as listed above."
      : l.kind == "denial"
          ? "The requested services are denied: the clinical criteria were not met."
          : "The requested services are approved in part, for the units listed above.";
  line(regular, 11, decision, 16);
  if (!l.note.empty()) line(regular, 11, "Reviewer's note: " + l.note.substr(0, 150), 16);
  if (l.kind != "approval") {
    line(regular, 11, "You may appeal this decision within 60 days of the date of this letter.",
         16);
  }
  line(regular, 9,
       "Approval is not a guarantee of payment; benefits depend on eligibility on the date of "
       "service.",
       16);

  // Rendered into memory, then written whole by the one safe writer.
  std::string bytes;
  if (status == HPDF_OK && HPDF_SaveToStream(pdf) == HPDF_OK) {
    HPDF_ResetStream(pdf);
    for (;;) {
      HPDF_BYTE chunk[64 * 1024];
      HPDF_UINT32 n = sizeof chunk;
      HPDF_STATUS read = HPDF_ReadFromStream(pdf, chunk, &n);
      bytes.append(reinterpret_cast<const char*>(chunk), n);
      if (read == HPDF_STREAM_EOF) break;
      if (read != HPDF_OK) {
        status = read;
        break;
      }
    }
  }
  if (status != HPDF_OK || bytes.empty()) {
    throw std::runtime_error("cannot write the letter " + file.string() + " (libharu error " +
                             std::to_string(status) + ")");
  }
  std::filesystem::create_directories(file.parent_path());
  if (auto written = write_file_atomically(file, bytes); !written) {
    throw std::runtime_error("cannot write the letter " + file.string() + ": " +
                             written.error().message);
  }
}

}  // namespace portal::sandbox
