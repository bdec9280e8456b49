// Determination letters: the PDF a decision on a prior-authorization order produces, rendered
// with libharu and stored under DATA_DIR/letters/ when the decision is made.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace portal::sandbox {

struct LetterContent {
  std::string letter_id;
  std::string kind;  // approval | denial | partial-approval
  std::string plan_name, solution_name;
  std::string order_id, acmp_number;  // acmp_number may be ""
  std::string member_name, member_id, date_of_birth;
  std::string ordering_npi, servicing_npi;
  std::string service_start, service_end;
  struct Procedure {
    std::string code;
    std::int64_t units = 0, approved_units = 0;
  };
  std::vector<Procedure> procedures;
  std::vector<std::string> diagnoses;
  std::string decision_date;  // YYYY-MM-DD
  std::string note;           // the reviewer's, may be ""
};

// Writes the letter as a PDF to `file` (through a temporary file and a rename, so a reader
// never sees half a letter). Throws std::runtime_error when libharu or the file system fails.
void write_letter_pdf(const LetterContent& letter, const std::filesystem::path& file);

}  // namespace portal::sandbox
