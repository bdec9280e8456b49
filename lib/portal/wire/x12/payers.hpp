// The crosswalk from the records' `health_plan` to the payer an X12 interchange names (2100A
// NM1*PR: the payer's name and its payer ID). Payer IDs differ between clearinghouses, so the
// crosswalk is a file the user edits (the profile's `payers_file`; examples/payers.yaml):
//
//   payers:
//     acme-commercial: {payer_id: ACMEC, name: Acme Health}
//     lakeshore-hmo:   {payer_id: LKHMO, name: Lakeshore HMO, receiver_id: LKHMO}
//
// A payer may also name the ISA08/GS03 receiver its interchanges go to (default: the profile's
// receiver_id) and its insurance type.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "portal/util/error.hpp"

namespace portal::wire::x12w {

struct Payer {
  std::string health_plan;  // the records' health_plan
  std::string payer_id;     // NM109 with qualifier PI
  std::string name;         // NM103, up to 60
  std::string receiver_id;  // ISA08/GS03 when not the profile's
};

class Payers {
 public:
  // Reads `file` (YAML as above). Errors name the file, the line and the entry.
  static Expected<Payers> load(const std::filesystem::path& file);
  // The same from text; `origin` names it in errors.
  static Expected<Payers> parse(std::string_view yaml, std::string_view origin);

  // The payer of `health_plan`, or nullptr.
  const Payer* of_plan(std::string_view health_plan) const;
  // The payer whose payer ID is `payer_id`, or nullptr.
  const Payer* of_id(std::string_view payer_id) const;
  const std::vector<Payer>& all() const { return m_payers; }
  const std::string& origin() const { return m_origin; }

 private:
  std::string m_origin;
  std::vector<Payer> m_payers;
  // Looked up by string_view without making a string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> m_by_plan, m_by_id;
};

}  // namespace portal::wire::x12w
