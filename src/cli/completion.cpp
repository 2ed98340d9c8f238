#include "cli/completion.h"

#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command_table.h"
#include "cli/commands.h"
#include "cli/global_options.h"
#include "config/config.h"
#include "io/error.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

// What completes an argument or an option value (the kinds _pgbak_complete knows): a file, a
// directory, a generation or an archived WAL name of the backup directory, a command, a Debian
// cluster (VERSION/NAME), a user, a fixed word list ("=WORD..."), or nothing ("none": numbers,
// times, free text).
using Kind = std::string;

// Arguments by their synopsis name.
const std::map<std::string, Kind> kArgumentKinds = {
    {"PATH", "file"}, {"DEST", "file"},       {"PGDATA", "dir"},   {"GENERATION", "generation"},
    {"NAME", "wal"},  {"COMMAND", "command"}, {"TIMEOUT", "none"},
};

// Option values by the option's long name; options not listed take free text.
const std::map<std::string, Kind> kValueKinds = {
    {"dir", "dir"},
    {"config", "file"},
    {"pg-bindir", "dir"},
    {"encryption-key-file", "file"},
    {"encryption-old-key-files", "file"},
    {"generation", "generation"},
    {"cluster", "cluster"},
    {"owner", "user"},
    {"snapshot-compression", "=auto server client"},
    {"archive-full-disk", "=fail drop"},
    {"target-action", "=promote pause shutdown"},
};

struct ArgumentKinds {
  std::vector<Kind> kinds;  // by position
  bool repeat = false;      // the last kind repeats ("GENERATION...")
};

// The synopsis "NAME DEST", "[GENERATION...]", "--keep N", "PGDATA | --cluster VERSION/NAME" or
// "bash" as argument kinds: options and their values and the "|" between alternatives are
// skipped, a lowercase word is a literal.
ArgumentKinds argument_kinds(const Command& c) {
  ArgumentKinds result;
  std::istringstream words(c.synopsis);
  std::string w;
  while (words >> w) {
    if (w == "|") continue;
    if (w[0] == '-') {
      words >> w;  // the option's value
      continue;
    }
    std::string name;
    for (char ch : w) {
      if (ch != '[' && ch != ']' && ch != '.') name += ch;
    }
    if (w.find("...") != std::string::npos) result.repeat = true;
    if (name.find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos) {
      result.kinds.push_back("=" + name);
      continue;
    }
    auto it = kArgumentKinds.find(name);
    if (it == kArgumentKinds.end()) {
      throw std::logic_error("bash completion: no completion for argument " + name + " of " +
                             c.name + " (add it to kArgumentKinds)");
    }
    result.kinds.push_back(it->second);
  }
  return result;
}

// The option names a user may type ("-D --dir"); options without a description are internal.
std::vector<std::string> spellings(const po::option_description& o) {
  if (o.description().empty()) return {};
  std::vector<std::string> names;
  std::string shown = o.canonical_display_name(po::command_line_style::allow_dash_for_short);
  if (shown.size() == 2 && shown[0] == '-') names.push_back(shown);
  names.push_back("--" + o.long_name());
  return names;
}

bool takes_value(const po::option_description& o) {
  return o.semantic()->min_tokens() > 0;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

struct OptionTables {
  std::vector<std::string> names;        // every option
  std::vector<std::string> value_names;  // options that take a value
  std::map<Kind, std::vector<std::string>> by_value_kind;
};

void add_options(const po::options_description& d, OptionTables& t, std::vector<std::string>* own) {
  for (const auto& o : d.options()) {
    for (const std::string& name : spellings(*o)) {
      t.names.push_back(name);
      if (own != nullptr) own->push_back(name);
      if (!takes_value(*o)) continue;
      t.value_names.push_back(name);
      auto kind = kValueKinds.find(o->long_name());
      if (kind != kValueKinds.end()) t.by_value_kind[kind->second].push_back(name);
    }
  }
}

std::string command_names(const Command& c) {
  return c.alias != nullptr ? std::string(c.name) + " | " + c.alias : c.name;
}

}  // namespace

void write_bash_completion(std::ostream& out) {
  GlobalOptions globals;
  Config config = default_config();
  OptionTables common;
  add_options(global_options(globals), common, nullptr);
  add_options(config_options(config), common, nullptr);

  std::vector<std::string> commands;
  std::ostringstream command_options;
  std::ostringstream arguments;
  OptionTables all = common;
  for (const Command& c : command_table()) {
    commands.push_back(c.name);
    if (c.alias != nullptr) commands.push_back(c.alias);
    if (c.add_options != nullptr) {
      po::options_description d;
      c.add_options(d);
      std::vector<std::string> own;
      add_options(d, all, &own);
      if (!own.empty())
        command_options << "  " << command_names(c) << ") echo \"" << join(own) << "\" ;;\n";
    }
    ArgumentKinds kinds = argument_kinds(c);
    if (kinds.kinds.empty()) continue;
    arguments << "  " << command_names(c) << ") kinds=(";
    for (size_t i = 0; i < kinds.kinds.size(); ++i)
      arguments << (i ? " " : "") << '"' << kinds.kinds[i] << '"';
    arguments << ")" << (kinds.repeat ? " repeat=true" : "") << " ;;\n";
  }

  out << "# bash completion for pgbak(1), generated by `pgbak completion bash` from its command\n"
         "# table: do not edit. Install as /usr/share/bash-completion/completions/pgbak or source\n"
         "# it from ~/.bashrc; works with or without the bash-completion package.\n"
         "# shellcheck shell=bash\n\n"
      << "_pgbak_commands=\"" << join(commands) << "\"\n"
      << "# options accepted with every command (global options and settings)\n"
      << "_pgbak_options=\"" << join(common.names) << "\"\n"
      << "_pgbak_value_options=\"" << join(all.value_names) << "\"\n\n"
      << "# _pgbak_command_options COMMAND: the command's own options\n"
      << "_pgbak_command_options() {\n  case $1 in\n"
      << command_options.str() << "  esac\n}\n\n"
      << "# _pgbak_value_kind OPTION: what completes the option's value\n"
      << "_pgbak_value_kind() {\n  case $1 in\n";
  for (const auto& [kind, names] : all.by_value_kind) {
    std::string pattern;
    for (const auto& n : names) pattern += (pattern.empty() ? "" : " | ") + n;
    out << "  " << pattern << ") echo \"" << kind << "\" ;;\n";
  }
  out << "  *) echo none ;;\n  esac\n}\n\n"
      << "# _pgbak_argument_kind COMMAND POSITION: what completes the command's POSITIONth "
         "argument\n"
      << "_pgbak_argument_kind() {\n  local kinds=() repeat=false\n  case $1 in\n"
      << arguments.str() << "  esac\n"
      << "  if (($2 <= ${#kinds[@]})); then\n    echo \"${kinds[$2 - 1]}\"\n"
      << "  elif [[ $repeat == true ]]; then\n    echo \"${kinds[-1]}\"\n  else\n    echo none\n  "
         "fi\n}\n\n"
      << kBashCompletionFunctions;
}

int run_completion(Invocation& inv) {
  if (inv.args[0] != "bash")
    throw UsageError("completion: unknown shell '" + inv.args[0] + "' (known: bash)");
  write_bash_completion(std::cout);
  return 0;
}

}  // namespace pgbak
