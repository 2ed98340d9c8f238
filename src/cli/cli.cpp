#include "cli/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <string_view>

#include "cli/command_table.h"
#include "cli/global_options.h"
#include "cli/run_as_owner.h"
#include "config/spelling.h"
#include "crypto/keys.h"
#include "io/error.h"
#include "io/file.h"
#include "pgbak_config.h"

namespace po = boost::program_options;

namespace pgbak {

const std::string& Invocation::require_dir() const {
  if (dir.empty()) throw UsageError("no backup directory: set $PGBAK or use -D DIR");
  return dir;
}

namespace {

std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) throw_sys("cannot get the working directory", "");
  return path_join(cwd, path);
}

// True if the token is an option that takes its value from the next token ("-D DIR", "--dir DIR").
bool takes_separate_value(const po::options_description& desc, const std::string& token) {
  if (token.size() < 2 || token[0] != '-' || token.find('=') != std::string::npos) return false;
  if (token[1] != '-' && token.size() != 2) return false;  // -Dvalue
  for (const auto& o : desc.options()) {
    bool named = token == "--" + o->long_name() ||
                 token == o->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (named) return o->semantic()->min_tokens() > 0;
  }
  return false;
}

// Index of the command token, if any.
std::optional<size_t> find_command_token(const std::vector<std::string>& args,
                                         const po::options_description& desc) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return i + 1 < args.size() ? std::optional(i + 1) : std::nullopt;
    if (a.size() > 1 && a[0] == '-') {
      if (takes_separate_value(desc, a)) ++i;
      continue;
    }
    return i;
  }
  return std::nullopt;
}

void print_usage(std::ostream& out, const po::options_description& globals,
                 const po::options_description& settings) {
  out << "pgbak " << PGBAK_VERSION << ": WAL archiver and backup tool for PostgreSQL\n\n"
      << "Usage: pgbak [OPTIONS] COMMAND [ARGS]\n\nCommands:\n";
  for (const Command& c : command_table()) {
    std::string head = std::string(c.name) + (*c.synopsis ? " " : "") + c.synopsis;
    out << "  " << head << std::string(head.size() < 30 ? 30 - head.size() : 1, ' ') << c.summary
        << "\n";
  }
  out << "\n" << globals << "\n" << settings << "\nSee 'pgbak help COMMAND' and man pgbak(1).\n";
}

void print_command_help(std::ostream& out, const Command& c) {
  out << "Usage: pgbak [OPTIONS] " << c.name << (*c.synopsis ? " " : "") << c.synopsis << "\n"
      << c.summary << "\n";
  if (c.alias != nullptr) out << "Alias: " << c.alias << "\n";
  if (c.add_options != nullptr) {
    po::options_description all;
    c.add_options(all);
    // Options without a description are internal (e.g. sync --background) and stay hidden.
    po::options_description shown(std::string(c.name) + " options");
    for (const auto& o : all.options()) {
      if (!o->description().empty()) shown.add(o);
    }
    if (!shown.options().empty()) out << "\n" << shown;
  }
}

