#include "version.hpp"

#include <string_view>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <boost/version.hpp>

#include "build_info.hpp"

namespace portal::cli {

namespace json = boost::json;

json::object version_info() {
  return {{"version", PORTAL_VERSION},
          {"commit", PORTAL_COMMIT},
          {"build_type", PORTAL_BUILD_TYPE},
          {"openssl", OpenSSL_version(OPENSSL_VERSION)},
          {"boost", std::to_string(BOOST_VERSION / 100000) + "." +
                        std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                        std::to_string(BOOST_VERSION % 100)},
          {"sqlite", sqlite3_libversion()}};
}

std::string version_text() {
  auto v = version_info();
  auto str = [&](const char* key) { return std::string(v.at(key).as_string()); };
  return "provportal " + str("version") + "\ncommit " + str("commit") + " (" + str("build_type") +
         " build)\n" + str("openssl") + "\nBoost " + str("boost") + "\nSQLite " + str("sqlite") +
         "\n";
}

std::string version_requested(int argc, char** argv) {
  bool asked = false;
  std::string format;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--version") asked = true;
    if ((a == "-o" || a == "--output") && i + 1 < argc) format = argv[i + 1];
    if (a.rfind("--output=", 0) == 0) format = a.substr(9);
    if (a.rfind("-o", 0) == 0 && a.size() > 2 && a[2] != '-') format = a.substr(2);
  }
  if (!asked) return {};
  if (format == "json" || format == "jsonl") return json::serialize(version_info()) + "\n";
  if (format == "yaml") {
    std::string out;
    for (const auto& [key, value] : version_info())
      out += std::string(key) + ": " + json::serialize(value) + "\n";
    return out;
  }
  return version_text();
}

}  // namespace portal::cli
