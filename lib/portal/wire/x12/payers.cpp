#include "portal/wire/x12/payers.hpp"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace portal::wire::x12w {

namespace {

std::string where(std::string_view origin, const YAML::Node& n) {
  return std::string(origin) + ":" + std::to_string(n.Mark().line + 1);
}

bool x12_safe(std::string_view s) {
  for (char c : s) {
    if (c == '*' || c == '~' || c == ':' || c == '^' || static_cast<unsigned char>(c) < 0x20)
      return false;
  }
  return true;
}

}  // namespace

Expected<Payers> Payers::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return fail(ErrorKind::usage, "cannot read the payers file " + file.string(),
                "set the profile's payers_file to a crosswalk like examples/payers.yaml "
                "(provportal config set payers_file FILE)");
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

Expected<Payers> Payers::parse(std::string_view yaml, std::string_view origin) {
  Payers out;
  out.m_origin = origin;
  const std::string fix = "each payer is `HEALTH_PLAN: {payer_id: ID, name: NAME}` under `payers:`";
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::usage,
                std::string(origin) + ":" + std::to_string(e.mark.line + 1) +
                    ": the payers file is not YAML: " + e.msg,
                fix);
  }
  const auto payers = root.IsMap() ? root["payers"] : YAML::Node();
  if (!payers || !payers.IsMap()) {
    return fail(ErrorKind::usage, std::string(origin) + ": no `payers:` map", fix);
  }
  for (const auto& entry : payers) {
    const auto plan = entry.first.as<std::string>("");
    const auto& v = entry.second;
    auto bad = [&](const std::string& what) {
      return fail(ErrorKind::usage, where(origin, v) + ": payer " + plan + ": " + what, fix);
    };
    if (!v.IsMap()) return bad("is not a map");
    Payer p;
    p.health_plan = plan;
    p.payer_id = v["payer_id"].as<std::string>("");
    p.name = v["name"].as<std::string>("");
    p.receiver_id = v["receiver_id"].as<std::string>("");
    if (p.payer_id.empty() || p.payer_id.size() > 80) return bad("payer_id: 1 to 80 characters");
    if (p.name.empty() || p.name.size() > 60) return bad("name: 1 to 60 characters");
    if (p.receiver_id.size() > 15) return bad("receiver_id: at most 15 characters (ISA08)");
    if (!x12_safe(p.payer_id) || !x12_safe(p.name) || !x12_safe(p.receiver_id)) {
      return bad("holds an X12 delimiter (* ~ : ^) or a control character");
    }
    if (out.m_by_plan.contains(plan)) return bad("appears twice");
    out.m_by_plan.emplace(plan, out.m_payers.size());
    out.m_by_id.emplace(p.payer_id, out.m_payers.size());
    out.m_payers.push_back(std::move(p));
  }
  return out;
}

const Payer* Payers::of_plan(std::string_view health_plan) const {
  auto it = m_by_plan.find(health_plan);
  return it == m_by_plan.end() ? nullptr : &m_payers[it->second];
}

const Payer* Payers::of_id(std::string_view payer_id) const {
  auto it = m_by_id.find(payer_id);
  return it == m_by_id.end() ? nullptr : &m_payers[it->second];
}

}  // namespace portal::wire::x12w
