// JSON text written straight into one growing buffer, for output too big to build as values
// first (JSON Lines of a million records). Strings are escaped as Boost.JSON's serializer
// escapes them, so a record written here and the same record serialized from a json::value are
// the same bytes.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace portal::output {

class JsonText {
 public:
  // The text written so far.
  std::string_view view() const { return {m_data.get(), m_size}; }
  std::size_t size() const { return m_size; }
  // Forgets the text (the memory stays for the next).
  void clear() {
    m_size = 0;
    m_comma = false;
  }
  // Forgets the text after the first `size` bytes (a size view() had at the end of a line).
  void truncate(std::size_t size) {
    if (size < m_size) m_size = size;
    m_comma = false;
  }

  // Structure. A comma goes before a key or a value that follows another in its container.
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // A member's key, written as it is: a name of the program's own, which needs no escaping.
  void key(std::string_view name) {
    reserve(name.size() + 4);
    char* p = tail();
    if (m_comma) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = '"';
    *p++ = ':';
    m_size = static_cast<std::size_t>(p - m_data.get());
    m_comma = false;
  }
  // Values.
  void string(std::string_view text);
  void null() { literal("null"); }
  void boolean(bool b) { literal(b ? "true" : "false"); }
  void integer(long long n);
  // A value that is JSON text already (a serializer's output).
  void literal(std::string_view json) {
    reserve(json.size() + 1);
    if (m_comma) m_data[m_size++] = ',';
    std::memcpy(tail(), json.data(), json.size());
    m_size += json.size();
    m_comma = true;
  }
  // Text as it is, no comma before it: a piece of a value written in pieces (a serializer's
  // output at the start of a line).
  void append(std::string_view text) {
    reserve(text.size());
    std::memcpy(tail(), text.data(), text.size());
    m_size += text.size();
  }
  // Ends a line of JSON Lines; the next value starts one.
  void newline() {
    reserve(1);
    m_data[m_size++] = '\n';
    m_comma = false;
  }

 private:
  char* tail() { return m_data.get() + m_size; }
  void reserve(std::size_t n) {
    if (m_capacity - m_size < n) grow(n);
  }
  void grow(std::size_t n);
  void open(char c) {
    reserve(2);
    if (m_comma) m_data[m_size++] = ',';
    m_data[m_size++] = c;
    m_comma = false;
  }
  void close(char c) {
    reserve(1);
    m_data[m_size++] = c;
    m_comma = true;
  }

  std::unique_ptr<char[]> m_data;
  std::size_t m_size = 0;
  std::size_t m_capacity = 0;
  bool m_comma = false;  // a value was written in the open container: the next needs a comma
};

}  // namespace portal::output