const Command& command_or_usage_error(const std::string& name) {
  if (const Command* c = find_command(name)) return *c;
  std::string hint = suggest_command(name);
  throw UsageError("unknown command '" + name + "'" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

}  // namespace

std::optional<Invocation> parse_invocation(int argc, char** argv, const Command** chosen) {
  GlobalOptions g;
  Invocation inv;
  inv.config = default_config();
  po::options_description globals = global_options(g);
  po::options_description settings = config_options(inv.config);
  po::options_description front;
  front.add(globals).add(settings);

  std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd_index = find_command_token(args, front);
  const Command* cmd = nullptr;
  if (cmd_index) {
    cmd = &command_or_usage_error(args[*cmd_index]);
    args.erase(args.begin() + static_cast<long>(*cmd_index));
  }

  po::options_description own;
  if (cmd != nullptr && cmd->add_options != nullptr) cmd->add_options(own);
  po::options_description all;
  all.add(front).add(own).add_options()("args", po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("args", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm["version"].as<bool>()) {
      std::cout << "pgbak " << PGBAK_VERSION << "\n";
      return std::nullopt;
    }
    bool help = vm["help"].as<bool>();
    bool help_command = cmd != nullptr && std::string(cmd->name) == "help";
    if (cmd == nullptr && !help) throw UsageError("no command given (see 'pgbak --help')");
    if (help || help_command) {
      // `pgbak help X` and `pgbak X --help` describe X; bare `--help` or `help` list everything.
      const Command* about = cmd;
      if (help_command) {
        about = vm.count("args")
                    ? &command_or_usage_error(vm["args"].as<std::vector<std::string>>()[0])
                    : nullptr;
      }
      if (about != nullptr) {
        print_command_help(std::cout, *about);
      } else {
        print_usage(std::cout, globals, settings);
      }
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    std::vector<std::string> known;
    for (const auto& o : all.options()) known.push_back("--" + o->long_name());
    throw UsageError(e.what() + did_you_mean(e.get_option_name(), known));
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }

  inv.command = cmd->name;
  inv.args =
      vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (static_cast<int>(inv.args.size()) < cmd->min_args ||
      (cmd->max_args >= 0 && static_cast<int>(inv.args.size()) > cmd->max_args)) {
    throw UsageError(
        std::string(inv.args.size() < static_cast<size_t>(cmd->min_args) ? "missing" : "too many") +
        " arguments (usage: pgbak " + cmd->name + " " + cmd->synopsis + ")");
  }

  const char* env_dir = std::getenv("PGBAK");
  inv.dir = absolute(!g.dir.empty() ? g.dir : (env_dir != nullptr ? env_dir : ""));
  // The completion script looks at the backup directory when bash completes, not when it is
  // printed: `source <(pgbak completion bash)` must work whatever $PGBAK is, even one this user
  // cannot read.
  if (std::string_view(cmd->name) == "completion") inv.dir.clear();
  check_runs_as_owner(inv.command, inv.dir);
  inv.config_explicit = !g.config.empty();
  inv.config_path = inv.config_explicit ? absolute(g.config)
                                        : (inv.dir.empty() ? "" : path_join(inv.dir, "pgbak.conf"));
  // Settings given on the command line win over the file; a bad one is not the file's fault.
  std::set<std::string> from_command_line;
  for (const auto& [key, value] : vm) {
    if (!value.defaulted()) from_command_line.insert(key);
  }
  // A directory this user cannot enter (only init gets this far with one) is reported by the
  // command, not as an unreadable pgbak.conf inside it.
  bool dir_closed = !inv.config_explicit && ::access(inv.dir.c_str(), X_OK) != 0 && errno == EACCES;
  if (!inv.config_path.empty() && !dir_closed) {
    load_config_file(inv.config_path, inv.config_explicit, settings, vm);
    try {
      po::notify(vm);
    } catch (const po::error& e) {
      throw UsageError(e.what());
    }
  }
  validate_config(inv.config, [&](const std::string& key) {
    if (inv.config_path.empty() || from_command_line.count(key)) return std::string();
    return config_location(inv.config_path, key);
  });
  validate_key_settings(inv.config, inv.dir);
  inv.verbosity = g.quiet ? -1 : (g.verbose ? 1 : 0);
  inv.argv.assign(argv, argv + argc);
  inv.vm = std::move(vm);
  *chosen = cmd;
  return inv;
}

Config reload_settings(const Invocation& inv) {
  std::vector<char*> argv;
  for (const std::string& a : inv.argv) argv.push_back(const_cast<char*>(a.c_str()));
  const Command* cmd = nullptr;
  std::optional<Invocation> again =
      parse_invocation(static_cast<int>(argv.size()), argv.data(), &cmd);
  if (!again) throw UsageError("cannot read the settings again");
  return again->config;
}

int run_cli(int argc, char** argv) {
  try {
    const Command* cmd = nullptr;
    std::optional<Invocation> inv = parse_invocation(argc, argv, &cmd);
    return inv ? cmd->run(*inv) : 0;
  } catch (const UsageError& e) {
    std::cerr << "pgbak: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "pgbak: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace pgbak
