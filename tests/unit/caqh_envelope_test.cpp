// The CAQH CORE envelope (lib/caqh): SOAP 1.2 and MIME round trips, the documents a hostile
// sender could try (DOCTYPE, external entities, entity expansion), missing and bad fields,
// faults, qualified and unqualified children, PayloadIDs and checksums.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "caqh/envelope.hpp"

using namespace caqh;
using namespace std::string_literals;

namespace {

const std::string k_payload =
    "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*PROVPORTALSBX  *261207*1150*^*00501*"
    "000000001*0*T*:~GS*HS*SUBMITTER*PROVPORTALSBX*20261207*1150*1*X*005010X279A1~ST*270*0001*"
    "005010X279A1~SE*2*0001~GE*1*1~IEA*1*000000001~";

Envelope request() {
  Envelope e;
  e.message = Message::real_time_request;
  e.payload_type = "X12_270_Request_005010X279A1";
  e.payload_id = "f81d4fae-7dec-41d0-a765-00a0c91e6bf6";
  e.timestamp = "2026-12-07T11:50:00Z";
  e.sender_id = "SUBMITTER";
  e.receiver_id = "PROVPORTALSBX";
  e.payload = k_payload;
  return e;
}

void expect_same(const Envelope& a, const Envelope& b) {
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.payload_type, b.payload_type);
  EXPECT_EQ(a.processing_mode, b.processing_mode);
  EXPECT_EQ(a.payload_id, b.payload_id);
  EXPECT_EQ(a.payload_length, b.payload_length);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.sender_id, b.sender_id);
  EXPECT_EQ(a.receiver_id, b.receiver_id);
  EXPECT_EQ(a.rule_version, b.rule_version);
  EXPECT_EQ(a.checksum, b.checksum);
  EXPECT_EQ(a.payload, b.payload);
  EXPECT_EQ(a.error_code, b.error_code);
  EXPECT_EQ(a.error_message, b.error_message);
}

// A SOAP 1.2 request written by hand, with `children` inside the CORE root.
std::string soap_with(const std::string& children,
                      const std::string& root_attrs = " xmlns:cor=\"" + std::string(k_core_ns) +
                                                      "\"") {
  return "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
         "<s:Body><cor:COREEnvelopeRealTimeRequest" +
         root_attrs + ">" + children + "</cor:COREEnvelopeRealTimeRequest></s:Body></s:Envelope>";
}

const std::string k_children =
    "<PayloadType>X12_270_Request_005010X279A1</PayloadType><ProcessingMode>RealTime"
    "</ProcessingMode><PayloadID>f81d4fae-7dec-41d0-a765-00a0c91e6bf6</PayloadID><TimeStamp>"
    "2026-12-07T11:50:00Z</TimeStamp><SenderID>S</SenderID><ReceiverID>R</ReceiverID>"
    "<CORERuleVersion>2.2.0</CORERuleVersion><Payload>ISA*00~</Payload>";

}  // namespace

TEST(CaqhEnvelope, SoapRoundTripWithCredentials) {
  Envelope e = request();
  Credentials c{"jane@clinic.example", "p<&>\"ss word"};
  std::string xml = to_soap(e, &c);
  EXPECT_NE(xml.find("<![CDATA[ISA*00"), std::string::npos) << xml;
  EXPECT_NE(xml.find("#PasswordText"), std::string::npos);
  Parsed p = from_soap(xml);
  ASSERT_TRUE(p.envelope) << p.problem;
  EXPECT_TRUE(p.problem.empty());
  expect_same(*p.envelope, e);
  ASSERT_TRUE(p.credentials);
  EXPECT_EQ(p.credentials->username, c.username);
  EXPECT_EQ(p.credentials->password, c.password);
}

TEST(CaqhEnvelope, SoapResponseRoundTripEscapesWhatCdataCannotHold) {
  Envelope e = request();
  e.message = Message::real_time_response;
  e.payload_type = "X12_271_Response_005010X279A1";
  e.error_code = "Success";
  e.error_message = "Envelope was processed successfully.";
  // "]]>" and CR cannot travel in a CDATA section unchanged: escaped text instead.
  e.payload = "ISA*00*]]>*x~\r\nGS*<&>~\r\n";
  std::string xml = to_soap(e);
  EXPECT_EQ(xml.find("<![CDATA["), std::string::npos);
  Parsed p = from_soap(xml);
  ASSERT_TRUE(p.envelope) << p.problem;
  expect_same(*p.envelope, e);
  EXPECT_FALSE(p.credentials);
}

