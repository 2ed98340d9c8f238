// Retention of the local backup directory: which generations go (ops/retention.h's rules, held
// back by uploads not yet done) and removing them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "repo/backup_dir.h"
#include "repo/retention.h"

namespace pgbak {

struct PruneItem {
  std::string generation;
  uint64_t bytes = 0;
};

struct PrunePlan {
  std::vector<std::string> remove;  // oldest first
  // Generations the rules would remove whose files no successful backup-script run has all
  // covered (sync.uploaded): kept, with how many files the remote copy lacks.
  std::vector<std::pair<std::string, uint64_t>> not_uploaded;
};

// The generations of the directory the rule removes (generations_to_remove; a base's end from its
// backup history file, see find_backup_end), less those not fully uploaded. Never `current`.
PrunePlan plan_prune(const BackupDir& dir, const RetentionRule& rule, const Config& config,
                     double now);

// Removes the named generations (each renamed to a hidden name first, so a crash never leaves a
// half-removed generation that looks like one; parent fsynced). The caller holds the BACKUP lock.
// With dry_run only sizes them. Also finishes removals a crash interrupted.
std::vector<PruneItem> prune_generations(const BackupDir& dir,
                                         const std::vector<std::string>& names, bool dry_run);

}  // namespace pgbak
