// Command-line front end: parses arguments, loads settings, runs the chosen command.
#pragma once

namespace pgbak {

// Runs pgbak with the given arguments; returns the process exit code (0, 1 or 2).
int run_cli(int argc, char** argv);

}  // namespace pgbak