TEST(CaqhEnvelope, BatchPayloadTravelsAsBase64WithItsLengthAndChecksum) {
  Envelope e = request();
  e.message = Message::batch_submission;
  e.processing_mode = "Batch";
  e.payload = k_payload + k_payload;
  e.payload_length = static_cast<long long>(e.payload.size());
  e.checksum = checksum(e.payload);
  std::string xml = to_soap(e);
  EXPECT_EQ(xml.find("ISA*00"), std::string::npos) << "batch payloads are base64Binary";
  Parsed p = from_soap(xml);
  ASSERT_TRUE(p.envelope) << p.problem;
  expect_same(*p.envelope, e);
  EXPECT_FALSE(check_values(*p.envelope));
}

TEST(CaqhEnvelope, EachBatchRequestHasItsRootActionAndRequiredFields) {
  struct Case {
    Message message;
    std::string_view root, action, payload_type;
  };
  const Case cases[] = {
      {Message::batch_ack_request, "COREEnvelopeBatchSubmissionAckRetrievalRequest",
       "BatchSubmitAckRetrievalTransaction", k_batch_ack_retrieval},
      {Message::batch_results_request, "COREEnvelopeBatchResultsRetrievalRequest",
       "BatchResultsRetrievalTransaction", k_batch_results_271},
      {Message::batch_results_ack, "COREEnvelopeBatchResultsAckSubmission",
       "BatchResultsAckSubmitTransaction", k_batch_ack_submission},
  };
  for (const auto& c : cases) {
    Envelope e = request();
    e.message = c.message;
    e.processing_mode = "Batch";
    e.payload_type = std::string(c.payload_type);
    e.payload.clear();  // optional in these requests
    EXPECT_EQ(root_name(c.message), c.root);
    EXPECT_EQ(soap_action(c.message), c.action);
    const std::string xml = to_soap(e);
    EXPECT_NE(xml.find(std::string(c.root)), std::string::npos);
    Parsed p = from_soap(xml);
    ASSERT_TRUE(p.envelope) << c.root << ": " << p.problem;
    EXPECT_EQ(p.envelope->message, c.message);
    EXPECT_EQ(p.envelope->payload_id, e.payload_id);
    // MIME has no root: the PayloadType says which batch request a form is.
    const std::string boundary = new_boundary();
    Parsed m = from_mime(mime_content_type(boundary), to_mime(e, boundary));
    ASSERT_TRUE(m.envelope) << m.problem;
    EXPECT_EQ(m.envelope->message, c.message) << c.payload_type;
  }
  // The responses require an ErrorCode.
  Envelope r = request();
  r.message = Message::batch_results_response;
  r.processing_mode = "Batch";
  Parsed p = from_soap(to_soap(r));
  EXPECT_EQ(p.error_code, "ErrorCodeRequired") << p.problem;
}

TEST(CaqhEnvelope, ABatchSubmissionWithoutLengthOrChecksumNamesTheField) {
  Envelope e = request();
  e.message = Message::batch_submission;
  e.processing_mode = "Batch";
  Parsed p = from_soap(to_soap(e));
  EXPECT_EQ(p.error_code, "PayloadLengthRequired") << p.problem;
  e.payload_length = static_cast<long long>(e.payload.size());
  p = from_soap(to_soap(e));
  EXPECT_EQ(p.error_code, "CheckSumRequired") << p.problem;
  e.checksum = checksum(e.payload + "x");
  const std::string boundary = new_boundary();
  Parsed m = from_mime(mime_content_type(boundary), to_mime(e, boundary));
  ASSERT_TRUE(m.envelope) << m.problem;
  EXPECT_EQ(m.envelope->message, Message::batch_submission);
  auto bad = check_values(*m.envelope);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "ChecksumMismatch");
}

TEST(CaqhEnvelope, MimeRoundTripRequestAndResponse) {
  Envelope e = request();
  Credentials c{"jane@clinic.example", "secret pass"};
  std::string boundary = new_boundary();
  std::string body = to_mime(e, boundary, &c);
  EXPECT_NE(body.find("\r\n--" + boundary + "--\r\n"), std::string::npos);
  EXPECT_LT(body.find("name=\"UserName\""), body.find("name=\"Payload\""));
  Parsed p = from_mime(mime_content_type(boundary), body);
  ASSERT_TRUE(p.envelope) << p.problem;
  expect_same(*p.envelope, e);
  ASSERT_TRUE(p.credentials);
  EXPECT_EQ(p.credentials->username, "jane@clinic.example");
  EXPECT_EQ(p.credentials->password, "secret pass");

  Envelope r = e;
  r.message = Message::real_time_response;
  r.error_code = "Success";
  r.error_message = "Envelope was processed successfully.";
  r.payload = "ISA*binary\r\n\0bytes~"s;
  Parsed q = from_mime("multipart/form-data; boundary=\"" + boundary + "\"", to_mime(r, boundary));
  ASSERT_TRUE(q.envelope) << q.problem;
  expect_same(*q.envelope, r);
}

