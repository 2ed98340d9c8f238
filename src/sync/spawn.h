// Starting the detached background sync from archive-wal.
#pragma once

#include "cli/invocation.h"
#include "state/state_file.h"

namespace pgbak {

// The descriptor number on which the background sync receives pgbak.lock.
constexpr int kInheritedLockFd = 3;

// Forks and execs `pgbak sync --background` in a new session with stdin from /dev/null. The
// caller holds the BACKUP lock on `state`; the child inherits it through the shared open file
// description, so the lock stays held for as long as the child runs.
void spawn_background_sync(const Invocation& inv, StateFile& state);

}  // namespace pgbak
