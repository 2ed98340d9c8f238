// A full snapshot: a generation made current first, then pg_basebackup's zstd-compressed tar
// stored as its base.tzst.
#pragma once

#include <map>
#include <string>

#include "config/config.h"
#include "repo/backup_dir.h"
#include "repo/sync_log.h"
#include "state/state_file.h"

namespace pgbak {

// What a snapshot stored.
struct Snapshot {
  std::string generation;  // its name
  std::string base_file;   // base.tzst or base.tzst.enc
  // Every file stored (base_file, one OID.tzst per extra tablespace, config.tzst of a Debian
  // cluster) -> SHA-256 as written (lower-case hex), for SHA256SUMS.
  std::map<std::string, std::string> digests;
};

// Makes a generation current for the snapshot (under the STATE lock, so archive-wal sees one
// answer): the current one when it has no base yet and belongs to the same cluster (a failed or
// interrupted snapshot, or one archive-wal started), otherwise a new one. Then streams
// `pg_basebackup -D - -Ft -X none` into base.tzst, durably and never partially: compressed by the
// server (snapshot-compression, see choose_snapshot_compression) and stored as it comes, or
// compressed here. A cluster with extra tablespaces (which pg_basebackup cannot write to stdout)
// gets one tar per tablespace, OID.tzst, spooled through a private directory of the generation,
// and base.tzst last. Every WAL file from the backup's start lands in this generation, because it
// was current before the backup began. Then stores the cluster's configuration kept outside the
// data directory, if any (store_cluster_config). Throws Error on failure (the generation stays
// current).
Snapshot take_snapshot(const BackupDir& dir, StateFile& state, const Config& config, SyncLog& log,
                       bool echo);

}  // namespace pgbak
