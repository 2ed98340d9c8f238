// The configuration a Debian cluster (pg_createcluster) keeps outside its data directory, in
// /etc/postgresql/VER/NAME/: postgresql.conf, pg_hba.conf, pg_ident.conf, conf.d/, start.conf,
// pg_ctl.conf, environment. A base backup does not reach it, so a snapshot stores that
// directory beside the base as config.tzst (a zstd-compressed tar, encrypted like the base).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "repo/backup_dir.h"
#include "repo/sync_log.h"

namespace pgbak {

// First entry of config.tzst: the directory the files came from, one line.
inline constexpr const char* kConfigOriginEntry = ".pgbak-origin";

struct StoredConfig {
  std::string file;        // config.tzst or config.tzst.enc
  std::string digest;      // SHA-256 of it as written, for SHA256SUMS
  std::string source_dir;  // e.g. /etc/postgresql/15/main
};

// Asks the server (a replication connection with conninfo, as the snapshot's) where its
// configuration files are (SHOW config_file, hba_file, ident_file, data_directory). When
// config_file lies outside the data directory, and that data directory is on this machine and
// belongs to the cluster `sysid` (its pg_control says so), stores the directory holding
// config_file (regular files and subdirectories) as config.tzst in the generation. nullopt when
// there is nothing to store. What cannot be learnt or read is logged, not thrown: the base
// backup matters more than its configuration.
std::optional<StoredConfig> store_cluster_config(const Generation& gen, const Config& config,
                                                 uint64_t sysid, SyncLog& log);

}  // namespace pgbak
