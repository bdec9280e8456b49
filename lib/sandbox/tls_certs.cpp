#include "sandbox/tls_certs.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <system_error>

#include "portal/util/atomic_file.hpp"
#include "portal/util/strings.hpp"

namespace portal::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr long k_ca_validity_days = 3650;
constexpr long k_leaf_validity_days = 825;
constexpr long k_backdate_seconds = 3600;
constexpr const char* k_organization = "provportal sandbox";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// A key pair and the certificate of its public half.
struct KeyAndCert {
  PkeyPtr key;
  X509Ptr cert;
};

// What a certificate is for; decides its extensions and validity.
enum class CertRole { ca, server, client };

// The oldest queued OpenSSL error as text (and clears the queue), for messages.
std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

tl::unexpected<Error> openssl_failure(const std::string& what) {
  return fail(ErrorKind::internal, what + ": " + openssl_reason());
}

// "IP:<canonical>" for an IP literal (brackets allowed), "DNS:<lower-case>" otherwise.
std::string normalize_host(std::string host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned char addr[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, host.c_str(), addr) == 1) {
    inet_ntop(AF_INET, addr, text, sizeof text);
    return std::string("IP:") + text;
  }
  if (inet_pton(AF_INET6, host.c_str(), addr) == 1) {
    inet_ntop(AF_INET6, addr, text, sizeof text);
    return std::string("IP:") + text;
  }
  return "DNS:" + util::lower(host);
}

// The subjectAltName entries of a certificate, normalized as normalize_host() does.
std::set<std::string> san_set(X509* cert) {
  std::set<std::string> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* s = name->d.dNSName;
      out.insert(normalize_host(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                            static_cast<std::size_t>(ASN1_STRING_length(s)))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = name->d.iPAddress;
      int len = ASN1_STRING_length(s);
      char text[INET6_ADDRSTRLEN];
      int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
      if (family != 0 && inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof text)) {
        out.insert(std::string("IP:") + text);
      }
    }
  }
  return out;
}

std::set<std::string> host_set(const std::vector<std::string>& hosts) {
  std::set<std::string> out;
  for (const auto& h : hosts) out.insert(normalize_host(h));
  return out;
}

Expected<PkeyPtr> generate_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_failure("cannot generate an EC P-256 key");
  return key;
}

Expected<void> add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) return openssl_failure("cannot build certificate extension " + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return openssl_failure("cannot add certificate extension " + value);
  return {};
}

// Builds and signs a certificate for `key`. A CA signs itself when issuer is null.
Expected<X509Ptr> make_certificate(CertRole role, EVP_PKEY* key, const std::string& common_name,
                                   const std::set<std::string>& sans, X509* issuer_cert,
                                   EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert) return openssl_failure("cannot allocate a certificate");
  X509_set_version(cert.get(), 2);

  // 127 random bits keep the serial positive and below the 20-octet limit of RFC 5280.
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return openssl_failure("cannot create a certificate serial number");
  }

  long days = role == CertRole::ca ? k_ca_validity_days : k_leaf_validity_days;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -k_backdate_seconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr) ==
          nullptr) {
    return openssl_failure("cannot set the certificate validity");
  }

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(k_organization), -1, -1, 0);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    return openssl_failure("cannot set the certificate name '" + common_name + "'");
  }
  X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
  if (X509_set_pubkey(cert.get(), key) != 1) return openssl_failure("cannot set the public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert.get(), nullptr, nullptr, 0);

  std::vector<std::pair<int, std::string>> exts;
  exts.emplace_back(NID_subject_key_identifier, "hash");
  switch (role) {
    case CertRole::ca:
      exts.emplace_back(NID_basic_constraints, "critical,CA:TRUE");
      exts.emplace_back(NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case CertRole::server:
    case CertRole::client: {
      exts.emplace_back(NID_authority_key_identifier, "keyid:always");
      exts.emplace_back(NID_basic_constraints, "critical,CA:FALSE");
      exts.emplace_back(NID_key_usage, "critical,digitalSignature");
      exts.emplace_back(NID_ext_key_usage, role == CertRole::server ? "serverAuth" : "clientAuth");
      std::string alt;
      for (const auto& san : sans) alt += (alt.empty() ? "" : ",") + san;
      if (!alt.empty()) exts.emplace_back(NID_subject_alt_name, alt);
      break;
    }
  }
  for (const auto& [nid, value] : exts) {
    if (auto r = add_extension(cert.get(), &ctx, nid, value); !r) return fail(r.error());
  }

  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return openssl_failure("cannot sign the certificate for '" + common_name + "'");
  }
  return cert;
}

// Writes `data` to `path` whole or not at all; the file has exactly `mode` from its first byte
// (0600 keeps private keys private).
Expected<void> write_file_atomic(const fs::path& path, const std::string& data, mode_t mode) {
  auto written = write_file_atomically(path, data, {.mode = mode, .exact_mode = true});
  if (!written) {
    return fail(ErrorKind::input,
                "cannot create " + path.string() + ": " + written.error().message);
  }
  return {};
}

