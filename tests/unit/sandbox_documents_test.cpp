// Documents: content types by their first bytes, file names kept as metadata only, and the
// listener streaming an upload's body to a file (hashed on the way, size-capped, refused
// before the body when the headers already say no, `Expect: 100-continue` honoured), driven
// with curl over real TLS.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "portal/util/crypto.hpp"
#include "sandbox/documents.hpp"
#include "sandbox/server.hpp"
#include "sandbox/tls_certs.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;
using namespace portal::sandbox;

namespace {

TEST(DocumentContent, IsJudgedByTheFirstBytes) {
  EXPECT_EQ(sniff_content_type("%PDF-1.7\n..."), "application/pdf");
  EXPECT_EQ(sniff_content_type(std::string("\x89PNG\r\n\x1a\n\0\0", 10)), "image/png");
  EXPECT_EQ(sniff_content_type("\xFF\xD8\xFF\xE1xxxx"), "image/jpeg");
  EXPECT_EQ(sniff_content_type(std::string("II*\0\x08\0\0\0", 8)), "image/tiff");
  EXPECT_EQ(sniff_content_type(std::string("MM\0*\0\0\0\x08", 8)), "image/tiff");
  for (std::string other :
       {std::string(), std::string("%PDF"), std::string("<html>"), std::string("GIF89a"),
        std::string("PK\x03\x04", 4), std::string("\x89PNG")}) {
    EXPECT_EQ(sniff_content_type(other), "") << other;
  }
  EXPECT_TRUE(is_document_type("clinical_notes"));
  EXPECT_TRUE(is_document_type("letter_of_medical_necessity"));
  EXPECT_FALSE(is_document_type("x-ray"));
  EXPECT_EQ(document_content_types().size(), 4u);
}

TEST(DocumentName, IsSanitisedAndNeverAPath) {
  EXPECT_EQ(sanitize_filename("notes 2026-05-20.pdf"), "notes 2026-05-20.pdf");
  EXPECT_EQ(sanitize_filename("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_filename("C:\\scans\\mri.tif"), "mri.tif");
  EXPECT_EQ(sanitize_filename("a\r\nb;rm -rf *.pdf"), "a__b_rm -rf _.pdf");
  EXPECT_EQ(sanitize_filename(".."), "document");
  EXPECT_EQ(sanitize_filename(""), "document");
  EXPECT_EQ(sanitize_filename("..hidden"), "hidden");
  EXPECT_EQ(sanitize_filename(std::string(400, 'a')).size(), 255u);
  EXPECT_EQ(sanitize_filename("Zo\xc3\xab.pdf"), "Zo__.pdf");
}

// A listener that streams POST /upload to files (limit 4 MiB), refusing before the body when
// the Authorization header is not "Bearer ok"; the handler answers what it was handed.
class StreamedUploads : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("portal-uploads-" + random_token(6));
    auto certs = ensure_certificates(m_dir, {"127.0.0.1"});
    ASSERT_TRUE(certs) << certs.error().message;
    m_ca = certs->ca_cert;
    ServerOptions o;
    o.host = "127.0.0.1";
    o.cert_file = certs->server_cert.string();
    o.key_file = certs->server_key.string();
    o.threads = 2;
    o.stream_body = [](std::string_view method, std::string_view path) {
      return method == "POST" && path == "/upload";
    };
    o.stream_dir = (m_dir / "tmp").string();
    o.streamed_body_limit = 4u << 20;
    o.precheck = [](const HttpRequest& req) -> std::optional<HttpResponse> {
      if (req.header("authorization") == "Bearer ok") return std::nullopt;
      HttpResponse r;
      r.status = 401;
      r.body = R"({"error":{"code":"session_invalid","message":"log in"}})";
      return r;
    };
    auto server = Server::create(o, [this](const HttpRequest& req) {
      json::object seen{
          {"path", req.path},
          {"body_in_memory", req.body.size()},
          {"body_file_set", !req.body_file.empty()},
          {"size", req.body_size},
          {"sha256", req.body_sha256},
          {"file_size",
           req.body_file.empty() ? 0 : static_cast<std::int64_t>(fs::file_size(req.body_file))}};
      {
        std::lock_guard lock(m_mutex);
        m_last_file = req.body_file;
      }
      HttpResponse r;
      r.body = json::serialize(seen);
      return r;
    });
    ASSERT_TRUE(server) << server.error().message;
    m_server = std::move(*server);
    m_thread = std::thread([this] { m_server->run(); });
  }
  void TearDown() override {
    if (m_server) {
      m_server->stop();
      m_thread.join();
    }
    fs::remove_all(m_dir);
  }

  // curl's answer: the status line's code, then the body.
  std::pair<int, std::string> curl(const std::string& path, const fs::path& file,
                                   const std::string& extra = "") {
    fs::path out = m_dir / ("out-" + random_token(4));
    std::string cmd = "curl -s -o " + out.string() + " -w '%{http_code}' --cacert " +
                      m_ca.string() + " --data-binary @" + file.string() + " " + extra +
                      " https://127.0.0.1:" + std::to_string(m_server->port()) + path;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    char buf[16] = {};
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
    ::pclose(p);
    std::ifstream in(out);
    std::stringstream body;
    body << in.rdbuf();
    return {std::atoi(std::string(buf, n).c_str()), body.str()};
  }

  fs::path make_file(std::size_t size) {
    fs::path f = m_dir / ("in-" + std::to_string(size));
    std::ofstream out(f, std::ios::binary);
    std::string block(65536, '\0');
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 7 + 3);
    for (std::size_t left = size; left > 0;) {
      std::size_t n = std::min(left, block.size());
      out.write(block.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
    return f;
  }

  static std::string sha256_of(const fs::path& f) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return sha256_hex(s.str());
  }

  fs::path m_dir, m_ca;
  std::unique_ptr<Server> m_server;
  std::thread m_thread;
  std::mutex m_mutex;
  std::string m_last_file;
};

TEST_F(StreamedUploads, BodyGoesToAFileWithItsHash) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no curl";
  auto file = make_file(3u << 20);
  // curl sends Expect: 100-continue for a body this large and waits for the 100.
  auto [status, body] =
      curl("/upload?x=1", file,
           "-H 'Authorization: Bearer ok' -H 'Expect: 100-continue' --expect100-timeout 20");
  ASSERT_EQ(status, 200) << body;
  auto seen = json::parse(body).as_object();
  EXPECT_EQ(seen.at("body_in_memory"), 0);
  EXPECT_EQ(seen.at("body_file_set"), true);
  EXPECT_EQ(seen.at("size"), 3 << 20);
  EXPECT_EQ(seen.at("file_size"), 3 << 20);
  EXPECT_EQ(seen.at("sha256"), sha256_of(file).c_str());
  // The listener removes the file once the handler is done with it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::lock_guard lock(m_mutex);
  EXPECT_FALSE(m_last_file.empty());
  EXPECT_FALSE(fs::exists(m_last_file));
}

