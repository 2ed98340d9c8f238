// The one table of subcommands: it drives dispatch, --help, `pgbak help COMMAND` and "did you
// mean".
#pragma once

#include <boost/program_options.hpp>
#include <span>
#include <string>

#include "cli/invocation.h"

namespace pgbak {

struct Command {
  const char* name;
  const char* alias;     // nullptr if none
  const char* synopsis;  // arguments, e.g. "PATH"
  const char* summary;
  // Adds the command's own options; nullptr if it has none.
  void (*add_options)(boost::program_options::options_description&);
  int min_args;
  int max_args;  // -1: unlimited
  int (*run)(Invocation&);
};

std::span<const Command> command_table();

// The command called name or alias, or nullptr.
const Command* find_command(const std::string& name);
// The closest command name for a typo, or "" if none is close.
std::string suggest_command(const std::string& typo);

}  // namespace pgbak
