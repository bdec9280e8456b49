// SOAP 1.2 envelopes: written by hand with XML escaping, read with pugixml (no DTDs, no entity
// but XML's own five, any DOCTYPE refused) within a size bound.
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <utility>

#include "caqh/envelope.hpp"
#include "caqh/fields.hpp"

namespace caqh {

namespace {

constexpr std::string_view k_wsse_ns =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
constexpr std::string_view k_password_text =
    "http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-username-token-profile-1.0#PasswordText";
constexpr std::string_view k_soap11_ns = "http://schemas.xmlsoap.org/soap/envelope/";

// Appends `text` escaped for XML character data or an attribute value. Characters XML 1.0
// cannot carry at all (C0 controls but tab, LF and CR) become '?'; CR is written as a
// character reference so a parser's line-end normalisation does not turn it into LF.
void escape_into(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')
          out += '?';
        else
          out += c;
    }
  }
}

// The Payload's content: a CDATA section when that carries it unchanged (no "]]>", no CR, no
// character XML cannot hold), escaped text otherwise.
void payload_into(std::string& out, std::string_view payload) {
  bool cdata_ok = payload.find("]]>") == std::string_view::npos;
  for (char c : payload) {
    if (!cdata_ok) break;
    cdata_ok = static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n';
  }
  if (cdata_ok && !payload.empty()) {
    out += "<![CDATA[";
    out += payload;
    out += "]]>";
  } else {
    escape_into(out, payload);
  }
}

void element_into(std::string& out, std::string_view name, std::string_view value) {
  out += '<';
  out += name;
  out += '>';
  escape_into(out, value);
  out += "</";
  out += name;
  out += '>';
}

constexpr std::string_view k_prologue =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<soapenv:Envelope xmlns:soapenv=\"http://www.w3.org/2003/05/soap-envelope\">";

// ---- reading ---------------------------------------------------------------------------------

// pugixml knows no DTDs and expands no entity but the five predefined ones and character
// references, so nothing in a message can reach a file, the network or memory without bound; a
// DOCTYPE is kept as a node (parse_doctype) only to be refused, and text beside the root as a
// node (parse_fragment) only to be refused too. What pugixml lets through that
// XML 1.0 does not (an undeclared entity reference, bytes that are not UTF-8, a second root or
// text beside the root) is refused here, so a partner's broken message is named, not guessed at.
constexpr unsigned k_parse_options =
    pugi::parse_default | pugi::parse_doctype | pugi::parse_fragment | pugi::parse_ws_pcdata_single;

// The first malformed thing pugixml would let through: an '&' that starts no predefined entity
// or character reference outside CDATA sections and comments, or bytes that are not UTF-8.
// Returns its offset and what it is, or nothing.
std::optional<std::pair<std::size_t, std::string_view>> lenient_spot(std::string_view xml) {
  constexpr std::string_view k_not_utf8 = "bytes that are not UTF-8";
  for (std::size_t i = 0; i < xml.size(); ++i) {
    const auto c = static_cast<unsigned char>(xml[i]);
    if (c >= 0x80) {
      // UTF-8: the lead byte says how many continuation bytes follow; overlong forms,
      // surrogates and values past U+10FFFF are refused as XML 1.0's Char does.
      const std::size_t n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
      if (n == 0 || c > 0xF4 || i + n >= xml.size()) return std::pair{i, k_not_utf8};
      std::uint32_t cp = c & (0x3F >> n);
      for (std::size_t k = 1; k <= n; ++k) {
        const auto cc = static_cast<unsigned char>(xml[i + k]);
        if ((cc & 0xC0) != 0x80) return std::pair{i, k_not_utf8};
        cp = (cp << 6) | (cc & 0x3F);
      }
      if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
          (cp >= 0xD800 && cp <= 0xDFFF))
        return std::pair{i, k_not_utf8};
      i += n;
    } else if (c == '<') {
      std::string_view rest = xml.substr(i);
      std::string_view close = rest.starts_with("<![CDATA[") ? "]]>"
                               : rest.starts_with("<!--")    ? "-->"
                                                             : "";
      if (close.empty()) continue;
      const auto at = xml.find(close, i + 4);
      if (at == std::string_view::npos) return std::nullopt;  // pugixml names the unclosed one
      // Their text is still checked for UTF-8, not for references.
      for (std::size_t k = i; k < at; ++k) {
        if (static_cast<unsigned char>(xml[k]) >= 0x80) {
          auto inner = lenient_spot(xml.substr(k, at - k));
          if (inner) return std::pair{k + inner->first, inner->second};
          break;
        }
      }
      i = at + close.size() - 1;
    } else if (c == '&') {
      std::string_view rest = xml.substr(i + 1, 12);
      const auto semi = rest.find(';');
      std::string_view ref = semi == std::string_view::npos ? rest : rest.substr(0, semi);
      bool ok = semi != std::string_view::npos &&
                (ref == "amp" || ref == "lt" || ref == "gt" || ref == "quot" || ref == "apos");
      if (!ok && semi != std::string_view::npos && ref.size() > 1 && ref[0] == '#') {
        const bool hex = ref[1] == 'x';
        std::string_view digits = ref.substr(hex ? 2 : 1);
        ok = !digits.empty() && std::all_of(digits.begin(), digits.end(), [hex](char d) {
          return hex ? std::isxdigit(static_cast<unsigned char>(d)) != 0
                     : std::isdigit(static_cast<unsigned char>(d)) != 0;
        });
      }
      if (!ok)
        return std::pair{i,
                         "an entity reference that no DTD declares (only &amp; &lt; &gt; &quot; "
                         "&apos; and character references are XML's own)"};
    }
  }
  return std::nullopt;
}

