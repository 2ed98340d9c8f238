// Command-line front end: parses arguments, loads settings, runs the chosen command.
#pragma once

#include <optional>

#include "cli/command_table.h"

namespace pgbak {

// Parses arguments and settings (compiled defaults < config file < command line). Returns nullopt
// after printing help or the version; throws UsageError for bad input. *chosen gets the command.
std::optional<Invocation> parse_invocation(int argc, char** argv, const Command** chosen);

// The settings as they are now: the invocation's command line parsed again, reading its config
// file anew. Throws UsageError when the file became invalid.
Config reload_settings(const Invocation& inv);

// Runs pgbak with the given arguments; returns the process exit code (0, 1 or 2).
int run_cli(int argc, char** argv);

}  // namespace pgbak
