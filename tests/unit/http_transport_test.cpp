// The HTTPS client against the sandbox's HTTPS server, over real TLS on loopback, with
// certificates from the sandbox's own CA.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "portal/http/client.hpp"
#include "sandbox/server.hpp"
#include "sandbox/tls_certs.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using portal::ErrorKind;
using portal::http::Client;
using portal::http::ClientOptions;
using portal::http::Request;
using portal::http::Response;
using portal::sandbox::HttpRequest;
using portal::sandbox::HttpResponse;
using portal::sandbox::Server;
using portal::sandbox::ServerOptions;

namespace {

// A directory removed with everything in it when the object goes away.
using portal::test::TempDir;

// A JSON string's text (or the serialized value), so tests compare std::strings.
std::string text(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Echoes the request as JSON; /big?n=N answers N bytes, /slow?ms=M sleeps, /throw throws.
HttpResponse echo_handler(const HttpRequest& req) {
  if (req.path == "/throw") throw std::runtime_error("boom");
  HttpResponse res;
  if (req.path == "/nocontent") {
    res.status = 204;
    res.body = "ignored";
    res.headers.emplace_back("X-Bad", "a\r\nX-Injected: 1");
    res.headers.emplace_back("X-Good", "1");
    return res;
  }
  if (req.path == "/big") {
    res.body = "\"" + std::string(std::stoul(req.query.at("n")), 'x') + "\"";
    return res;
  }
  if (req.path == "/slow") {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(req.query.at("ms"))));
  }
  boost::json::object query;
  for (const auto& [k, v] : req.query) query[k] = v;
  boost::json::object o{{"method", req.method},
                        {"path", req.path},
                        {"query", query},
                        {"body", req.body},
                        {"x_test", req.header("X-Test")},
                        {"content_type", req.header("content-type")},
                        {"remote", req.remote_address}};
  res.headers.emplace_back("X-Echo", "yes");
  res.body = boost::json::serialize(o);
  return res;
}

// Sends raw bytes over verified TLS and returns everything the server answers until it closes.
std::string raw_exchange(std::uint16_t port, const std::string& ca_file, const std::string& bytes) {
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> stream(ioc, ctx);
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  stream.handshake(asio::ssl::stream_base::client);
  asio::write(stream, asio::buffer(bytes));
  std::string out;
  boost::system::error_code ec;
  asio::read(stream, asio::dynamic_buffer(out), ec);
  return out;
}

// A server running on its own thread for the life of the object.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options) {
    auto server = Server::create(std::move(options), echo_handler);
    if (!server) throw std::runtime_error(server.error().message);
    m_server = std::move(*server);
    m_thread = std::thread([this] { m_server->run(); });
  }
  ~RunningServer() {
    m_server->stop();
    m_thread.join();
  }
  std::uint16_t port() const { return m_server->port(); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port()); }

 private:
  std::unique_ptr<Server> m_server;
  std::thread m_thread;
};

class HttpTransport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new TempDir();
    auto paths =
        portal::sandbox::ensure_certificates(s_dir->path(), {"localhost", "127.0.0.1", "::1"});
    ASSERT_TRUE(paths) << paths.error().message;
    s_paths = *paths;
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }

  static ServerOptions server_options() {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.cert_file = s_paths.server_cert.string();
    o.key_file = s_paths.server_key.string();
    o.threads = 2;
    return o;
  }

  static ClientOptions client_options(const std::string& url) {
    ClientOptions o;
    o.base_url = url;
    o.tls.ca_file = s_paths.ca_cert.string();
    o.connect_timeout = std::chrono::seconds(5);
    o.request_timeout = std::chrono::seconds(10);
    return o;
  }

  static std::unique_ptr<Client> make_client(const ClientOptions& o) {
    auto c = Client::create(o);
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(*c);
  }

  static boost::json::object json_of(const Response& r) {
    return boost::json::parse(r.body).as_object();
  }

  static inline TempDir* s_dir = nullptr;
  static inline portal::sandbox::CertificatePaths s_paths;
};

