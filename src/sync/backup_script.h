// Running the user's scripts/backup: `scripts/backup BASE_TS CURRENT_TS` in the generation
// directory, with a clean environment.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "repo/backup_dir.h"
#include "repo/script_env.h"

namespace pgbak {

// Runs the script and waits for it. Its stdin is /dev/null; stdout and stderr go into one pipe
// whose tail is kept for the error message (and copied to our stderr when `echo`). It runs in a
// process group of its own (`started` gets its id, to be recorded): whatever it leaves running
// there when it exits is killed, so no upload of this run overlaps the next one. Throws Error
// when the script is missing, not executable, exits non-zero or dies by a signal.
void run_backup_script(const BackupDir& dir, const Generation& gen, const std::string& current_ts,
                       bool echo, const std::function<void(pid_t)>& started = {});

}  // namespace pgbak
