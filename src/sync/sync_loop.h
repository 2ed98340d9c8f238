// The sync loop: snapshot, then backup script, until no work is pending; failures are retried
// forever with backoff.
#pragma once

#include <functional>
#include <optional>

#include "config/config.h"
#include "io/error.h"
#include "repo/backup_dir.h"
#include "repo/sync_log.h"
#include "state/state_file.h"
#include "sync/backoff.h"

namespace pgbak {

struct SyncContext {
  const BackupDir& dir;
  StateFile& state;
  Config config;  // replaced by reload() before every retry
  SyncLog& log;
  Clock& clock;
  bool echo;  // copy children's output to stderr (a foreground sync without -q)
  // Reads the settings again (pgbak.conf may have been fixed meanwhile); throws on a bad file.
  std::function<Config()> reload;
  // On ctx.clock's scale: a failure past this ends the loop (TimedOut) instead of a retry.
  std::optional<double> deadline;
};

// The loop gave up at its deadline: the work it claimed is pending again.
class TimedOut : public Error {
 public:
  using Error::Error;
};

// Runs the loop. The caller holds BACKUP; the loop takes WAIT, turns running bits left by a
// dead sync into pending work, and returns once the state is idle, having released WAIT and
// BACKUP under the STATE lock (so no pending bit set meanwhile is lost). Work failures are
// logged, recorded in sync.status and retried; only errors outside the work (e.g. the state
// file) are thrown. With a deadline, a failure after it turns the claimed work back into pending
// work and throws TimedOut with the failure's message.
void run_sync_loop(SyncContext& ctx);

}  // namespace pgbak
