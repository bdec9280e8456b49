// The sandbox's own certificate authority: created once in the data directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::sandbox {

struct CertificatePaths {
  std::filesystem::path ca_cert;      // DATA_DIR/ca.pem: what clients trust
  std::filesystem::path server_cert;  // DATA_DIR/server.pem (leaf, then the CA)
  std::filesystem::path server_key;   // DATA_DIR/server-key.pem (0600)
};

// Ensures DATA_DIR holds a self-signed CA (EC P-256, ca.pem + ca-key.pem 0600) and a server
// certificate it signed for `hosts` (DNS names or IP literals, as subjectAltName). Existing
// files are kept unless the server certificate's names differ from `hosts`, in which case only
// the server certificate is reissued from the same CA.
Expected<CertificatePaths> ensure_certificates(const std::filesystem::path& data_dir,
                                               const std::vector<std::string>& hosts);

// Issues a client certificate (for mutual TLS tests) signed by the data directory's CA.
Expected<void> issue_client_certificate(const std::filesystem::path& data_dir,
                                        const std::string& common_name,
                                        const std::filesystem::path& cert_out,
                                        const std::filesystem::path& key_out);

}  // namespace portal::sandbox
