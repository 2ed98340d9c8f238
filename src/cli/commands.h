// Entry points of the subcommands, each defined in the module that owns it.
#pragma once

#include <boost/program_options.hpp>

#include "cli/invocation.h"

namespace pgbak {

int run_init(Invocation& inv);
int run_archive_wal(Invocation& inv);
int run_sync(Invocation& inv);
int run_force_sync(Invocation& inv);
int run_full_sync(Invocation& inv);
int run_wait(Invocation& inv);

// Options of `sync` (internal ones, used by archive-wal's background start).
void add_sync_options(boost::program_options::options_description& d);
// Options of `force-sync` and `full-sync` (--timeout).
void add_force_sync_options(boost::program_options::options_description& d);
int run_restore_wal(Invocation& inv);
void add_restore_wal_options(boost::program_options::options_description& d);
int run_restore(Invocation& inv);
void add_restore_options(boost::program_options::options_description& options);
int run_verify(Invocation& inv);
int run_prune(Invocation& inv);
int run_check(Invocation& inv);
int run_status(Invocation& inv);
int run_info(Invocation& inv);
void add_info_options(boost::program_options::options_description& d);
void add_status_options(boost::program_options::options_description& d);
int run_keygen(Invocation& inv);
void add_check_options(boost::program_options::options_description& d);
void add_prune_options(boost::program_options::options_description& d);
int run_completion(Invocation& inv);

}  // namespace pgbak
