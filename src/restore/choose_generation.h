// Which generation `pgbak restore` restores from, locally or on the remote copy.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "repo/backup_dir.h"
#include "restore/base_backup.h"

namespace pgbak {

struct GenerationChoice {
  std::string generation;              // given with --generation; empty: choose
  std::optional<double> target_time;   // the base must have started before it
  std::optional<uint64_t> target_lsn;  // the base must have started at or before it
  std::string target_text;             // the target as given, for messages
};

// Where the choice is made: the generations that have a base backup (oldest first), how to read
// one's backup_label, and the place named in messages.
struct BaseCandidates {
  std::vector<std::string> with_base;
  std::function<BaseInfo(const std::string&)> read_label;
  std::string where;
};

// The named generation (its label read with read_label, which throws if it has no base), else
// the newest candidate whose base fits the target (reading only the backup_label of each), with
// that base's label. Throws when none fits.
std::pair<std::string, BaseInfo> choose_among(const BaseCandidates& candidates,
                                              const GenerationChoice& choice);

// The generations of the backup directory that have a base backup (plain or encrypted).
std::vector<std::string> generations_with_base(const BackupDir& dir);

// choose_among the local generations, decrypting with the configured keys where the base is
// encrypted.
std::pair<std::string, BaseInfo> choose_generation(const BackupDir& dir,
                                                   const GenerationChoice& choice,
                                                   const Config& config);

}  // namespace pgbak
