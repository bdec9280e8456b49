// provportal completion: shell completion scripts generated from the command tree itself.
#include <algorithm>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace portal::cli {

namespace {

struct OptionInfo {
  std::string name;        // "--npi"
  std::string short_name;  // "-o" or ""
  std::string description;
  bool takes_value = false;
  bool file = false;
  bool profile = false;  // its values are the configuration's profile names, read when completing
  std::vector<std::string> choices;
};

// The command a completion script runs for the profile names (they change after it is made).
constexpr const char* k_profiles_command = "provportal config profiles 2>/dev/null";

struct CommandNode {
  std::string path;  // "" for the top, "config set" for nested ones
  std::string description;
  std::vector<std::pair<std::string, std::string>> subcommands;  // name, description
  std::vector<OptionInfo> options;
  std::vector<std::string> positional_words;  // values a positional argument accepts
  bool positional_profile = false;            // a positional argument names a profile
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::vector<OptionInfo> options_of(const CLI::App& app) {
  std::vector<OptionInfo> out;
  for (const CLI::Option* o : app.get_options()) {
    if (!o->nonpositional()) continue;
    for (const auto& l : o->get_lnames()) {
      OptionInfo info;
      info.name = "--" + l;
      if (!o->get_snames().empty()) info.short_name = "-" + o->get_snames().front();
      info.description = first_line(o->get_description());
      info.takes_value = o->get_expected_max() > 0;
      info.file = o->get_type_name() == "FILE";
      info.profile = info.name == "--profile";
      info.choices = choices_of(o);
      out.push_back(std::move(info));
    }
  }
  return out;
}

void collect(const CLI::App& app, const std::string& path, const std::vector<OptionInfo>& inherited,
             std::vector<CommandNode>& nodes) {
  CommandNode node;
  node.path = path;
  node.description = first_line(app.get_description());
  node.options = inherited;
  for (auto& o : options_of(app)) {
    bool dup = false;
    for (const auto& i : node.options) dup = dup || i.name == o.name;
    if (!dup) node.options.push_back(std::move(o));
  }
  for (const CLI::Option* o : app.get_options()) {
    if (o->nonpositional()) continue;
    for (const auto& c : choices_of(o)) node.positional_words.push_back(c);
    node.positional_profile = node.positional_profile || o->get_type_name() == "PROFILE";
  }
  std::vector<const CLI::App*> subs = app.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* s : subs)
    node.subcommands.emplace_back(s->get_name(), first_line(s->get_description()));
  auto opts = node.options;
  nodes.push_back(std::move(node));
  for (const CLI::App* s : subs) {
    collect(*s, path.empty() ? s->get_name() : path + " " + s->get_name(), opts, nodes);
  }
}

std::string single_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Each option name once, in first-seen order.
std::vector<std::string> unique(std::vector<std::string> words) {
  std::vector<std::string> out;
  for (auto& w : words) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
  }
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// The options that take a value, long and short names, space-separated: a script skips the word
// after them when it walks the command line.
std::string value_option_words(const std::vector<CommandNode>& nodes) {
  std::vector<std::string> words;
  for (const auto& n : nodes) {
    for (const auto& o : n.options) {
      if (!o.takes_value) continue;
      words.push_back(o.name);
      if (!o.short_name.empty()) words.push_back(o.short_name);
    }
  }
  return join(unique(words));
}

// The `case` arms (bash and zsh share the syntax) that move `var` from a node's path to its
// subcommand's as the walk meets the subcommand's name.
// Each option that takes a value once, with its `case` pattern ("--output|-o").
std::vector<std::pair<const OptionInfo*, std::string>> value_options(
    const std::vector<CommandNode>& nodes) {
  std::vector<std::pair<const OptionInfo*, std::string>> out;
  std::vector<std::string> done;
  for (const auto& n : nodes) {
    for (const auto& o : n.options) {
      if (!o.takes_value || std::find(done.begin(), done.end(), o.name) != done.end()) continue;
      done.push_back(o.name);
      out.emplace_back(&o, o.name + (o.short_name.empty() ? "" : "|" + o.short_name));
    }
  }
  return out;
}

void put_path_cases(std::ostream& s, const std::vector<CommandNode>& nodes, const char* var) {
  for (const auto& n : nodes) {
    for (const auto& [name, _] : n.subcommands) {
      std::string next = n.path.empty() ? name : n.path + " " + name;
      s << "      " << single_quoted(n.path + "/" + name) << ") " << var << "="
        << single_quoted(next) << " ;;\n";
    }
  }
}

std::string bash_script(const std::vector<CommandNode>& nodes) {
  std::ostringstream s;
  s << "# bash completion for provportal (generated by `provportal completion bash`)\n"
       "# Load it with: source <(provportal completion bash)\n"
       "_provportal() {\n"
       "  local cur prev path=\"\" i w subs opts\n"
       "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
       "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
       "  local value_opts=\" "
    << value_option_words(nodes)
    << " \"\n"
       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
       "    w=\"${COMP_WORDS[i]}\"\n"
       "    if [[ \"$value_opts\" == *\" $w \"* ]]; then ((i++)); continue; fi\n"
       "    case \"$path/$w\" in\n";
  put_path_cases(s, nodes, "path");
  s << "    esac\n"
       "  done\n"
       "  case \"$prev\" in\n";
  for (const auto& [option, pat] : value_options(nodes)) {
    const OptionInfo& o = *option;
    {
      if (o.profile) {
        s << "    " << pat << ") COMPREPLY=($(compgen -W \"$(" << k_profiles_command
          << ")\" -- \"$cur\")); return ;;\n";
      } else if (!o.choices.empty()) {
        s << "    " << pat << ") COMPREPLY=($(compgen -W " << single_quoted(join(o.choices))
          << " -- \"$cur\")); return ;;\n";
      } else if (o.file) {
        s << "    " << pat << ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
      } else {
        s << "    " << pat << ") COMPREPLY=(); return ;;\n";
      }
    }
  }
  s << "  esac\n"
       "  case \"$path\" in\n";
  for (const auto& n : nodes) {
    std::vector<std::string> sub_words, opt_words;
    for (const auto& [name, _] : n.subcommands) sub_words.push_back(name);
    for (const auto& w : n.positional_words) sub_words.push_back(w);
    for (const auto& o : n.options) opt_words.push_back(o.name);
    s << "    " << single_quoted(n.path) << ") subs=" << single_quoted(join(sub_words));
    if (n.positional_profile) s << "\" $(" << k_profiles_command << ")\"";
    s << "; opts=" << single_quoted(join(opt_words)) << " ;;\n";
  }
  s << "  esac\n"
       "  if [[ \"$cur\" == -* ]]; then\n"
       "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
       "  else\n"
       "    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
       "  fi\n"
       "}\n"
       "complete -o default -F _provportal provportal\n";
  return s.str();
}

std::string zsh_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':') out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_script(const std::vector<CommandNode>& nodes) {
  std::ostringstream s;
  s << "#compdef provportal\n"
       "# zsh completion for provportal (generated by `provportal completion zsh`)\n"
       "# Install: provportal completion zsh > \"${fpath[1]}/_provportal\"\n"
       "_provportal() {\n"
       "  local p=\"\" i w\n"
       "  local -a subs opts\n"
       "  local value_opts=\" "
    << value_option_words(nodes)
    << " \"\n"
       "  for (( i = 2; i < CURRENT; i++ )); do\n"
       "    w=\"${words[i]}\"\n"
       "    if [[ \"$value_opts\" == *\" $w \"* ]]; then (( i++ )); continue; fi\n"
       "    case \"$p/$w\" in\n";
  put_path_cases(s, nodes, "p");
  s << "    esac\n"
       "  done\n"
       "  case \"${words[CURRENT-1]}\" in\n";
  for (const auto& [option, pat] : value_options(nodes)) {
    const OptionInfo& o = *option;
    {
      if (o.profile) {
        s << "    " << pat << ") compadd -- ${(f)\"$(" << k_profiles_command << ")\"}; return ;;\n";
      } else if (!o.choices.empty()) {
        s << "    " << pat << ") compadd -- " << join(o.choices) << "; return ;;\n";
      } else if (o.file) {
        s << "    " << pat << ") _files; return ;;\n";
      } else {
        s << "    " << pat << ") _message " << single_quoted(o.name.substr(2) + " value")
          << "; return ;;\n";
      }
    }
  }
  s << "  esac\n"
       "  case \"$p\" in\n";
  for (const auto& n : nodes) {
    s << "    " << single_quoted(n.path) << ")\n      subs=(";
    for (const auto& [name, desc] : n.subcommands)
      s << ' ' << single_quoted(zsh_escape(name) + ":" + desc);
    for (const auto& w : n.positional_words) s << ' ' << single_quoted(zsh_escape(w));
    if (n.positional_profile) s << " ${(f)\"$(" << k_profiles_command << ")\"}";
    s << " )\n      opts=(";
    for (const auto& o : n.options)
      s << ' ' << single_quoted(zsh_escape(o.name) + ":" + o.description);
    s << " ) ;;\n";
  }
  s << "  esac\n"
       "  if [[ \"$PREFIX\" == -* ]]; then\n"
       "    _describe -t options 'option' opts\n"
       "  else\n"
       "    _describe -t commands 'command' subs\n"
       "  fi\n"
       "}\n"
       "if [[ \"$funcstack[1]\" == \"_provportal\" ]]; then\n"
       "  _provportal \"$@\"\n"
       "else\n"
       "  compdef _provportal provportal\n"
       "fi\n";
  return s.str();
}

