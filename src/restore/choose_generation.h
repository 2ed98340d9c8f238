// Which generation `pgbak restore` restores from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "repo/backup_dir.h"
#include "restore/base_backup.h"

namespace pgbak {

struct GenerationChoice {
  std::string generation;              // given with --generation; empty: choose
  std::optional<double> target_time;   // the base must have started before it
  std::optional<uint64_t> target_lsn;  // the base must have started at or before it
  std::string target_text;             // the target as given, for messages
};

// The named generation, else the newest with a base backup that fits the target (reading only
// the backup_label of each candidate, decrypting with the configured keys where the base is
// encrypted), with that base's label. Throws when none fits.
std::pair<std::string, BaseInfo> choose_generation(const BackupDir& dir,
                                                   const GenerationChoice& choice,
                                                   const Config& config);

}  // namespace pgbak
