// HTTP MIME multipart/form-data envelopes: one form-data part per field, CRLF line ends, the
// Payload part last and carried as raw bytes.
#include <cctype>

#include "caqh/envelope.hpp"
#include "caqh/fields.hpp"

namespace caqh {

namespace {

constexpr std::size_t k_max_parts = 64;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The value of parameter `name` in a header value such as `form-data; name="PayloadType"` (or
// the boundary of a Content-Type): quoted (backslash escapes honoured) or a token; nullopt when
// absent.
std::optional<std::string> parameter(std::string_view header, std::string_view name) {
  std::size_t i = header.find(';');
  while (i != std::string_view::npos && i < header.size()) {
    ++i;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    std::size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string key = lower(trim(header.substr(i, eq - i)));
    std::size_t v = eq + 1;
    while (v < header.size() && (header[v] == ' ' || header[v] == '\t')) ++v;
    std::string value;
    std::size_t end = v;
    if (v < header.size() && header[v] == '"') {
      for (end = v + 1; end < header.size() && header[end] != '"'; ++end) {
        if (header[end] == '\\' && end + 1 < header.size()) ++end;
        value += header[end];
      }
      if (end < header.size()) ++end;  // the closing quote
    } else {
      while (end < header.size() && header[end] != ';' && header[end] != ' ' && header[end] != '\t')
        ++end;
      value = std::string(header.substr(v, end - v));
    }
    if (key == name) return value;
    i = header.find(';', end);
  }
  return std::nullopt;
}

// The next line of `s` from `pos` (without its CRLF or LF); advances `pos` past it.
std::string_view next_line(std::string_view s, std::size_t& pos) {
  std::size_t nl = s.find('\n', pos);
  std::size_t end = nl == std::string_view::npos ? s.size() : nl;
  std::string_view line = s.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = nl == std::string_view::npos ? s.size() : nl + 1;
  return line;
}

void part_into(std::string& out, std::string_view boundary, std::string_view name,
               std::string_view value) {
  out += "--";
  out += boundary;
  out += "\r\nContent-Disposition: form-data; name=\"";
  out += name;
  out += "\"\r\n\r\n";
  out += value;
  out += "\r\n";
}

}  // namespace

std::string boundary_of(std::string_view content_type) {
  return parameter(content_type, "boundary").value_or("");
}

std::string mime_content_type(std::string_view boundary) {
  bool token = !boundary.empty();
  for (char c : boundary) token = token && is_token_char(c);
  if (token) return "multipart/form-data; boundary=" + std::string(boundary);
  return "multipart/form-data; boundary=\"" + std::string(boundary) + "\"";
}

std::string to_mime(const Envelope& envelope, std::string_view boundary,
                    const Credentials* credentials) {
  std::string out;
  out.reserve(1024 + envelope.payload.size());
  const char letter = detail::message_letter(envelope.message);
  auto field = [&](std::string_view name) {
    const detail::Field* f = detail::field_named(name, false);
    std::string value = detail::field_text(envelope, *f);
    const bool required = f->required_in.find(letter) != std::string_view::npos;
    if (value.empty() && !required && !(name == "ErrorMessage" && !envelope.error_code.empty()))
      return;
    part_into(out, boundary, name, value);
  };
  // OpenEMR's order, which payers' MIME samples share; the order carries no meaning.
  for (std::string_view name :
       {"ProcessingMode", "TimeStamp", "PayloadID", "CORERuleVersion", "ReceiverID", "SenderID",
        "PayloadType", "PayloadLength", "CheckSum"})
    field(name);
  if (credentials != nullptr) {
    part_into(out, boundary, "UserName", credentials->username);
    part_into(out, boundary, "Password", credentials->password);
  }
  field("ErrorCode");
  field("ErrorMessage");
  field("Payload");
  out += "--";
  out += boundary;
  out += "--\r\n";
  return out;
}

Parsed from_mime(std::string_view content_type, std::string_view body) {
  Parsed out;
  std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (media.rfind("multipart/", 0) != 0) {
    out.problem = "the Content-Type is not multipart/form-data";
    return out;
  }
  std::string boundary = boundary_of(content_type);
  if (boundary.empty() || boundary.size() > 200) {
    out.problem = "the Content-Type names no boundary";
    return out;
  }
  const std::string delimiter = "--" + boundary;
  // The first delimiter starts the body or a line after the preamble.
  std::size_t pos = 0;
  if (body.substr(0, delimiter.size()) != delimiter) {
    pos = body.find("\n" + delimiter);
    if (pos == std::string_view::npos) {
      out.problem = "the body holds no part delimited by the boundary";
      return out;
    }
    ++pos;
  }
  Envelope e;
  e.processing_mode.clear();
  e.rule_version.clear();
  std::optional<std::string> user, password;
  std::string bad_length;
  std::size_t parts = 0;
  bool closed = false;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") {
      closed = true;
      break;
    }
    next_line(body, pos);  // transport padding after the delimiter
    if (++parts > k_max_parts) {
      out.problem = "more than " + std::to_string(k_max_parts) + " parts";
      return out;
    }
    std::string name;
    bool base64 = false;
    for (;;) {
      if (pos >= body.size()) break;
      std::string_view line = next_line(body, pos);
      if (line.empty()) break;
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string key = lower(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (key == "content-disposition") name = parameter(value, "name").value_or("");
      if (key == "content-transfer-encoding") base64 = lower(value) == "base64";
    }
    // The content runs to the line break before the next delimiter.
    std::size_t next = body.find("\n" + delimiter, pos);
    if (next == std::string_view::npos) {
      out.problem = "the body ends inside a part (no closing boundary)";
      return out;
    }
    std::size_t end = next > pos && body[next - 1] == '\r' ? next - 1 : next;
    if (end < pos) end = pos;
    std::string value(body.substr(pos, end - pos));
    pos = next + 1;
    if (base64) {
      auto decoded = detail::base64_decode(value);
      if (!decoded) {
        out.problem = "the " + name + " part says base64 but is not";
        return out;
      }
      value = std::move(*decoded);
    }
    const std::string key = lower(name);
    if (key == "username") {
      if (!user) user = std::string(trim(value));
      continue;
    }
    if (key == "password") {
      if (!password) password = value;
      continue;
    }
    const detail::Field* f = detail::field_named(name, true);
    if (f == nullptr || !detail::field_text(e, *f).empty()) continue;
    if (f->text != &Envelope::payload) value = std::string(trim(value));
    if (!detail::set_field(e, *f, value)) bad_length = value;
  }
  if (!closed) {
    out.problem = "the body has no closing boundary";
    return out;
  }
  const bool batch = e.processing_mode == "Batch";
  const bool response = !e.error_code.empty();
  e.message = batch ? batch_message_of(e.payload_type, response)
                    : (response ? Message::real_time_response : Message::real_time_request);
  if (user && password) out.credentials = Credentials{*user, *password};
  if (!bad_length.empty()) {
    out.problem = "PayloadLength is not a whole number: " + bad_length.substr(0, 40);
    out.error_code = "PayloadLengthIllegal";
    out.incomplete = std::move(e);
    return out;
  }
  if (const detail::Field* missing = detail::first_missing(e)) {
    out.problem = std::string(missing->name) + " is missing";
    out.error_code = std::string(missing->name) + "Required";
    out.incomplete = std::move(e);
    return out;
  }
  out.envelope = std::move(e);
  return out;
}

}  // namespace caqh
