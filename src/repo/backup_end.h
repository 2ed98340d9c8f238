// Where and when a generation's base backup ended: a base is only usable for a recovery target
// that lies after its end (recovery must reach the backup's stop point to be consistent).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "repo/backup_dir.h"
#include "repo/backup_label.h"

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

// Reads the text of a stored file of a generation's pg_wal/ (e.g. "NAME.backup.zst"), decrypted and
// decompressed; nullopt when it cannot be read.
using StoredTextReader = std::function<std::optional<std::string>(const std::string& stored)>;

// The end of a base backup from the backup history file among `wal_stored` (stored names in the
// generation's pg_wal/) that belongs to `label` (same start segment and START WAL LOCATION), the
// stop time rounded up to the next second; unknown (empty) without a readable one.
BackupEnd backup_end_from_history(const std::vector<std::string>& wal_stored,
                                  const BackupLabel& label, const StoredTextReader& read_text);

// The end of the generation's base backup: from the backup history file the server archived
// into the generation when the backup ended (its START WAL LOCATION is the label's), with the
// stop time rounded up to the next second. Without one (a backup taken from a standby, which
// writes none, or one not archived yet), the time the base file was stored, which is after the
// backup ended, and no LSN.
BackupEnd find_backup_end(const Generation& gen, const BackupLabel& label, const Config& config);

}  // namespace pgbak