TEST(CaqhEnvelope, MimeReadsLfLinesPreambleAndAnyFieldCase) {
  std::string body =
      "preamble to ignore\n--b1\nContent-Disposition: form-data; name=payloadtype\n\n"
      "X12_276_Request_005010X212\n--b1\nContent-Disposition: form-data; name=\"ProcessingMode\"\n"
      "\nRealTime\n--b1\ncontent-disposition: form-data; name=\"PayloadID\"\n\n"
      "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n--b1\nContent-Disposition: form-data; "
      "name=\"TimeStamp\"\n\n2026-12-07T11:50:00Z\n--b1\nContent-Disposition: form-data; "
      "name=\"SenderID\"\n\nS\n--b1\nContent-Disposition: form-data; name=\"ReceiverID\"\n\nR\n"
      "--b1\nContent-Disposition: form-data; name=\"CORERuleVersion\"\n\n2.2.0\n--b1\n"
      "Content-Disposition: form-data; name=\"Username\"\n\nu\n--b1\nContent-Disposition: "
      "form-data; name=\"Password\"\n\npw\n--b1\nContent-Disposition: form-data; "
      "name=\"Payload\"; filename=\"x.x12\"\nContent-Type: application/EDI-X12\n\nISA~\n--b1--\n";
  Parsed p = from_mime("Multipart/Form-Data; charset=utf-8; boundary=b1", body);
  ASSERT_TRUE(p.envelope) << p.problem;
  EXPECT_EQ(p.envelope->payload_type, "X12_276_Request_005010X212");
  EXPECT_EQ(p.envelope->payload, "ISA~");
  ASSERT_TRUE(p.credentials);
  EXPECT_EQ(p.credentials->username, "u");
  EXPECT_EQ(boundary_of("multipart/form-data; boundary=\"a b;c\""), "a b;c");
  EXPECT_EQ(boundary_of("multipart/form-data;boundary=xyz ; x=1"), "xyz");
}

TEST(CaqhEnvelope, MimeProblems) {
  EXPECT_FALSE(from_mime("text/plain", "x").problem.empty());
  EXPECT_FALSE(from_mime("multipart/form-data", "x").problem.empty());
  Parsed open = from_mime("multipart/form-data; boundary=b",
                          "--b\r\nContent-Disposition: form-data; name=\"Payload\"\r\n\r\nISA");
  EXPECT_FALSE(open.envelope);
  EXPECT_NE(open.problem.find("boundary"), std::string::npos) << open.problem;
  Envelope e = request();
  e.payload_id.clear();
  Parsed missing = from_mime(mime_content_type("b"), to_mime(e, "b"));
  EXPECT_FALSE(missing.envelope);
  EXPECT_EQ(missing.error_code, "PayloadIDRequired");
  ASSERT_TRUE(missing.incomplete);
  EXPECT_EQ(missing.incomplete->sender_id, "SUBMITTER");
}

TEST(CaqhEnvelope, MissingPayloadIdIsReportedWithTheFieldsRead) {
  Envelope e = request();
  e.payload_id.clear();
  Parsed p = from_soap(to_soap(e));
  EXPECT_FALSE(p.envelope);
  EXPECT_EQ(p.problem, "PayloadID is missing");
  EXPECT_EQ(p.error_code, "PayloadIDRequired");
  ASSERT_TRUE(p.incomplete);
  EXPECT_EQ(p.incomplete->sender_id, "SUBMITTER");
  EXPECT_EQ(p.incomplete->payload, k_payload);

  Envelope no_sender = request();
  no_sender.sender_id.clear();
  EXPECT_EQ(from_soap(to_soap(no_sender)).error_code, "SenderIDRequired");
  // A response must carry its ErrorCode, not a request.
  Envelope response = request();
  response.message = Message::real_time_response;
  EXPECT_EQ(from_soap(to_soap(response)).error_code, "ErrorCodeRequired");
}

