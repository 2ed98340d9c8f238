// Entry points of the subcommands, each defined in the module that owns it.
#pragma once

#include <boost/program_options.hpp>

#include "cli/invocation.h"

namespace pgbak {

int run_init(Invocation& inv);
int run_archive_wal(Invocation& inv);
int run_keygen(Invocation& inv);

}  // namespace pgbak
