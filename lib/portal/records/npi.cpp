#include "portal/records/npi.hpp"

#include <algorithm>
#include <cctype>

#include "portal/util/strings.hpp"

namespace portal::records {

namespace {
bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Luhn sum of "80840" + nine digits, doubling from the rightmost (the check digit comes next).
int luhn_sum_with_prefix(std::string_view first_nine) {
  std::string digits = std::string("80840") + std::string(first_nine);
  int sum = 0;
  bool twice = true;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum;
}
}  // namespace

char npi_check_digit(std::string_view first_nine) {
  int sum = luhn_sum_with_prefix(first_nine);
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool npi_is_valid(std::string_view npi) {
  if (npi.size() != 10 || !all_digits(npi)) return false;
  return npi_check_digit(npi.substr(0, 9)) == npi[9];
}

std::string normalize_us_phone(std::string_view text) {
  std::string digits;
  for (unsigned char c : text) {
    if (std::isdigit(c))
      digits += static_cast<char>(c);
    else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '+')
      return {};
  }
  if (digits.size() == 11 && digits[0] == '1') digits.erase(0, 1);
  if (digits.size() != 10 || digits[0] < '2' || digits[3] < '2') return {};
  return digits;
}

std::string normalize_tax_id(std::string_view text) {
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (std::isdigit(c))
      digits += static_cast<char>(c);
    else if (!(c == '-' && i == 2))
      return {};
  }
  return digits.size() == 9 ? digits : std::string{};
}

std::string normalize_email(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return util::lower(text.substr(begin, end - begin + 1));
}

}  // namespace portal::records
