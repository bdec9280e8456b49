// SOAP 1.2 envelopes: written by hand with XML escaping, read with libxml2 with the network,
// entity substitution and DTD loading off, any DOCTYPE refused as soon as the parser meets it,
// and a size bound.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <memory>
#include <mutex>

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

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

struct Guard {
  bool doctype = false;
};

// The SAX callback for <!DOCTYPE ...>: called before the internal subset (and so any entity
// declaration) is read; the parse stops there.
void refuse_doctype(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  if (auto* guard = static_cast<Guard*>(ctxt->_private)) guard->doctype = true;
  xmlStopParser(ctxt);
}

std::string_view as_view(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

std::string_view ns_of(const xmlNode* n) {
  return n->ns ? as_view(n->ns->href) : std::string_view();
}

bool is(const xmlNode* n, std::string_view local, std::string_view ns) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && as_view(n->name) == local && ns_of(n) == ns;
}

// The first element child named `local` in namespace `ns`, or nullptr.
const xmlNode* child(const xmlNode* parent, std::string_view local, std::string_view ns) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next) {
    if (is(c, local, ns)) return c;
  }
  return nullptr;
}

// The same, in any namespace (WS-Security elements, whose namespaces partners vary).
const xmlNode* child_any_ns(const xmlNode* parent, std::string_view local) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && as_view(c->name) == local) return c;
  }
  return nullptr;
}

const xmlNode* first_element(const xmlNode* parent) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return c;
  }
  return nullptr;
}

std::string text_of(const xmlNode* n) {
  if (n == nullptr) return {};
  xmlChar* content = xmlNodeGetContent(n);
  std::string out(as_view(content));
  xmlFree(content);
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
std::string fault_code(const xmlNode* value) {
  std::string text = trimmed(text_of(value));
  auto colon = text.find(':');
  std::string prefix = colon == std::string::npos ? std::string() : text.substr(0, colon);
  xmlNs* ns =
      xmlSearchNs(value->doc, const_cast<xmlNode*>(value),
                  prefix.empty() ? nullptr : reinterpret_cast<const xmlChar*>(prefix.c_str()));
  if (ns != nullptr && as_view(ns->href) == k_soap12_ns)
    return "env:" + (colon == std::string::npos ? text : text.substr(colon + 1));
  return text;
}

void read_credentials(const xmlNode* header, Parsed& out) {
  const xmlNode* security = child_any_ns(header, "Security");
  const xmlNode* token = child_any_ns(security, "UsernameToken");
  if (token == nullptr) return;
  const xmlNode* user = child_any_ns(token, "Username");
  const xmlNode* password = child_any_ns(token, "Password");
  if (user == nullptr || password == nullptr) return;
  // Only PasswordText is spoken; a digest (or anything else) leaves the request without
  // credentials.
  if (xmlChar* type = xmlGetProp(password, reinterpret_cast<const xmlChar*>("Type"))) {
    std::string t(as_view(type));
    xmlFree(type);
    if (!t.empty() && t != k_password_text && t != "PasswordText" && !t.ends_with("#PasswordText"))
      return;
  }
  out.credentials = Credentials{trimmed(text_of(user)), text_of(password)};
}

void read_core(const xmlNode* root, Message message, Parsed& out) {
  Envelope e;
  e.message = message;
  e.processing_mode.clear();
  e.rule_version.clear();
  std::string bad_length;
  for (const xmlNode* c = root->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    // Children are unqualified in the XSD; partners that qualify them with the CORE namespace
    // are read the same.
    if (c->ns != nullptr && ns_of(c) != k_core_ns) continue;
    const detail::Field* f = detail::field_named(as_view(c->name), false);
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
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  Parsed out;
  if (xml.size() > max_bytes || xml.size() > static_cast<std::size_t>(INT_MAX)) {
    out.problem = "the document is larger than " + std::to_string(max_bytes) + " bytes";
    return out;
  }
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) {
    out.problem = "out of memory";
    return out;
  }
  Guard guard;
  ctxt->_private = &guard;
  ctxt->sax->internalSubset = refuse_doctype;
  // No XML_PARSE_NOENT (entities are not substituted), no DTDLOAD/DTDATTR/DTDVALID, no
  // XML_PARSE_HUGE (libxml2's own limits on depth and text stay), no network; errors are
  // answered, not printed.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  std::unique_ptr<xmlDoc, DocFree> doc(xmlCtxtReadMemory(
      ctxt.get(), xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, options));
  if (guard.doctype || (doc && (doc->intSubset != nullptr || doc->extSubset != nullptr))) {
    out.problem = "a DOCTYPE is not allowed in a SOAP message";
    return out;
  }
  if (!doc || !ctxt->wellFormed) {
    const xmlError* err = xmlCtxtGetLastError(ctxt.get());
    std::string why = err && err->message ? trimmed(err->message) : std::string("not XML");
    out.problem = "not well-formed XML: " + why;
    if (err && err->line > 0) out.problem += " (line " + std::to_string(err->line) + ")";
    return out;
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || as_view(root->name) != "Envelope" || ns_of(root) != k_soap12_ns) {
    out.problem = root != nullptr && ns_of(root) == k_soap11_ns
                      ? "not a SOAP 1.2 envelope (this is SOAP 1.1's namespace)"
                      : "not a SOAP 1.2 envelope";
    return out;
  }
  const xmlNode* header = child(root, "Header", k_soap12_ns);
  const xmlNode* body = child(root, "Body", k_soap12_ns);
  if (body == nullptr) {
    out.problem = "the SOAP envelope has no Body";
    return out;
  }
  if (header != nullptr) read_credentials(header, out);
  const xmlNode* content = first_element(body);
  if (content == nullptr) {
    out.problem = "the SOAP Body is empty";
    return out;
  }
  if (is(content, "Fault", k_soap12_ns)) {
    Fault f;
    if (const xmlNode* value = child(child(content, "Code", k_soap12_ns), "Value", k_soap12_ns))
      f.code = fault_code(value);
    f.reason = trimmed(text_of(child(child(content, "Reason", k_soap12_ns), "Text", k_soap12_ns)));
    out.fault = std::move(f);
    return out;
  }
  auto message = ns_of(content) == k_core_ns ? message_named(as_view(content->name)) : std::nullopt;
  if (!message) {
    out.problem = "the SOAP Body holds {" + std::string(ns_of(content)) + "}" +
                  std::string(as_view(content->name)) + ", not a CORE envelope";
    return out;
  }
  read_core(content, *message, out);
  return out;
}

}  // namespace caqh
