#include "record_file.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

namespace portal::cli {

void put_flags(boost::json::object& record,
               std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  for (const auto& [name, value] : fields) {
    if (!value.empty()) record[name] = value;
  }
}

namespace json = boost::json;

namespace {

json::value from_yaml(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node) o[kv.first.as<std::string>()] = from_yaml(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& e : node) a.push_back(from_yaml(e));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() != "!") {
        if (s == "true" || s == "True" || s == "TRUE") return true;
        if (s == "false" || s == "False" || s == "FALSE") return false;
        if (s == "null" || s == "~") return nullptr;
      }
      return json::string(s);
    }
    default:
      return nullptr;
  }
}

}  // namespace

Expected<json::object> read_record_file(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorKind::input, "cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  bool is_json = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  if (is_json) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return fail(ErrorKind::input, path + ": not valid JSON: " + ec.message());
    if (!v.is_object()) return fail(ErrorKind::input, path + ": expected one JSON object");
    return std::move(v.get_object());
  }
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return fail(ErrorKind::input, path + ": expected a mapping of field: value");
    return std::move(from_yaml(root).as_object());
  } catch (const YAML::ParserException& e) {
    return fail(ErrorKind::input, path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::input, path + ": " + e.what());
  }
}

}  // namespace portal::cli