TEST_F(HttpTransport, GetAndPostRoundTrip) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url()));

  auto get = client->send({"GET", "/v1/echo/a%20b?x=1+2&y=%2F&x=3", {{"X-Test", "hello"}}, ""});
  ASSERT_TRUE(get) << get.error().message;
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->header("X-ECHO"), "yes");
  EXPECT_EQ(get->header("server"), "provportal-sandbox");
  EXPECT_EQ(get->header("content-type"), "application/json");
  EXPECT_EQ(get->header("absent"), "");
  for (const auto& [name, value] : get->headers) {
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
  auto g = json_of(*get);
  EXPECT_EQ(text(g["method"]), "GET");
  EXPECT_EQ(text(g["path"]), "/v1/echo/a b");
  EXPECT_EQ(text(g["query"].as_object()["x"]), "1 2");
  EXPECT_EQ(text(g["query"].as_object()["y"]), "/");
  EXPECT_EQ(text(g["x_test"]), "hello");
  EXPECT_EQ(text(g["content_type"]), "");
  EXPECT_EQ(text(g["remote"]), "127.0.0.1");

  auto post = client->send({"POST", "/v1/things", {}, R"({"a":1})"});
  ASSERT_TRUE(post) << post.error().message;
  auto p = json_of(*post);
  EXPECT_EQ(text(p["method"]), "POST");
  EXPECT_EQ(text(p["body"]), R"({"a":1})");
  EXPECT_EQ(text(p["content_type"]), "application/json");
}

TEST_F(HttpTransport, PathPrefixOfBaseUrlIsPrepended) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url() + "/portal/"));
  auto r = client->send({"GET", "/v1/health", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(text(json_of(*r)["path"]), "/portal/v1/health");
}

TEST_F(HttpTransport, LocalhostNameVerifies) {
  RunningServer server(server_options());
  auto client = make_client(client_options("https://localhost:" + std::to_string(server.port())));
  auto r = client->send({"GET", "/x", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpTransport, KeepAliveServesManySequentialRequests) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url()));
  for (int i = 0; i < 100; ++i) {
    auto r = client->send({"POST", "/n", {}, std::to_string(i)});
    ASSERT_TRUE(r) << i << ": " << r.error().message;
    EXPECT_EQ(text(json_of(*r)["body"]), std::to_string(i));
  }
}

TEST_F(HttpTransport, ReconnectsAfterConnectionClose) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url()));
  for (int i = 0; i < 5; ++i) {
    auto r = client->send({"GET", "/c", {{"Connection", "close"}}, ""});
    ASSERT_TRUE(r) << i << ": " << r.error().message;
    EXPECT_EQ(r->header("connection"), "close");
  }
}

TEST_F(HttpTransport, ResendsOnceWhenReusedConnectionWasClosed) {
  auto options = server_options();
  auto first = std::make_unique<RunningServer>(options);
  auto client = make_client(client_options(first->url()));
  ASSERT_TRUE(client->send({"GET", "/1", {}, ""}));
  // The server's stop closes the idle keep-alive connection; a new one takes the same port.
  options.port = first->port();
  first.reset();
  RunningServer second(options);
  auto r = client->send({"GET", "/2", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(text(json_of(*r)["path"]), "/2");
}

TEST_F(HttpTransport, BodyOverLimitGets413) {
  auto options = server_options();
  options.body_limit = 1024;
  RunningServer server(options);
  auto client = make_client(client_options(server.url()));
  auto r = client->send({"POST", "/big-body", {}, "\"" + std::string(4096, 'a') + "\""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(text(json_of(*r)["error"].as_object()["code"]), "body_too_large");

  // The connection was closed after the 413; the next request still works.
  auto ok = client->send({"POST", "/small", {}, "{}"});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpTransport, LargeBodyOverDefaultLimitStillGets413) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url()));
  auto r = client->send({"POST", "/huge", {}, std::string(3u << 20, 'a')});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpTransport, HandlerExceptionBecomes500) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url()));
  auto r = client->send({"GET", "/throw", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 500);
  auto body = json_of(*r);
  EXPECT_EQ(text(body["error"].as_object()["code"]), "internal_error");
  EXPECT_EQ(r->body.find("boom"), std::string::npos);
}

