// `pgbak restore --cluster VER/NAME`: restoring into a Debian cluster (postgresql-common), whose
// configuration lives in /etc/postgresql/VER/NAME/ rather than in its data directory.
#pragma once

#include <sys/types.h>

#include <string>

#include "config/config.h"
#include "repo/backup_dir.h"

namespace pgbak {

struct DebianCluster {
  std::string version;  // "15"
  std::string name;     // "main"
  std::string
      conf_dir;  // /etc/postgresql/15/main ($PG_CLUSTER_CONF_ROOT instead of /etc/postgresql)
  std::string
      data_dir;   // its data_directory (postgresql.conf; default /var/lib/postgresql/VER/NAME)
  uid_t uid = 0;  // owner of conf_dir: the cluster's user
  gid_t gid = 0;
};

// Finds cluster "VER/NAME". Throws UsageError for a malformed name, Error when the cluster's
// configuration directory does not exist (with a hint to pg_createcluster).
DebianCluster find_debian_cluster(const std::string& spec);

// The generation's config.tzst (or config.tzst.enc); throws Error when it has none.
std::string stored_cluster_config(const Generation& gen);

// Puts the configuration stored in the generation's config.tzst back into cluster.conf_dir,
// each file replacing the cluster's own (owned by the cluster's user). The cluster keeps its
// identity: its own data_directory, hba_file, ident_file, external_pid_file, port and
// cluster_name lines are appended to the restored postgresql.conf. Restoring into another
// cluster than the one the files came from also appends archive_mode = off, so that the copy
// does not archive into the backup directory of the original. Returns a line for the user
// describing what was done. Throws Error when the generation has no config.tzst.
std::string restore_cluster_config(const Config& config, const Generation& gen,
                                   const DebianCluster& cluster);

}  // namespace pgbak