Expected<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return openssl_failure("cannot encode a certificate");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Expected<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_failure("cannot encode a private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// Reads the first certificate of a PEM file; null when the file is missing or unreadable.
X509Ptr read_cert(const fs::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return nullptr;
  }
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return cert;
}

PkeyPtr read_key(const fs::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return nullptr;
  }
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return key;
}

// The CA of data_dir: loaded when ca.pem and ca-key.pem exist and match, else created (when
// `create` is set).
Expected<KeyAndCert> load_or_create_ca(const fs::path& data_dir, bool create) {
  fs::path cert_path = data_dir / "ca.pem";
  fs::path key_path = data_dir / "ca-key.pem";
  KeyAndCert ca{read_key(key_path), read_cert(cert_path)};
  if (ca.key && ca.cert && X509_check_private_key(ca.cert.get(), ca.key.get()) == 1) {
    return ca;
  }
  ERR_clear_error();
  if (!create) {
    return fail(ErrorKind::input, "no usable certificate authority in " + data_dir.string(),
                "start the sandbox once to create it");
  }
  auto key = generate_key();
  if (!key) return fail(key.error());
  auto cert =
      make_certificate(CertRole::ca, key->get(), "provportal sandbox CA", {}, nullptr, nullptr);
  if (!cert) return fail(cert.error());
  auto kp = key_pem(key->get());
  if (!kp) return fail(kp.error());
  auto cp = cert_pem(cert->get());
  if (!cp) return fail(cp.error());
  if (auto r = write_file_atomic(key_path, *kp, 0600); !r) return fail(r.error());
  if (auto r = write_file_atomic(cert_path, *cp, 0644); !r) return fail(r.error());
  return KeyAndCert{std::move(*key), std::move(*cert)};
}

// True when the existing leaf at cert_path/key_path is usable as is: names equal `wanted`,
// signed by `ca`, matching key, not expiring within a day.
bool server_cert_current(const fs::path& cert_path, const fs::path& key_path, const KeyAndCert& ca,
                         const std::set<std::string>& wanted) {
  X509Ptr cert = read_cert(cert_path);
  PkeyPtr key = read_key(key_path);
  if (!cert || !key) return false;
  bool ok = X509_check_private_key(cert.get(), key.get()) == 1 &&
            X509_verify(cert.get(), X509_get0_pubkey(ca.cert.get())) == 1 &&
            san_set(cert.get()) == wanted;
  if (ok) {
    time_t tomorrow = time(nullptr) + 86400;
    ok = X509_cmp_time(X509_get0_notAfter(cert.get()), &tomorrow) > 0;
  }
  ERR_clear_error();
  return ok;
}

// Issues a leaf for `role` signed by `ca` and writes cert (leaf, then CA) and key (0600).
Expected<void> issue_leaf(CertRole role, const KeyAndCert& ca, const std::string& common_name,
                          const std::set<std::string>& sans, const fs::path& cert_out,
                          const fs::path& key_out) {
  auto key = generate_key();
  if (!key) return fail(key.error());
  auto cert = make_certificate(role, key->get(), common_name, sans, ca.cert.get(), ca.key.get());
  if (!cert) return fail(cert.error());
  auto kp = key_pem(key->get());
  if (!kp) return fail(kp.error());
  auto leaf = cert_pem(cert->get());
  if (!leaf) return fail(leaf.error());
  auto chain = cert_pem(ca.cert.get());
  if (!chain) return fail(chain.error());
  // Key first: a new certificate must never be paired with the previous key.
  if (auto r = write_file_atomic(key_out, *kp, 0600); !r) return fail(r.error());
  return write_file_atomic(cert_out, *leaf + *chain, 0644);
}

}  // namespace

Expected<CertificatePaths> ensure_certificates(const std::filesystem::path& data_dir,
                                               const std::vector<std::string>& hosts) {
  if (hosts.empty()) {
    return fail(ErrorKind::usage, "the server certificate needs at least one host name");
  }
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    return fail(ErrorKind::input, "cannot create " + data_dir.string() + ": " + ec.message());
  }
  CertificatePaths paths{data_dir / "ca.pem", data_dir / "server.pem", data_dir / "server-key.pem"};
  auto ca = load_or_create_ca(data_dir, true);
  if (!ca) return fail(ca.error());

  std::set<std::string> wanted = host_set(hosts);
  if (!server_cert_current(paths.server_cert, paths.server_key, *ca, wanted)) {
    if (auto r = issue_leaf(CertRole::server, *ca, hosts.front(), wanted, paths.server_cert,
                            paths.server_key);
        !r) {
      return fail(r.error());
    }
  }
  return paths;
}

Expected<void> issue_client_certificate(const std::filesystem::path& data_dir,
                                        const std::string& common_name,
                                        const std::filesystem::path& cert_out,
                                        const std::filesystem::path& key_out) {
  auto ca = load_or_create_ca(data_dir, false);
  if (!ca) return fail(ca.error());
  return issue_leaf(CertRole::client, *ca, common_name, {}, cert_out, key_out);
}

}  // namespace portal::sandbox
