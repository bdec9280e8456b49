#include "portal/records/content_type.hpp"

#include <fcntl.h>
#include <magic.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "portal/util/strings.hpp"

namespace portal::records {

namespace {

constexpr std::size_t k_sniff_bytes = 64 * 1024;  // what libmagic needs for these formats
constexpr std::size_t k_hash_chunk_bytes = 1u << 20;

// libmagic's cookie is not thread-safe: one per thread, loaded on first use.
magic_t thread_magic() {
  struct Cookie {
    magic_t m = nullptr;
    Cookie() {
      m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
      if (m && magic_load(m, nullptr) != 0) {
        magic_close(m);
        m = nullptr;
      }
    }
    ~Cookie() {
      if (m) magic_close(m);
    }
  };
  thread_local Cookie cookie;
  return cookie.m;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Opens for reading without following a final symlink; ErrorKind::input with the reason.
Expected<void> open_file(const std::filesystem::path& path, Fd& out) {
  out.fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (out.fd < 0) {
    int err = errno;
    if (err == ELOOP) return fail(ErrorKind::input, "is a symbolic link; give the file itself");
    if (err == ENOENT) return fail(ErrorKind::input, "no such file");
    if (err == EACCES) return fail(ErrorKind::input, "cannot be read (permission denied)");
    return fail(ErrorKind::input, std::string("cannot be opened: ") + std::strerror(err));
  }
  return {};
}

}  // namespace

std::string content_type_of(std::string_view bytes) {
  magic_t m = thread_magic();
  const char* type = m ? magic_buffer(m, bytes.data(), bytes.size()) : nullptr;
  return type ? std::string(type) : std::string("application/octet-stream");
}

Expected<std::string> content_type_of_file(const std::filesystem::path& path) {
  Fd f;
  if (auto r = open_file(path, f); !r) return fail(r.error());
  std::string head(k_sniff_bytes, '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    ssize_t n = ::read(f.fd, head.data() + got, head.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fail(ErrorKind::input, std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  head.resize(got);
  return content_type_of(head);
}

Expected<std::string> sha256_of_file(const std::filesystem::path& path) {
  Fd f;
  if (auto r = open_file(path, f); !r) return fail(r.error());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return fail(ErrorKind::internal, "cannot start a SHA-256 digest");
  }
  std::vector<unsigned char> chunk(k_hash_chunk_bytes);
  while (true) {
    ssize_t n = ::read(f.fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fail(ErrorKind::input, std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), chunk.data(), static_cast<std::size_t>(n));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return util::hex(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string describe_content_types(const std::vector<std::string>& types) {
  std::vector<std::string> names;
  for (const auto& t : types) {
    auto slash = t.find('/');
    std::string n = slash == std::string::npos ? t : t.substr(slash + 1);
    for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names.push_back(n);
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

Expected<DocumentFile> check_document_file(const std::filesystem::path& path,
                                           std::uint64_t max_bytes,
                                           const std::vector<std::string>& allowed) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return fail(ErrorKind::input, "no such file");
    return fail(ErrorKind::input, std::string("cannot be read: ") + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) {
    return fail(ErrorKind::input, "is a symbolic link; give the path of the file itself");
  }
  if (!S_ISREG(st.st_mode)) return fail(ErrorKind::input, "is not a regular file");
  if (st.st_size == 0) return fail(ErrorKind::input, "is empty");
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) {
    return fail(ErrorKind::input, "is too large: " + std::to_string(size) +
                                      " bytes, the portal accepts at most " +
                                      std::to_string(max_bytes) + " bytes");
  }
  auto type = content_type_of_file(path);
  if (!type) return fail(type.error());
  if (std::find(allowed.begin(), allowed.end(), *type) == allowed.end()) {
    return fail(ErrorKind::input, "is " + *type + " by its content; the portal accepts " +
                                      describe_content_types(allowed) +
                                      " (checked by content, not by name)");
  }
  return DocumentFile{path, size, *type};
}

}  // namespace portal::records
