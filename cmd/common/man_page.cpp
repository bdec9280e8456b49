// Man pages from the CLI11 command tree (see man_page.hpp). Each page is what `--help` of its
// command says, in man(7) sections: NAME and SYNOPSIS from the description and the usage line,
// DESCRIPTION from the description and the footer's prose, OPTIONS and ARGUMENTS group by group
// as CLI11's formatter lists them, COMMANDS for the subcommands, the footer's headed blocks
// ("Examples:", "Exit status:", "Environment: ...") as sections of their own, EXIT STATUS from
// the program's table when the footer has none, and SEE ALSO.
#include "man_page.hpp"

#include <cctype>
#include <iostream>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>

#include "portal/util/atomic_file.hpp"

namespace portal::man {

namespace {

// The commands from the top down to `app`, the top's name first: {"provportal", "config", "set"}.
std::vector<std::string> command_path(const CLI::App& app, const Program& program) {
  std::vector<std::string> path;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    path.insert(path.begin(), a->get_parent() == nullptr ? program.name : a->get_name());
  }
  return path;
}

std::string join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Text as roff prints it: backslashes, minus signs (options must stay ASCII hyphen-minus to be
// copied), quotes and backquotes (shell examples) escaped; a control character at the start of
// a line made text.
std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\e";
        break;
      case '-':
        out += "\\-";
        break;
      case '\'':
        out += "\\(aq";
        break;
      case '`':
        out += "\\(ga";
        break;
      default:
        out += c;
    }
  }
  if (!out.empty() && out.front() == '.') out.insert(0, "\\&");
  return out;
}

std::string bold(const std::string& text) { return "\\fB" + escape(text) + "\\fR"; }

std::string page_of(const std::vector<std::string>& path) { return join(path, "-"); }

std::string reference(const std::string& page) { return bold(page) + "(1)"; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// Lines as a paragraph: unindented lines are filled, runs of indented ones (examples, tables)
// kept as they are.
void paragraph(std::ostream& out, const std::vector<std::string>& lines) {
  out << ".PP\n";
  bool kept = false;
  for (const auto& line : lines) {
    const bool indented = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    if (indented != kept) out << (indented ? ".nf\n" : ".fi\n");
    kept = indented;
    out << escape(line) << '\n';
  }
  if (kept) out << ".fi\n";
}

struct Block {
  std::string section;  // "" for DESCRIPTION
  std::vector<std::string> lines;
};

// The sections a footer block may open with a heading followed by its text on the same line
// ("Environment: PROVPORTAL_PROFILE, ..."); any other "Word:" there is prose.
bool inline_heading(const std::string& name) {
  static const char* const names[] = {"ENVIRONMENT", "FILES", "EXIT STATUS", "NOTES", "EXAMPLES"};
  for (const char* n : names) {
    if (name == n) return true;
  }
  return false;
}

// A footer's blocks (runs of lines between blank lines): a block that starts with a heading
// ("Examples:" alone on its line, or "Environment: ..." for the usual sections) is that section;
// the others belong to the description.
std::vector<Block> footer_blocks(const std::string& footer) {
  std::vector<Block> blocks;
  Block current;
  auto flush = [&] {
    if (current.lines.empty()) return;
    const std::string first = current.lines.front();
    const auto colon = first.find(':');
    bool heading_only = colon != std::string::npos && colon + 1 == first.size();
    bool heading_inline = colon != std::string::npos && colon + 1 < first.size() &&
                          first[colon + 1] == ' ' && inline_heading(upper(first.substr(0, colon)));
    bool words = colon != std::string::npos && colon > 0 &&
                 std::isupper(static_cast<unsigned char>(first.front()));
    for (std::size_t i = 0; words && i < colon; ++i) {
      words = std::isalpha(static_cast<unsigned char>(first[i])) || first[i] == ' ';
    }
    if (words && (heading_only || heading_inline)) {
      current.section = upper(first.substr(0, colon));
      if (heading_only) {
        current.lines.erase(current.lines.begin());
      } else {
        current.lines.front() = first.substr(colon + 2);
      }
    }
    if (!current.lines.empty()) blocks.push_back(current);
    current = Block{};
  };
  for (const auto& line : lines_of(footer)) {
    if (line.empty()) {
      flush();
    } else {
      current.lines.push_back(line);
    }
  }
  flush();
  return blocks;
}

std::vector<const CLI::App*> subcommands_of(const CLI::App& app) {
  // As `--help` lists them: named, and not hidden (a hidden subcommand has no group).
  return app.get_subcommands(
      [](const CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); });
}

