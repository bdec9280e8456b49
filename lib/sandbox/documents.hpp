// Clinical documents uploaded to a case: the accepted types and content types, the check of a
// file's content by its first bytes (never its name), and the file name kept as metadata.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace portal::sandbox {

// What GET /v1/limits states: 256 MiB per document.
inline constexpr std::uint64_t k_document_max_bytes = 268'435'456;
inline constexpr std::size_t k_document_description_max = 255;

// document.schema.json's document_type values, in its order.
const std::vector<std::string>& document_types();
bool is_document_type(std::string_view type);

// application/pdf, image/tiff, image/jpeg, image/png.
const std::vector<std::string>& document_content_types();

// The content type that `head` (the first bytes of a file, 8 are enough) starts like: PDF
// (%PDF-), PNG, JPEG (FF D8 FF) or TIFF (II*\0 or MM\0*); "" for anything else.
std::string sniff_content_type(std::string_view head);
// The same over the first bytes of `file` ("" when it cannot be read).
std::string sniff_file_content_type(const std::filesystem::path& file);

// A client's file name reduced to something safe to store and show: the last path component,
// letters, digits, '.', '-', '_' and spaces kept, other bytes '_', at most 255 bytes, never
// "", "." or "..". Only ever metadata: stored files are named by the sandbox.
std::string sanitize_filename(std::string_view name);

// A body the listener streamed to a file (or the API wrote there): where, how long, SHA-256.
struct UploadedBody {
  std::filesystem::path file;
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

// What a client says about an upload (query parameters and the X-Content-SHA256 header).
struct DocumentUpload {
  std::string document_type, description, filename, declared_sha256;
};

}  // namespace portal::sandbox
