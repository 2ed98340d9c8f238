// Running the user's scripts/backup: `scripts/backup BASE_TS CURRENT_TS` in the generation
// directory, with a clean environment.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

// The script's environment: PGBAK=<dir>, plus from ours only PATH (a default if unset), HOME,
// USER, LOGNAME, SHELL, LANG, LC_*, TZ, TMPDIR, SSH_AUTH_SOCK and the libpq-style PG<LETTERS>
// variables (PGHOST, PGPORT, PGUSER, ...). `ours` holds "NAME=value" entries.
std::vector<std::string> script_environment(const std::vector<std::string>& ours,
                                            const std::string& backup_dir);

// Runs the script and waits for it. Its stdin is /dev/null; stdout and stderr go into one pipe
// whose tail is kept for the error message (and copied to our stderr when `echo`). It runs in a
// process group of its own (`started` gets its id, to be recorded): whatever it leaves running
// there when it exits is killed, so no upload of this run overlaps the next one. Throws Error
// when the script is missing, not executable, exits non-zero or dies by a signal.
void run_backup_script(const BackupDir& dir, const Generation& gen, const std::string& current_ts,
                       bool echo, const std::function<void(pid_t)>& started = {});

}  // namespace pgbak