std::string option_tag(const CLI::Formatter& f, const CLI::Option* o, bool positional) {
  std::string name = f.make_option_name(o, positional);
  std::string spaced;
  for (char c : name) spaced += c == ',' ? std::string(", ") : std::string(1, c);
  // A list of choices may break after any comma (\: is roff's break point), never inside a word.
  std::string opts;
  for (char c : escape(f.make_option_opts(o)))
    opts += c == ',' ? std::string(",\\:") : std::string(1, c);
  return bold(spaced) + opts;
}

}  // namespace

std::string page_name(const CLI::App& app, const Program& program) {
  return page_of(command_path(app, program)) + ".1";
}

std::string render(const CLI::App& app, const Program& program) {
  const CLI::Formatter f;
  const auto path = command_path(app, program);
  const std::string page = page_of(path);
  std::ostringstream out;

  out << ".\\\" " << page << "(1): written by `" << program.name
      << " --man-pages` from the text of `" << join(path, " ") << " --help`; do not edit.\n";
  out << ".TH \"" << escape(upper(page)) << "\" \"1\" \"\" \"" << escape(program.name) << ' '
      << escape(program.version) << "\" \"User Commands\"\n";
  out << ".nh\n.ad l\n";  // no hyphenation (option names, paths), ragged right

  // NAME: the first line of the description, without a leading "provportal: ".
  auto description = lines_of(app.get_description());
  while (!description.empty() && description.back().empty()) description.pop_back();
  std::string summary = description.empty() ? std::string() : description.front();
  if (summary.rfind(program.name + ": ", 0) == 0) summary.erase(0, program.name.size() + 2);
  out << ".SH NAME\n" << escape(page) << " \\- " << escape(summary) << '\n';

  std::string usage = f.make_usage(&app, join(path, " "));
  if (auto colon = usage.find(": "); colon != std::string::npos) usage.erase(0, colon + 2);
  while (!usage.empty() && usage.back() == '\n') usage.pop_back();
  std::string command = join(path, " ");
  out << ".SH SYNOPSIS\n"
      << bold(command) << escape(usage.substr(std::min(usage.size(), command.size()))) << '\n';

  const auto blocks = footer_blocks(app.get_footer());
  out << ".SH DESCRIPTION\n";
  if (!description.empty()) paragraph(out, description);
  for (const auto& b : blocks) {
    if (b.section.empty()) paragraph(out, b.lines);
  }

  // OPTIONS, group by group as --help lists them.
  bool options_opened = false;
  const auto groups = app.get_groups();
  for (const auto& group : groups) {
    auto opts = app.get_options(
        [&group](const CLI::Option* o) { return o->get_group() == group && o->nonpositional(); });
    if (group.empty() || opts.empty()) continue;
    if (!options_opened) out << ".SH OPTIONS\n";
    options_opened = true;
    if (groups.size() > 1) out << ".SS \"" << escape(group) << "\"\n";
    for (const CLI::Option* o : opts) {
      out << ".TP\n" << option_tag(f, o, false) << '\n';
      const auto desc = lines_of(f.make_option_desc(o));
      for (const auto& line : desc) out << (line.empty() ? ".br" : escape(line)) << '\n';
    }
  }
  // The options of the commands above apply too.
  std::vector<std::string> above;
  for (const CLI::App* a = app.get_parent(); a != nullptr; a = a->get_parent()) {
    auto own = a->get_options([a](const CLI::Option* o) {
      return o->nonpositional() && o != a->get_help_ptr() && o != a->get_version_ptr() &&
             !o->get_group().empty();
    });
    if (!own.empty()) above.insert(above.begin(), reference(page_of(command_path(*a, program))));
  }
  if (!above.empty()) {
    if (!options_opened) out << ".SH OPTIONS\n";
    out << ".PP\nThe options of " << join(above, " and ") << " are accepted too, "
        << (app.get_fallthrough() ? "before or after " : "before ") << bold(app.get_name())
        << ".\n";
  }

  auto positionals = app.get_options([](const CLI::Option* o) { return o->get_positional(); });
  if (!positionals.empty()) {
    out << ".SH ARGUMENTS\n";
    for (const CLI::Option* o : positionals) {
      out << ".TP\n" << option_tag(f, o, true) << '\n';
      for (const auto& line : lines_of(f.make_option_desc(o))) out << escape(line) << '\n';
    }
  }

  const auto subs = subcommands_of(app);
  if (!subs.empty()) {
    out << ".SH COMMANDS\n";
    for (const CLI::App* s : subs) {
      auto sub_description = lines_of(s->get_description());
      out << ".TP\n" << bold(s->get_name()) << '\n';
      if (!sub_description.empty()) out << escape(sub_description.front()) << '\n';
      out << "See " << reference(page_of(command_path(*s, program))) << ".\n";
    }
  }

  // The footer's sections, in its order (the blocks of one heading together).
  std::vector<std::string> sections;
  for (const auto& b : blocks) {
    if (!b.section.empty() &&
        std::find(sections.begin(), sections.end(), b.section) == sections.end()) {
      sections.push_back(b.section);
    }
  }
  for (const auto& s : sections) {
    out << ".SH " << escape(s) << '\n';
    for (const auto& b : blocks) {
      if (b.section == s) paragraph(out, b.lines);
    }
  }
  if (std::find(sections.begin(), sections.end(), "EXIT STATUS") == sections.end() &&
      !program.exit_status.empty()) {
    auto table = lines_of(program.exit_status);
    if (!table.empty() && !table.front().empty() && table.front().back() == ':') {
      table.erase(table.begin());
    }
    out << ".SH \"EXIT STATUS\"\n";
    paragraph(out, table);
  }

  std::vector<std::string> see_also;
  for (std::size_t n = 1; n < path.size(); ++n) {
    see_also.push_back(page_of({path.begin(), path.begin() + static_cast<std::ptrdiff_t>(n)}));
  }
  for (const CLI::App* s : subs) see_also.push_back(page_of(command_path(*s, program)));
  for (const auto& p : program.see_also) see_also.push_back(p);
  if (!see_also.empty()) {
    out << ".SH \"SEE ALSO\"\n";
    for (std::size_t i = 0; i < see_also.size(); ++i) {
      out << ".BR " << escape(see_also[i]) << " (1)" << (i + 1 < see_also.size() ? "," : "")
          << '\n';
    }
  }
  return out.str();
}

namespace {

void collect(const CLI::App& app, std::vector<const CLI::App*>& apps) {
  apps.push_back(&app);
  for (const CLI::App* s : subcommands_of(app)) collect(*s, apps);
}

}  // namespace

std::vector<std::string> write_pages(const CLI::App& top, const Program& program,
                                     const std::filesystem::path& dir) {
  std::vector<const CLI::App*> apps;
  collect(top, apps);
  std::vector<std::string> names;
  for (const CLI::App* app : apps) {
    const std::string name = page_name(*app, program);
    if (auto written = write_file_atomically(dir / name, render(*app, program)); !written) {
      throw std::runtime_error(name + ": " + written.error().message);
    }
    names.push_back(name);
  }
  return names;
}

int answer_man_pages_request(int argc, char** argv, const CLI::App& top, const Program& program) {
  if (argc != 3 || std::string(argv[1]) != "--man-pages") return -1;
  try {
    write_pages(top, program, argv[2]);
  } catch (const std::exception& e) {
    std::cerr << program.name << ": error: cannot write the man pages: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace portal::man
