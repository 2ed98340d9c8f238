// Keeps another server's history out of the archiving server's generations. A server restored
// from this archive that starts with the original's archive_command (the classic accident)
// promotes to a new timeline branching off behind what the original archived since; its history
// and WAL go into a side generation of their own, which never becomes current and which restore
// and restore-wal of the original's generations never read (repo/lineage.h).
#pragma once

#include <optional>
#include <string>

#include "archive/wal_source.h"
#include "config/config.h"
#include "repo/backup_dir.h"

namespace pgbak {

struct Placement {
  enum class Where { kCurrent, kSide, kNewHistory } where = Where::kCurrent;
  std::string generation;  // kSide: an existing side generation to use; empty: create one
  std::string reason;      // kSide, kNewHistory: one line for the marker and the server log
};

// Where a timeline history file belongs: kSide when it branches off behind WAL the current
// generation already holds (the branched-off timeline went on past the switch point, or a
// timeline that is not among its ancestors is there). `src` is read from its start.
Placement place_history(const BackupDir& dir, const Generation& current, WalSource& src,
                        const Config& config);

// Where a segment belongs: kSide when its timeline's history is in a side generation and not in
// the current one; kNewHistory when the current generation holds the history of a newer
// timeline that says this segment's timeline ended before it (two servers archive one history).
Placement place_segment(const BackupDir& dir, const Generation& current, const WalSource& src,
                        const Config& config);

}  // namespace pgbak
