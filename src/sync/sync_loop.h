// The sync loop: snapshot, then backup script, until no work is pending; failures are retried
// forever with backoff.
#pragma once

#include "config/config.h"
#include "repo/backup_dir.h"
#include "state/state_file.h"
#include "sync/backoff.h"
#include "sync/sync_log.h"

namespace pgbak {

struct SyncContext {
  const BackupDir& dir;
  StateFile& state;
  const Config& config;
  SyncLog& log;
  Clock& clock;
  bool foreground;  // copy children's output to stderr
};

// Runs the loop. The caller holds BACKUP; the loop takes WAIT, turns running bits left by a
// dead sync into pending work, and returns once the state is idle, having released WAIT and
// BACKUP under the STATE lock (so no pending bit set meanwhile is lost). Work failures are
// logged, recorded in sync.status and retried; only errors outside the work (e.g. the state
// file) are thrown.
void run_sync_loop(SyncContext& ctx);

}  // namespace pgbak