TEST_F(HttpTransport, NoContentResponseDropsBodyAndBadHeaders) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url()));
  auto r = client->send({"DELETE", "/nocontent", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->header("x-good"), "1");
  EXPECT_EQ(r->header("x-bad"), "");
  EXPECT_EQ(r->header("x-injected"), "");
  auto after = client->send({"GET", "/after", {}, ""});
  ASSERT_TRUE(after) << after.error().message;
}

TEST_F(HttpTransport, MalformedRequestsGetJsonErrors) {
  RunningServer server(server_options());
  std::string ca = s_paths.ca_cert.string();
  std::string bad_target =
      raw_exchange(server.port(), ca, "GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(bad_target.rfind("HTTP/1.1 400", 0), 0u) << bad_target;
  EXPECT_NE(bad_target.find("bad_request"), std::string::npos) << bad_target;

  std::string garbage = raw_exchange(server.port(), ca, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;

  std::string big_headers =
      raw_exchange(server.port(), ca,
                   "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(big_headers.rfind("HTTP/1.1 431", 0), 0u) << big_headers;

  std::string http10 = raw_exchange(server.port(), ca, "GET /old HTTP/1.0\r\n\r\n");
  EXPECT_EQ(http10.rfind("HTTP/1.0 200", 0), 0u) << http10;
  EXPECT_NE(http10.find("\"path\":\"/old\""), std::string::npos) << http10;
}

TEST_F(HttpTransport, UntrustedCaIsRefused) {
  RunningServer server(server_options());
  TempDir other;
  auto other_paths = portal::sandbox::ensure_certificates(other.path(), {"127.0.0.1"});
  ASSERT_TRUE(other_paths) << other_paths.error().message;
  auto options = client_options(server.url());
  options.tls.ca_file = other_paths->ca_cert.string();
  auto client = make_client(options);
  auto r = client->send({"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(server.url()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().hint.find("--ca-file"), std::string::npos);
}

TEST_F(HttpTransport, WrongHostNameIsRefused) {
  TempDir other;
  auto other_paths = portal::sandbox::ensure_certificates(other.path(), {"other.example"});
  ASSERT_TRUE(other_paths) << other_paths.error().message;
  auto options = server_options();
  options.cert_file = other_paths->server_cert.string();
  options.key_file = other_paths->server_key.string();
  RunningServer server(options);
  auto client_opts = client_options(server.url());
  client_opts.tls.ca_file = other_paths->ca_cert.string();
  auto client = make_client(client_opts);
  auto r = client->send({"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("mismatch"), std::string::npos) << r.error().message;

  auto by_name = make_client([&] {
    auto o = client_opts;
    o.base_url = "https://localhost:" + std::to_string(server.port());
    return o;
  }());
  auto r2 = by_name->send({"GET", "/", {}, ""});
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("hostname mismatch"), std::string::npos) << r2.error().message;
}

TEST_F(HttpTransport, HeaderWithLineBreakIsRefused) {
  RunningServer server(server_options());
  auto client = make_client(client_options(server.url()));
  for (const std::string& bad :
       std::vector<std::string>{"a\r\nX-Injected: 1", "a\nb", std::string("a\0b", 3)}) {
    auto r = client->send({"GET", "/", {{"X-Test", bad}}, ""});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
  }
  auto r = client->send({"GET", "/", {{"X-Bad\r\nName", "v"}}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  auto target = client->send({"GET", "/a b", {}, ""});
  ASSERT_FALSE(target);
  EXPECT_EQ(target.error().kind, ErrorKind::usage);
}

TEST_F(HttpTransport, ConnectionRefusedIsUnavailable) {
  // A port that was free a moment ago: bind, read it, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  std::string url = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";

  auto client = make_client(client_options(url));
  auto r = client->send({"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(r.error().message, "cannot connect to " + url + ": Connection refused");
}

TEST_F(HttpTransport, MutualTls) {
  auto options = server_options();
  options.client_ca_file = s_paths.ca_cert.string();
  RunningServer server(options);

  auto anonymous = make_client(client_options(server.url()));
  auto refused = anonymous->send({"GET", "/", {}, ""});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::unavailable);

  TempDir client_dir;
  auto cert = client_dir.path() / "client.pem";
  auto key = client_dir.path() / "client-key.pem";
  auto issued = portal::sandbox::issue_client_certificate(s_dir->path(), "tester", cert, key);
  ASSERT_TRUE(issued) << issued.error().message;
  auto client_opts = client_options(server.url());
  client_opts.tls.client_cert_file = cert.string();
  client_opts.tls.client_key_file = key.string();
  auto authenticated = make_client(client_opts);
  auto ok = authenticated->send({"GET", "/", {}, ""});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, 200);

  // A client certificate from another CA is refused too.
  TempDir other;
  ASSERT_TRUE(portal::sandbox::ensure_certificates(other.path(), {"localhost"}));
  ASSERT_TRUE(portal::sandbox::issue_client_certificate(
      other.path(), "stranger", other.path() / "c.pem", other.path() / "k.pem"));
  client_opts.tls.client_cert_file = (other.path() / "c.pem").string();
  client_opts.tls.client_key_file = (other.path() / "k.pem").string();
  auto stranger = make_client(client_opts);
  auto r = stranger->send({"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
}

TEST_F(HttpTransport, ResponseTooLargeIsAnError) {
  RunningServer server(server_options());
  auto options = client_options(server.url());
  options.max_response_bytes = 1000;
  auto client = make_client(options);
  auto small = client->send({"GET", "/big?n=500", {}, ""});
  ASSERT_TRUE(small) << small.error().message;
  auto r = client->send({"GET", "/big?n=5000", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("response too large"), std::string::npos) << r.error().message;
  auto again = client->send({"GET", "/big?n=10", {}, ""});
  ASSERT_TRUE(again) << again.error().message;
}

TEST_F(HttpTransport, RequestTimeout) {
  RunningServer server(server_options());
  auto options = client_options(server.url());
  options.request_timeout = std::chrono::milliseconds(300);
  auto client = make_client(options);
  auto r = client->send({"GET", "/slow?ms=1500", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("timed out after 0.3s while waiting for the response"),
            std::string::npos)
      << r.error().message;
}

// Waits for `client`'s answer as the batch lanes do: poll(2) on its socket, then poll_answer.
portal::Expected<Response> await_answer(Client& client) {
  while (true) {
    pollfd p{client.wait_fd(), POLLIN, 0};
    int ready = ::poll(&p, 1, 50);
    if (auto a = client.poll_answer(ready > 0)) return std::move(*a);
  }
}

TEST_F(HttpTransport, StartedRequestsAreAnsweredWithoutBlockingOnEachOther) {
  RunningServer server(server_options());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(make_client(client_options(server.url())));
  for (int round = 0; round < 3; ++round) {  // the connections are kept and used again
    for (int i = 0; i < 4; ++i) {
      // One answer of 300 KB: many TLS records, so it arrives (and is parsed) in pieces.
      std::string target = i == 3 ? "/big?n=300000" : "/v1/echo/" + std::to_string(i);
      ASSERT_TRUE(clients[i]->start({"GET", target, {}, ""}));
    }
    for (int i = 3; i >= 0; --i) {
      auto r = await_answer(*clients[i]);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->status, 200);
      if (i == 3) {
        EXPECT_GE(r->body.size(), 300000u);
      } else {
        EXPECT_EQ(text(json_of(*r)["path"]), "/v1/echo/" + std::to_string(i));
      }
    }
  }
}

TEST_F(HttpTransport, AStartedRequestTimesOutOrIsTooLargeAndTheClientGoesOn) {
  RunningServer server(server_options());
  auto options = client_options(server.url());
  options.request_timeout = std::chrono::milliseconds(300);
  options.max_response_bytes = 1000;
  auto client = make_client(options);
  ASSERT_TRUE(client->start({"GET", "/slow?ms=1500", {}, ""}));
  auto started = std::chrono::steady_clock::now();
  auto slow = await_answer(*client);
  ASSERT_FALSE(slow);
  EXPECT_NE(slow.error().message.find("timed out after 0.3s while waiting for the response"),
            std::string::npos)
      << slow.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  ASSERT_TRUE(client->start({"GET", "/big?n=5000", {}, ""}));
  auto big = await_answer(*client);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("response too large"), std::string::npos)
      << big.error().message;
  auto again = client->send({"GET", "/big?n=10", {}, ""});
  ASSERT_TRUE(again) << again.error().message;
}

TEST_F(HttpTransport, MalformedBaseUrlsAreUsageErrors) {
  for (std::string url :
       std::vector<std::string>{"http://127.0.0.1:1", "127.0.0.1:443", "https://", "https://h:0",
                                "https://user:pw@h", "https://h/?q=1", "ftp://h", ""}) {
    auto options = client_options(url);
    auto c = Client::create(options);
    ASSERT_FALSE(c) << url;
    EXPECT_EQ(c.error().kind, ErrorKind::usage) << url;
  }
  auto missing_ca = client_options("https://127.0.0.1:1");
  missing_ca.tls.ca_file = "/nonexistent/ca.pem";
  auto c = Client::create(missing_ca);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::usage);
}

TEST_F(HttpTransport, ListenOnBusyPortFails) {
  RunningServer server(server_options());
  auto options = server_options();
  options.port = server.port();
  auto second = Server::create(options, echo_handler);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(second.error().message, "cannot listen on 127.0.0.1:" + std::to_string(server.port()) +
                                        ": Address already in use");
}

TEST_F(HttpTransport, Ipv6Loopback) {
  auto options = server_options();
  options.host = "::1";
  auto probe = Server::create(options, echo_handler);
  if (!probe) GTEST_SKIP() << "no IPv6 loopback: " << probe.error().message;
  probe->reset();
  RunningServer server(options);
  auto client = make_client(client_options("https://[::1]:" + std::to_string(server.port())));
  auto r = client->send({"GET", "/v6", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(text(json_of(*r)["remote"]), "::1");
}

TEST(TlsCerts, CreatesKeysPrivateAndKeepsThemWhenHostsAreUnchanged) {
  TempDir dir;
  auto first = portal::sandbox::ensure_certificates(dir.path(), {"localhost", "127.0.0.1"});
  ASSERT_TRUE(first) << first.error().message;
  for (const char* key : {"ca-key.pem", "server-key.pem"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() / key).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }
  std::string ca = read_file(first->ca_cert);
  std::string leaf = read_file(first->server_cert);
  EXPECT_NE(leaf.find(ca), std::string::npos) << "server.pem ends with the CA";
  EXPECT_EQ(leaf.find(ca), leaf.size() - ca.size());

  auto same = portal::sandbox::ensure_certificates(dir.path(), {"127.0.0.1", "LOCALHOST"});
  ASSERT_TRUE(same);
  EXPECT_EQ(read_file(same->server_cert), leaf);

  auto changed = portal::sandbox::ensure_certificates(dir.path(), {"localhost", "::1"});
  ASSERT_TRUE(changed);
  EXPECT_NE(read_file(changed->server_cert), leaf);
  EXPECT_EQ(read_file(changed->ca_cert), ca);
}

TEST(TlsCerts, ClientCertificateNeedsTheCa) {
  TempDir dir;
  auto r = portal::sandbox::issue_client_certificate(dir.path(), "x", dir.path() / "c.pem",
                                                     dir.path() / "k.pem");
  EXPECT_FALSE(r);
}

}  // namespace
