// Which generation `pgbak restore` restores from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "repo/backup_dir.h"
#include "restore/backup_end.h"
#include "restore/base_backup.h"

namespace pgbak {

struct GenerationChoice {
  std::string generation;              // given with --generation; empty: choose
  std::optional<double> target_time;   // the base must have ended at or before it
  std::optional<uint64_t> target_lsn;  // the base must have ended at or before it
  std::string target_text;             // the target as given, for messages
};

struct ChosenGeneration {
  std::string name;
  BaseInfo info;
  BackupEnd end;
  // Set when the base fits only by its start: its end is unknown for an LSN target.
  std::string warning;
};

// The named generation, else the newest with a base backup that fits the target: one whose
// backup ended (find_backup_end) at or before it, as recovery has to pass the backup's end to be
// consistent; where the end LSN is unknown (no backup history file), an LSN target needs the
// backup's start at or before it, with a warning. Reads only the backup_label of each candidate
// (decrypting with the configured keys where the base is encrypted). Throws when none fits.
ChosenGeneration choose_generation(const BackupDir& dir, const GenerationChoice& choice,
                                   const Config& config);

}  // namespace pgbak
