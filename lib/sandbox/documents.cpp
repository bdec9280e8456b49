#include "sandbox/documents.hpp"

#include <algorithm>
#include <fstream>

namespace portal::sandbox {

const std::vector<std::string>& document_types() {
  static const std::vector<std::string> k_types = {"clinical_notes", "imaging_report", "lab_result",
                                                   "letter_of_medical_necessity", "other"};
  return k_types;
}

bool is_document_type(std::string_view type) {
  const auto& types = document_types();
  return std::find(types.begin(), types.end(), type) != types.end();
}

const std::vector<std::string>& document_content_types() {
  static const std::vector<std::string> k_types = {"application/pdf", "image/tiff", "image/jpeg",
                                                   "image/png"};
  return k_types;
}

std::string sniff_content_type(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("%PDF-")) return "application/pdf";
  if (starts(std::string_view("\x89PNG\r\n\x1a\n", 8))) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4)))
    return "image/tiff";
  return {};
}

std::string sniff_file_content_type(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char head[8] = {};
  in.read(head, sizeof head);
  return sniff_content_type(std::string_view(head, static_cast<std::size_t>(in.gcount())));
}

std::string sanitize_filename(std::string_view name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (unsigned char c : name) {
    if (out.size() >= 255) break;
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_' || c == ' ';
    out += keep ? static_cast<char>(c) : '_';
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  while (!out.empty() && (out.front() == ' ' || out.front() == '.')) out.erase(out.begin());
  return out.empty() ? std::string("document") : out;
}

}  // namespace portal::sandbox