std::size_t line_at(std::string_view xml, std::size_t offset) {
  offset = std::min(offset, xml.size());
  return 1 + static_cast<std::size_t>(
                 std::count(xml.begin(), xml.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string_view local_of(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The namespace a QName's prefix is bound to at `n` (pugixml keeps xmlns attributes as
// attributes): the nearest declaration on `n` or an ancestor; the default namespace for no prefix.
std::string_view ns_for(pugi::xml_node n, std::string_view prefix) {
  if (prefix == "xml") return "http://www.w3.org/XML/1998/namespace";
  std::string attr = prefix.empty() ? std::string("xmlns") : "xmlns:" + std::string(prefix);
  for (; n && n.type() == pugi::node_element; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(attr.c_str())) return a.value();
  }
  return {};
}

std::string_view ns_of(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const auto colon = name.find(':');
  return ns_for(n, colon == std::string_view::npos ? std::string_view() : name.substr(0, colon));
}

bool is(const pugi::xml_node& n, std::string_view local, std::string_view ns) {
  return n && n.type() == pugi::node_element && local_of(n) == local && ns_of(n) == ns;
}

// The first element child named `local` in namespace `ns`, or an empty node.
pugi::xml_node child(const pugi::xml_node& parent, std::string_view local, std::string_view ns) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (is(c, local, ns)) return c;
  }
  return {};
}

// The same, in any namespace (WS-Security elements, whose namespaces partners vary).
pugi::xml_node child_any_ns(const pugi::xml_node& parent, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_of(c) == local) return c;
  }
  return {};
}

pugi::xml_node first_element(const pugi::xml_node& parent) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return c;
  }
  return {};
}

// All the text under `n` (its character data and CDATA sections, in document order, of any
// depth), as XML's string value of an element; walked without recursion.
std::string text_of(const pugi::xml_node& n) {
  std::string out;
  if (!n) return out;
  pugi::xml_node c = n.first_child();
  while (c) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
    if (c.first_child()) {
      c = c.first_child();
      continue;
    }
    while (c && c != n && !c.next_sibling()) c = c.parent();
    if (!c || c == n) break;
    c = c.next_sibling();
  }
  return out;
}

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::optional<Message> message_named(std::string_view local) {
  for (Message m :
       {Message::real_time_request, Message::real_time_response, Message::batch_submission,
        Message::batch_submission_response, Message::batch_results_request,
        Message::batch_results_response, Message::batch_ack_request, Message::batch_ack_response,
        Message::batch_results_ack, Message::batch_results_ack_response}) {
    if (root_name(m) == local) return m;
  }
  return std::nullopt;
}

// A fault's Code/Value QName with its prefix resolved: "env:Sender" when it names the SOAP 1.2
// namespace, the text as written otherwise.
std::string fault_code(const pugi::xml_node& value) {
  std::string text = trimmed(text_of(value));
  auto colon = text.find(':');
  std::string_view prefix =
      colon == std::string::npos ? std::string_view() : std::string_view(text).substr(0, colon);
  if (ns_for(value, prefix) == k_soap12_ns)
    return "env:" + (colon == std::string::npos ? text : text.substr(colon + 1));
  return text;
}

