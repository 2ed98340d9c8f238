// Retention: removing the oldest generations beyond the newest N complete ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

struct PruneItem {
  std::string generation;
  uint64_t bytes = 0;
};

// The generations older than the keep-th newest complete one (complete: has a base backup).
// Nothing when fewer than `keep` generations are complete. Never includes `current`.
std::vector<std::string> generations_to_prune(const BackupDir& dir, int keep);

// Removes them (each renamed to a hidden name first, so a crash never leaves a half-removed
// generation that looks like one; parent fsynced). The caller holds the BACKUP lock.
// With dry_run only sizes them. Also finishes removals a crash interrupted.
std::vector<PruneItem> prune_generations(const BackupDir& dir, int keep, bool dry_run);

}  // namespace pgbak
