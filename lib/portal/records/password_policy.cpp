#include "portal/records/password_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "portal/util/strings.hpp"

namespace portal::records {

namespace {

constexpr std::array k_common_passwords = {
#include "portal/records/common_passwords.inc"
};

// Counts code points; returns -1 on invalid UTF-8 (overlong, surrogates, truncated).
long utf8_length(std::string_view s) {
  long count = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      n = 1;
      cp = c;
    } else if ((c >> 5) == 0x6) {
      n = 2;
      cp = c & 0x1f;
    } else if ((c >> 4) == 0xe) {
      n = 3;
      cp = c & 0x0f;
    } else if ((c >> 3) == 0x1e) {
      n = 4;
      cp = c & 0x07;
    } else
      return -1;
    if (i + n > s.size()) return -1;
    for (std::size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return -1;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return -1;
    }
    i += n;
    ++count;
  }
  return count;
}

// True for "aaaaaaaa", "12345678", "abcdefgh", "87654321" and the like.
bool repetitive_or_sequential(std::string_view s) {
  if (s.size() < 2) return false;
  bool same = true, up = true, down = true;
  for (std::size_t i = 1; i < s.size(); ++i) {
    int d = static_cast<unsigned char>(s[i]) - static_cast<unsigned char>(s[i - 1]);
    same = same && d == 0;
    up = up && d == 1;
    down = down && d == -1;
  }
  return same || up || down;
}

}  // namespace

std::optional<std::string> password_problem(std::string_view password, std::string_view email,
                                            std::string_view first_name,
                                            std::string_view last_name) {
  long length = utf8_length(password);
  if (length < 0) return "the password is not valid UTF-8 text";
  if (static_cast<std::size_t>(length) < k_password_min_length) {
    return "the password is too short: use at least " + std::to_string(k_password_min_length) +
           " characters (a passphrase of several words is easiest to remember)";
  }
  if (static_cast<std::size_t>(length) > k_password_max_length) {
    return "the password is too long: use at most " + std::to_string(k_password_max_length) +
           " characters";
  }
  if (std::any_of(password.begin(), password.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return "the password contains a control character (such as a newline or tab)";
  }
  std::string low = util::lower(password);
  for (std::string_view common : k_common_passwords) {
    if (low == common)
      return "the password is one of the most commonly used passwords; choose another";
  }
  if (repetitive_or_sequential(low)) {
    return "the password is a repeated or sequential string of characters; choose another";
  }
  auto contains_word = [&](std::string_view word) {
    std::string w = util::lower(word);
    return w.size() >= 4 && low.find(w) != std::string::npos;
  };
  auto at = email.find('@');
  if (contains_word(at == std::string_view::npos ? email : email.substr(0, at)) ||
      contains_word(first_name) || contains_word(last_name)) {
    return "the password contains your name or email address; choose another";
  }
  return std::nullopt;
}

}  // namespace portal::records