void read_credentials(const pugi::xml_node& header, Parsed& out) {
  pugi::xml_node security = child_any_ns(header, "Security");
  pugi::xml_node token = child_any_ns(security, "UsernameToken");
  if (!token) return;
  pugi::xml_node user = child_any_ns(token, "Username");
  pugi::xml_node password = child_any_ns(token, "Password");
  if (!user || !password) return;
  // Only PasswordText is spoken; a digest (or anything else) leaves the request without
  // credentials.
  if (pugi::xml_attribute type = password.attribute("Type")) {
    std::string_view t = type.value();
    if (!t.empty() && t != k_password_text && t != "PasswordText" && !t.ends_with("#PasswordText"))
      return;
  }
  out.credentials = Credentials{trimmed(text_of(user)), text_of(password)};
}

void read_core(const pugi::xml_node& root, Message message, Parsed& out) {
  Envelope e;
  e.message = message;
  e.processing_mode.clear();
  e.rule_version.clear();
  std::string bad_length;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    // Children are unqualified in the XSD; partners that qualify them with the CORE namespace
    // are read the same.
    if (std::string_view ns = ns_of(c); !ns.empty() && ns != k_core_ns) continue;
    const detail::Field* f = detail::field_named(local_of(c), false);
    if (f == nullptr) continue;
    if (!detail::field_text(e, *f).empty()) continue;  // the first of duplicates wins
    std::string value = text_of(c);
    if (f->text != &Envelope::payload) value = trimmed(std::move(value));
    if (f->text == &Envelope::payload && detail::payload_is_base64(message)) {
      auto decoded = detail::base64_decode(value);
      if (!decoded) {
        out.problem = "Payload is not base64 (batch payloads are base64Binary)";
        out.error_code = "PayloadIllegal";
        out.incomplete = std::move(e);
        return;
      }
      value = std::move(*decoded);
    }
    if (!detail::set_field(e, *f, value)) bad_length = value;
  }
  if (!bad_length.empty()) {
    out.problem = "PayloadLength is not a whole number: " + bad_length.substr(0, 40);
    out.error_code = "PayloadLengthIllegal";
    out.incomplete = std::move(e);
    return;
  }
  if (const detail::Field* missing = detail::first_missing(e)) {
    out.problem = std::string(missing->name) + " is missing";
    out.error_code = std::string(missing->name) + "Required";
    out.incomplete = std::move(e);
    return;
  }
  out.envelope = std::move(e);
}

}  // namespace

// ---- writing ---------------------------------------------------------------------------------

std::string_view soap_action(Message message) {
  switch (message) {
    case Message::real_time_request:
      return "RealTimeTransaction";
    case Message::real_time_response:
      return "RealTimeTransactionResponse";
    case Message::batch_submission:
      return "BatchSubmitTransaction";
    case Message::batch_submission_response:
      return "BatchSubmitTransactionResponse";
    case Message::batch_results_request:
      return "BatchResultsRetrievalTransaction";
    case Message::batch_results_response:
      return "BatchResultsRetrievalTransactionResponse";
    case Message::batch_ack_request:
      return "BatchSubmitAckRetrievalTransaction";
    case Message::batch_ack_response:
      return "BatchSubmitAckRetrievalTransactionResponse";
    case Message::batch_results_ack:
      return "BatchResultsAckSubmitTransaction";
    case Message::batch_results_ack_response:
      return "BatchResultsAckSubmitTransactionResponse";
  }
  return "";
}

std::string soap_content_type(Message message) {
  return "application/soap+xml; charset=UTF-8; action=\"" + std::string(soap_action(message)) +
         "\"";
}