TEST(CaqhEnvelope, DoctypeIsRefused) {
  const std::string body = soap_with(k_children);
  const std::string xml_decl = "<?xml version=\"1.0\"?>";
  for (const std::string& doctype : {
           // A plain DOCTYPE.
           std::string("<!DOCTYPE s:Envelope>"),
           // An external entity (XXE) reading a local file.
           std::string("<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"),
           // An external DTD over the network.
           std::string("<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/evil.dtd\">"),
           // Billion laughs.
           std::string("<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
                       "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 "
                       "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY "
                       "lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]>"),
       }) {
    std::string xml = xml_decl + doctype + body.substr(xml_decl.size());
    Parsed p = from_soap(xml);
    EXPECT_FALSE(p.envelope) << doctype;
    EXPECT_NE(p.problem.find("DOCTYPE"), std::string::npos) << p.problem;
  }
  // An entity reference with no DOCTYPE to declare it is not well-formed either.
  Parsed p = from_soap(soap_with("<PayloadType>&lol4;</PayloadType>" +
                                 k_children.substr(k_children.find("<Processing"))));
  EXPECT_FALSE(p.envelope);
  EXPECT_NE(p.problem.find("well-formed"), std::string::npos) << p.problem;
}

// What the XML parser itself lets through but XML 1.0 does not is refused with the line it is on;
// XML's own references are read.
TEST(CaqhEnvelope, MalformedBeyondTheParserIsRefused) {
  auto problem_of = [](const std::string& xml) {
    Parsed p = from_soap(xml);
    EXPECT_FALSE(p.envelope) << xml;
    return p.problem;
  };
  const std::string ok = soap_with(k_children);
  // Bytes that are not UTF-8 (a Latin-1 e, an overlong '/', a surrogate), on the second line.
  for (const std::string bad :
       {std::string("\xE9"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80")}) {
    std::string xml = soap_with("\n<SenderID>S" + bad + "</SenderID>" + k_children);
    std::string why = problem_of(xml);
    EXPECT_NE(why.find("not UTF-8 (line 2)"), std::string::npos) << why;
  }
  // Also inside the CDATA section of the Payload.
  std::string in_cdata = std::regex_replace(ok, std::regex("ISA\\*00~"), "<![CDATA[ISA*\xFF]]>");
  EXPECT_NE(problem_of(in_cdata).find("not UTF-8"), std::string::npos);
  // Two roots, or text after the root.
  EXPECT_NE(problem_of(ok + "<s:Envelope/>").find("after the document's root"), std::string::npos);
  EXPECT_NE(problem_of(ok + "trailing").find("after the document's root"), std::string::npos);
  // A tag left open is named with its line.
  std::string open = ok;
  open.replace(open.find("</SenderID>"), 11, "\n\n</Sender>");
  std::string why = problem_of(open);
  EXPECT_NE(why.find("not well-formed XML"), std::string::npos) << why;
  EXPECT_NE(why.find("(line 3)"), std::string::npos) << why;
  // An '&' outside a CDATA section must start a reference; inside one it is the payload's.
  EXPECT_NE(problem_of(soap_with("<SenderID>A & B</SenderID>" + k_children)).find("entity"),
            std::string::npos);
  Parsed amp =
      from_soap(std::regex_replace(ok, std::regex("ISA\\*00~"), "<![CDATA[ISA*A&B*&lt;~]]>"));
  ASSERT_TRUE(amp.envelope) << amp.problem;
  EXPECT_EQ(amp.envelope->payload, "ISA*A&B*&lt;~");
  // Character references and the predefined entities are read, UTF-8 kept as it is.
  std::string refs = ok;
  refs.replace(refs.find("<SenderID>S<"), 12, "<SenderID>&#x53;&#49;&amp;\xC3\xA9<");
  Parsed r = from_soap(refs);
  ASSERT_TRUE(r.envelope) << r.problem;
  EXPECT_EQ(r.envelope->sender_id, "S1&\xC3\xA9");
}

TEST(CaqhEnvelope, SizeBoundAndNotSoap) {
  Parsed big = from_soap(soap_with(k_children), 100);
  EXPECT_FALSE(big.envelope);
  EXPECT_NE(big.problem.find("larger"), std::string::npos);
  EXPECT_NE(from_soap("not xml at all").problem.find("well-formed"), std::string::npos);
  EXPECT_NE(from_soap("<a/>").problem.find("SOAP 1.2"), std::string::npos);
  EXPECT_NE(from_soap("<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"/>")
                .problem.find("SOAP 1.1"),
            std::string::npos);
  // The CORE root must be in the CORE namespace.
  Parsed wrong_ns = from_soap(soap_with(k_children, " xmlns:cor=\"urn:other\""));
  EXPECT_FALSE(wrong_ns.envelope);
  EXPECT_NE(wrong_ns.problem.find("not a CORE envelope"), std::string::npos) << wrong_ns.problem;
}

TEST(CaqhEnvelope, FaultIsWrittenAndRead) {
  Parsed p = from_soap(soap_fault({"env:Sender", "PayloadID is missing & more <here>"}));
  ASSERT_TRUE(p.fault) << p.problem;
  EXPECT_FALSE(p.envelope);
  EXPECT_EQ(p.fault->code, "env:Sender");
  EXPECT_EQ(p.fault->reason, "PayloadID is missing & more <here>");
  // Another sender's prefix for the SOAP namespace reads the same.
  Parsed q = from_soap(
      "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>"
      "<soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code><soap:Reason>"
      "<soap:Text xml:lang=\"en\">busy</soap:Text></soap:Reason></soap:Fault></soap:Body>"
      "</soap:Envelope>");
  ASSERT_TRUE(q.fault) << q.problem;
  EXPECT_EQ(q.fault->code, "env:Receiver");
  EXPECT_EQ(q.fault->reason, "busy");
}

TEST(CaqhEnvelope, UnqualifiedAndQualifiedChildrenBothRead) {
  Parsed plain = from_soap(soap_with(k_children));
  ASSERT_TRUE(plain.envelope) << plain.problem;
  EXPECT_EQ(plain.envelope->payload, "ISA*00~");
  // Children in the CORE namespace through the root's prefix...
  std::string prefixed = std::regex_replace(k_children, std::regex("<(/?)([A-Z])"), "<$1cor:$2");
  Parsed q = from_soap(soap_with(prefixed));
  ASSERT_TRUE(q.envelope) << q.problem;
  expect_same(*q.envelope, *plain.envelope);
  // ...or through a default namespace on the root.
  Parsed d = from_soap(
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
      "<COREEnvelopeRealTimeRequest xmlns=\"" +
      std::string(k_core_ns) + "\">" + k_children +
      "</COREEnvelopeRealTimeRequest></s:Body>"
      "</s:Envelope>");
  ASSERT_TRUE(d.envelope) << d.problem;
  expect_same(*d.envelope, *plain.envelope);
  // Elements of another namespace are not the envelope's.
  Parsed other =
      from_soap(soap_with("<x:PayloadID xmlns:x=\"urn:x\">nope</x:PayloadID>" + k_children));
  ASSERT_TRUE(other.envelope) << other.problem;
  EXPECT_EQ(other.envelope->payload_id, "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
}

TEST(CaqhEnvelope, DigestPasswordsAreNotCredentials) {
  std::string xml = to_soap(request(), nullptr);
  std::string header =
      "<s:Header><wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-wssecurity-secext-1.0.xsd\"><wsse:UsernameToken><wsse:Username>u"
      "</wsse:Username><wsse:Password Type=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">x</wsse:Password>"
      "</wsse:UsernameToken></wsse:Security></s:Header>";
  std::string doc = soap_with(k_children);
  doc.insert(doc.find("<s:Body>"), header);
  Parsed p = from_soap(doc);
  ASSERT_TRUE(p.envelope) << p.problem;
  EXPECT_FALSE(p.credentials);
}

TEST(CaqhEnvelope, ValuesAreChecked) {
  Envelope e = request();
  EXPECT_FALSE(check_values(e));
  e.rule_version = "2.1.0";
  EXPECT_EQ(check_values(e)->code, "VersionMismatch");
  e = request();
  e.payload_id = "12345";
  EXPECT_EQ(check_values(e)->code, "PayloadIDIllegal");
  e = request();
  e.processing_mode = "Sometimes";
  EXPECT_EQ(check_values(e)->code, "ProcessingModeIllegal");
  e = request();
  e.payload_length = 3;
  EXPECT_EQ(check_values(e)->code, "PayloadLengthIllegal");
  e = request();
  e.checksum = "00";
  EXPECT_EQ(check_values(e)->code, "ChecksumMismatch");
}

TEST(CaqhEnvelope, PayloadIdsAreVersion4UuidsAndChecksumIsSha1) {
  std::set<std::string> seen;
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) {
    std::string id = new_payload_id();
    EXPECT_TRUE(std::regex_match(id, v4)) << id;
    EXPECT_TRUE(is_uuid(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(checksum("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(checksum(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(soap_content_type(Message::real_time_request),
            "application/soap+xml; charset=UTF-8; action=\"RealTimeTransaction\"");
}
