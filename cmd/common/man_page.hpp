// Man pages written from a program's CLI11 command tree: the same descriptions, option lists and
// footers `--help` prints, as roff (man(7)). One page per command of the tree, named as git
// names its pages: PROGRAM.1 for the program, PROGRAM-SUB.1 and PROGRAM-SUB-SUBSUB.1 for nested
// subcommands (provportal-config-set.1). The build runs `PROGRAM --man-pages DIR` (see
// CMakeLists.txt), so every command `--help` can reach has its page and no list is kept by hand.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace portal::man {

struct Program {
  std::string name;     // "provportal": the page title and the prefix of every page's name
  std::string version;  // "0.1.0"
  // The exit-status text `--help` prints (its first line, "Exit status:", is dropped): the EXIT
  // STATUS section of every page whose own help text has none.
  std::string exit_status;
  std::vector<std::string> see_also;  // other programs' pages, e.g. {"provportal-sandbox"}
};

// The file name of the page of `app` (a command of `program`'s tree): "provportal-config-set.1".
std::string page_name(const CLI::App& app, const Program& program);

// The page of one command, as roff.
std::string render(const CLI::App& app, const Program& program);

// Writes the page of every command of the tree under `top` into `dir` (which must exist) and
// returns their file names, the program's own first.
std::vector<std::string> write_pages(const CLI::App& top, const Program& program,
                                     const std::filesystem::path& dir);

// Answers `PROGRAM --man-pages DIR` (exactly those arguments): writes the pages and returns the
// exit status (0, or 1 naming what could not be written); -1 when the arguments ask for
// something else. Called before parsing, so it is not in `--help`: it is the build's, not a
// user's.
int answer_man_pages_request(int argc, char** argv, const CLI::App& top, const Program& program);

}  // namespace portal::man
