// Starting the detached background sync from archive-wal.
#pragma once

#include "cli/invocation.h"
#include "state/state_file.h"

namespace pgbak {

// The descriptor number on which the background sync receives pgbak.lock.
constexpr int kInheritedLockFd = 3;

// Starts `pgbak sync --background`, detached (a session of its own, output to /dev/null). The
// caller holds the BACKUP lock on `state`; the child inherits it through the shared open file
// description, so the lock stays held for as long as the child runs. Throws SystemError if the
// sync cannot be started (fork or exec failed).
void spawn_background_sync(const Invocation& inv, StateFile& state);

// For commands other than a sync that take BACKUP for a while (prune): an archive-wal that ran
// meanwhile could not start a sync, so if work is pending the lock is handed to a new
// background sync instead of being released.
void release_backup_lock(const Invocation& inv, StateFile& state);

}  // namespace pgbak