std::string to_soap(const Envelope& envelope, const Credentials* credentials) {
  std::string out;
  out.reserve(1024 +
              envelope.payload.size() * (detail::payload_is_base64(envelope.message) ? 2 : 1));
  out += k_prologue;
  if (credentials != nullptr) {
    out += "<soapenv:Header><wsse:Security xmlns:wsse=\"";
    out += k_wsse_ns;
    out += "\" soapenv:mustUnderstand=\"true\"><wsse:UsernameToken>";
    element_into(out, "wsse:Username", credentials->username);
    out += "<wsse:Password Type=\"";
    out += k_password_text;
    out += "\">";
    escape_into(out, credentials->password);
    out += "</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header>";
  }
  out += "<soapenv:Body><cor:";
  out += root_name(envelope.message);
  out += " xmlns:cor=\"";
  out += k_core_ns;
  out += "\">";
  for (const detail::Field& f : detail::fields()) {
    std::string value = detail::field_text(envelope, f);
    const bool required =
        f.required_in.find(detail::message_letter(envelope.message)) != std::string_view::npos;
    // Optional fields are left out when empty; ErrorMessage goes with ErrorCode.
    if (value.empty() && !required &&
        !(f.text == &Envelope::error_message && !envelope.error_code.empty()))
      continue;
    out += '<';
    out += f.name;
    out += '>';
    if (f.text == &Envelope::payload) {
      if (detail::payload_is_base64(envelope.message))
        out += detail::base64_encode(value);
      else
        payload_into(out, value);
    } else {
      escape_into(out, value);
    }
    out += "</";
    out += f.name;
    out += '>';
  }
  out += "</cor:";
  out += root_name(envelope.message);
  out += "></soapenv:Body></soapenv:Envelope>";
  return out;
}

std::string soap_fault(const Fault& fault) {
  std::string out(k_prologue);
  out += "<soapenv:Body><soapenv:Fault><soapenv:Code><soapenv:Value>";
  std::string_view code = fault.code.empty() ? std::string_view("env:Receiver") : fault.code;
  if (code.substr(0, 4) == "env:") code.remove_prefix(4);
  if (code.find(':') == std::string_view::npos) out += "soapenv:";
  escape_into(out, code);
  out += "</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang=\"en\">";
  escape_into(out, fault.reason);
  out += "</soapenv:Text></soapenv:Reason></soapenv:Fault></soapenv:Body></soapenv:Envelope>";
  return out;
}

Parsed from_soap(std::string_view xml, std::size_t max_bytes) {
  Parsed out;
  if (xml.size() > max_bytes) {
    out.problem = "the document is larger than " + std::to_string(max_bytes) + " bytes";
    return out;
  }
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), k_parse_options, pugi::encoding_utf8);
  for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_doctype) {
      out.problem = "a DOCTYPE is not allowed in a SOAP message";
      return out;
    }
  }
  auto malformed = [&](std::string_view why, std::size_t offset) {
    out.problem = "not well-formed XML: " + std::string(why) + " (line " +
                  std::to_string(line_at(xml, offset)) + ")";
    return out;
  };
  if (!parsed)
    return malformed(parsed.description(),
                     static_cast<std::size_t>(std::max<std::ptrdiff_t>(parsed.offset, 0)));
  if (auto spot = lenient_spot(xml)) return malformed(spot->second, spot->first);
  pugi::xml_node root;
  for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata ||
        (c.type() == pugi::node_element && root))
      return malformed("content after the document's root element",
                       static_cast<std::size_t>(c.offset_debug()));
    if (c.type() == pugi::node_element) root = c;
  }
  if (!root) return malformed("no root element", xml.size());
  if (local_of(root) != "Envelope" || ns_of(root) != k_soap12_ns) {
    out.problem = ns_of(root) == k_soap11_ns
                      ? "not a SOAP 1.2 envelope (this is SOAP 1.1's namespace)"
                      : "not a SOAP 1.2 envelope";
    return out;
  }
  pugi::xml_node header = child(root, "Header", k_soap12_ns);
  pugi::xml_node body = child(root, "Body", k_soap12_ns);
  if (!body) {
    out.problem = "the SOAP envelope has no Body";
    return out;
  }
  if (header) read_credentials(header, out);
  pugi::xml_node content = first_element(body);
  if (!content) {
    out.problem = "the SOAP Body is empty";
    return out;
  }
  if (is(content, "Fault", k_soap12_ns)) {
    Fault f;
    if (pugi::xml_node value = child(child(content, "Code", k_soap12_ns), "Value", k_soap12_ns))
      f.code = fault_code(value);
    f.reason = trimmed(text_of(child(child(content, "Reason", k_soap12_ns), "Text", k_soap12_ns)));
    out.fault = std::move(f);
    return out;
  }
  auto message = ns_of(content) == k_core_ns ? message_named(local_of(content)) : std::nullopt;
  if (!message) {
    out.problem = "the SOAP Body holds {" + std::string(ns_of(content)) + "}" +
                  std::string(local_of(content)) + ", not a CORE envelope";
    return out;
  }
  read_core(content, *message, out);
  return out;
}

}  // namespace caqh