std::string fish_script(const std::vector<CommandNode>& nodes) {
  std::ostringstream s;
  s << "# fish completion for provportal (generated by `provportal completion fish`)\n"
       "# Install: provportal completion fish > ~/.config/fish/completions/provportal.fish\n"
       "complete -c provportal -f\n";
  for (const auto& n : nodes) {
    // The condition that the command line is at this node of the tree.
    std::string cond;
    if (n.path.empty()) {
      cond = "__fish_use_subcommand";
    } else {
      std::string last =
          n.path.substr(n.path.rfind(' ') == std::string::npos ? 0 : n.path.rfind(' ') + 1);
      cond = "__fish_seen_subcommand_from " + last;
      std::vector<std::string> children;
      for (const auto& [name, _] : n.subcommands) children.push_back(name);
      if (!children.empty()) cond += "; and not __fish_seen_subcommand_from " + join(children);
    }
    for (const auto& [name, desc] : n.subcommands) {
      s << "complete -c provportal -n " << single_quoted(cond) << " -a " << single_quoted(name)
        << " -d " << single_quoted(desc) << "\n";
    }
    for (const auto& w : n.positional_words) {
      s << "complete -c provportal -n " << single_quoted(cond) << " -a " << single_quoted(w)
        << "\n";
    }
    if (n.positional_profile) {
      s << "complete -c provportal -n " << single_quoted(cond) << " -a "
        << single_quoted(std::string("(") + k_profiles_command + ")") << "\n";
    }
    if (n.path.empty()) {
      for (const auto& o : n.options) {
        s << "complete -c provportal -l " << o.name.substr(2);
        if (!o.short_name.empty()) s << " -s " << o.short_name.substr(1);
        if (o.takes_value) s << (o.file ? " -r -F" : " -r");
        if (!o.choices.empty()) s << " -a " << single_quoted(join(o.choices));
        if (o.profile) s << " -a " << single_quoted(std::string("(") + k_profiles_command + ")");
        s << " -d " << single_quoted(o.description) << "\n";
      }
      continue;
    }
    std::string last =
        n.path.substr(n.path.rfind(' ') == std::string::npos ? 0 : n.path.rfind(' ') + 1);
    const CommandNode& root = nodes.front();
    for (const auto& o : n.options) {
      bool global = false;
      for (const auto& r : root.options) global = global || r.name == o.name;
      if (global) continue;
      s << "complete -c provportal -n " << single_quoted("__fish_seen_subcommand_from " + last)
        << " -l " << o.name.substr(2);
      if (o.takes_value) s << (o.file ? " -r -F" : " -r");
      if (!o.choices.empty()) s << " -a " << single_quoted(join(o.choices));
      s << " -d " << single_quoted(o.description) << "\n";
    }
  }
  return s.str();
}

}  // namespace

void setup_completion(CLI::App& app, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("completion", "Print a shell completion script (bash, zsh, fish)");
  with_choices(cmd->add_option("shell", *shell, "bash, zsh or fish")->required(),
               {"bash", "zsh", "fish"});
  cmd->footer(
      "Examples:\n"
      "  source <(provportal completion bash)\n"
      "  provportal completion zsh > \"${fpath[1]}/_provportal\"\n"
      "  provportal completion fish > ~/.config/fish/completions/provportal.fish");
  CLI::App* root = &app;
  cmd->callback([shell, root, &ctx] {
    ctx.action = [shell, root, &ctx]() -> Expected<void> {
      std::vector<CommandNode> nodes;
      collect(*root, "", {}, nodes);
      if (*shell == "bash") ctx.out() << bash_script(nodes);
      if (*shell == "zsh") ctx.out() << zsh_script(nodes);
      if (*shell == "fish") ctx.out() << fish_script(nodes);
      return {};
    };
  });
}

}  // namespace portal::cli
