// Where and when a generation's base backup ended: a base is only usable for a recovery target
// that lies after its end (recovery must reach the backup's stop point to be consistent).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "repo/backup_dir.h"
#include "restore/backup_label.h"

namespace pgbak {

// The fields of a backup history file (<segment>.<offset>.backup) that pgbak uses.
struct BackupHistory {
  uint64_t start_lsn = 0;
  std::optional<uint64_t> stop_lsn;
  std::optional<double> stop_time;  // STOP TIME, whole seconds
};

// Parses a backup history file's text; nullopt without a valid START WAL LOCATION.
std::optional<BackupHistory> parse_backup_history(std::string_view text);

struct BackupEnd {
  std::optional<uint64_t> lsn;  // STOP WAL LOCATION; unknown without the history file
  std::optional<double> time;   // at or after the real end
  bool from_history = false;    // from the archived .backup file (else: the base file's mtime)
};

// The end of the generation's base backup: from the backup history file the server archived
// into the generation when the backup ended (its START WAL LOCATION is the label's), with the
// stop time rounded up to the next second. Without one (a backup taken from a standby, which
// writes none, or one not archived yet), the time the base file was stored, which is after the
// backup ended, and no LSN.
BackupEnd find_backup_end(const Generation& gen, const BackupLabel& label, const Config& config);

}  // namespace pgbak
