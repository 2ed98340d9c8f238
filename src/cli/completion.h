// Bash completion generated from the command table, the global options and the settings, so it
// completes exactly what the parser accepts (`pgbak completion bash`; the build installs its
// output as the bash-completion file).
#pragma once

#include <ostream>

namespace pgbak {

// Writes the whole completion script (generated tables, then kBashCompletionFunctions). Throws
// std::logic_error when a command's synopsis names an argument the generator does not know how
// to complete, so a new command cannot be forgotten.
void write_bash_completion(std::ostream& out);

// The fixed part of the script: the _pgbak function that reads the generated tables.
extern const char* const kBashCompletionFunctions;

}  // namespace pgbak
