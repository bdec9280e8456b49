// provportal --version: the version, the commit and build type, and the versions of the
// libraries a support question needs (OpenSSL, Boost, SQLite).
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace portal::cli {

// {"version", "commit", "build_type", "openssl", "boost", "sqlite"}.
boost::json::object version_info();

// The same as lines of text, the first one "provportal VERSION".
std::string version_text();

// When argv asks for --version (anywhere before "--"): what to print, as `-o json`/`jsonl` or
// `-o yaml` ask, text otherwise. Empty when it does not.
std::string version_requested(int argc, char** argv);

}  // namespace portal::cli
