#include "portal/records/codes.hpp"

namespace portal::records {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_digit(c) || is_upper(c); }
}  // namespace

bool is_cpt_code(std::string_view code) {
  if (code.size() != 5) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!is_digit(code[i])) return false;
  }
  return is_alnum(code[4]);
}

bool is_hcpcs_code(std::string_view code) {
  if (code.size() != 5 || code[0] < 'A' || code[0] > 'V') return false;
  for (std::size_t i = 1; i < 5; ++i) {
    if (!is_digit(code[i])) return false;
  }
  return true;
}

bool is_procedure_code(std::string_view code) { return is_cpt_code(code) || is_hcpcs_code(code); }

bool is_icd10cm_code(std::string_view code) {
  if (code.size() < 3 || !is_upper(code[0]) || !is_digit(code[1]) || !is_alnum(code[2])) {
    return false;
  }
  std::string_view rest = code.substr(3);
  if (!rest.empty() && rest.front() == '.')
    rest.remove_prefix(1);
  else if (rest.empty())
    return true;
  if (rest.empty() || rest.size() > 4) return false;
  for (char c : rest) {
    if (!is_alnum(c)) return false;
  }
  return true;
}

std::string canonical_icd10cm(std::string_view code) {
  std::string out(code.substr(0, 3));
  std::string_view rest = code.size() > 3 ? code.substr(3) : std::string_view();
  if (!rest.empty() && rest.front() == '.') rest.remove_prefix(1);
  if (!rest.empty()) {
    out += '.';
    out += rest;
  }
  return out;
}

}  // namespace portal::records
