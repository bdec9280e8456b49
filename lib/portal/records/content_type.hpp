// Files to upload as case documents: their type by content (libmagic), their SHA-256, and the
// checks made before anything is sent (a regular file, not a symlink, readable, an accepted
// type, within the size limit).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::records {

// The portal's documented limits for documents (GET /v1/limits states them; these are the
// values used before it was asked, e.g. in --dry-run).
inline constexpr std::uint64_t k_document_max_bytes = 256ull << 20;
inline const std::vector<std::string> k_document_content_types = {"application/pdf", "image/tiff",
                                                                  "image/jpeg", "image/png"};

// The MIME type of `bytes` by their content ("application/pdf", "text/plain", ...), as libmagic
// tells it; "application/octet-stream" when it cannot tell. Safe from any thread.
std::string content_type_of(std::string_view bytes);

// The same for the first bytes of the file at `path` (never follows a final symlink).
// ErrorKind::input when it cannot be read.
Expected<std::string> content_type_of_file(const std::filesystem::path& path);

// Lower-case hex SHA-256 of the file's content, read in chunks (memory stays flat).
Expected<std::string> sha256_of_file(const std::filesystem::path& path);

// "PDF, TIFF, JPEG or PNG" for the accepted MIME types, as people name them.
std::string describe_content_types(const std::vector<std::string>& types);

// A file that passed check_document_file().
struct DocumentFile {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::string content_type;
};

// Checks a file before it is sent: it exists, is a regular file and not a symbolic link
// (lstat), can be read, is of one of `allowed` types by its content, and is not empty nor over
// `max_bytes`. The error (ErrorKind::input) says what is wrong without naming the path, so
// callers can prefix the field or path they report.
Expected<DocumentFile> check_document_file(const std::filesystem::path& path,
                                           std::uint64_t max_bytes,
                                           const std::vector<std::string>& allowed);

}  // namespace portal::records
