// Which generation `pgbak restore` restores from, locally or on the remote copy.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "repo/backup_dir.h"
#include "repo/backup_end.h"
#include "repo/base_label.h"

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
  // Set when the base fits only by its start: where it ended is unknown.
  std::string warning;
};

// Where the choice is made: the generations that have a base backup (oldest first), how to read
// one's backup_label and where its backup ended, and the place named in messages.
struct BaseCandidates {
  std::vector<std::string> with_base;
  std::function<BaseInfo(const std::string&)> read_label;
  // Unknown (empty) where the backup history file cannot be read (the remote copy).
  std::function<BackupEnd(const std::string&, const BaseInfo&)> read_end;
  std::string where;
};

// The named generation (its label read with read_label, which throws if it has no base), else
// the newest candidate whose base fits the target: one whose backup ended (read_end) at or before
// it, as recovery has to pass the backup's end to be consistent; where the end is unknown (no
// backup history file, e.g. a backup from a standby, or the remote copy), the backup's start at
// or before it, with a warning. Reads only the backup_label of each candidate. Throws when none
// fits.
ChosenGeneration choose_among(const BaseCandidates& candidates, const GenerationChoice& choice);

// The generations of the backup directory that have a base backup (plain or encrypted).
std::vector<std::string> generations_with_base(const BackupDir& dir);

// The local generations with a base as candidates: labels from read_base_label, ends from
// find_backup_end, decrypting with the configured keys where the base is encrypted.
BaseCandidates local_candidates(const BackupDir& dir, const Config& config);

// choose_among the local_candidates.
ChosenGeneration choose_generation(const BackupDir& dir, const GenerationChoice& choice,
                                   const Config& config);

}  // namespace pgbak