TEST_F(StreamedUploads, OversizeIsRefusedEvenWhenNotAnnounced) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no curl";
  auto file = make_file((4u << 20) + 1);
  auto [status, body] = curl("/upload", file, "-H 'Authorization: Bearer ok'");
  EXPECT_EQ(status, 413);
  EXPECT_NE(body.find("document_too_large"), std::string::npos) << body;
  auto [chunked, chunked_body] =
      curl("/upload", file, "-H 'Authorization: Bearer ok' -H 'Transfer-Encoding: chunked'");
  EXPECT_EQ(chunked, 413);
  EXPECT_NE(chunked_body.find("document_too_large"), std::string::npos) << chunked_body;
  // The connection removes its partial file as it closes, which may be just after curl has the
  // answer: give it a moment (on a loaded machine), then none may be left.
  auto left = [&] {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(m_dir / "tmp")) ++n;
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (left() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(left(), 0u);
}

TEST_F(StreamedUploads, PrecheckRefusesBeforeTheBody) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no curl";
  auto file = make_file(2u << 20);
  auto [status, body] = curl("/upload", file, "-H 'Expect: 100-continue' --expect100-timeout 20");
  EXPECT_EQ(status, 401);
  EXPECT_NE(body.find("session_invalid"), std::string::npos) << body;
}

TEST_F(StreamedUploads, OtherRoutesKeepTheSmallBodyLimit) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no curl";
  auto [status, body] = curl("/other", make_file(2u << 20), "-H 'Authorization: Bearer ok'");
  EXPECT_EQ(status, 413);
  EXPECT_NE(body.find("body_too_large"), std::string::npos) << body;
  auto small = make_file(1000);
  auto [ok, seen] = curl("/other", small, "-H 'Authorization: Bearer ok'");
  ASSERT_EQ(ok, 200) << seen;
  EXPECT_EQ(json::parse(seen).at("body_in_memory"), 1000);
  EXPECT_EQ(json::parse(seen).at("body_file_set"), false);
}

}  // namespace
