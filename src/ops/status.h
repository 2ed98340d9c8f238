// What `pgbak status` reports, gathered without taking any lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "repo/backup_dir.h"
#include "repo/sync_status.h"
#include "state/drop_record.h"

namespace pgbak {

struct StatusReport {
  std::string dir;
  std::optional<std::string> generation;  // current
  int generations = 0;
  std::optional<int64_t> base_time;  // mtime of the current generation's base backup
  uint64_t base_bytes = 0;
  uint64_t wal_files = 0;
  uint64_t wal_bytes = 0;
  std::string newest_wal;  // empty when none
  int64_t newest_wal_time = 0;
  std::vector<std::string> pending;
  std::vector<std::string> running;
  bool sync_running = false;
  SyncStatus sync;  // from sync.status
  // Generations a successful backup-script run has not covered whole (current included while
  // new WAL waits for its upload), oldest first, with the files the remote copy lacks.
  std::vector<std::pair<std::string, uint64_t>> not_uploaded;
  DropRecord dropped;            // archive-full-disk = drop
  uint64_t dropped_current = 0;  // drops into the current generation (not yet repaired)
  uint64_t disk_used_bytes = 0;
  uint64_t disk_free_bytes = 0;
  int64_t now = 0;
};

// Reads the backup directory: state byte (unlocked pread), whether a sync holds the BACKUP lock
// (F_OFD_GETLK, never waits), sync.status, the current generation's files, disk use and space.
StatusReport gather_status(const BackupDir& dir, int64_t now);

std::string format_status_text(const StatusReport& r);
// Stable keys, documented in the man page.
std::string format_status_json(const StatusReport& r);
// Prometheus text exposition format (node_exporter textfile collector).
std::string format_status_prometheus(const StatusReport& r);

}  // namespace pgbak
