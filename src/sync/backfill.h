// WAL a new generation's base needs from before the generation began. A backup taken from a
// standby starts at the standby's last restartpoint, which replays a checkpoint the primary wrote
// earlier: the WAL from there was archived into an older generation. Linking it into the new one
// keeps each generation restorable on its own (and verify's continuity check whole), even once
// the older generation is pruned.
#pragma once

#include <string>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

// Hard-links into `gen`'s pg_wal/ the segments (compressed, maybe encrypted, as stored) of
// timeline `start_wal_file` names, from that one up to the first the generation has on that
// timeline, that older generations hold (the newest copy wins). Files it has already are left
// alone. Returns the names linked, "NAME.zst" (or .zst.enc).
std::vector<std::string> backfill_base_wal(const BackupDir& dir, const Generation& gen,
                                           const std::string& start_wal_file);

// True when `gen` holds a later segment of the timeline `start_wal_file` names but not that one
// (after backfill_base_wal): the generation began after the base's start and no older generation
// has the WAL from there, so it will never be here and the base cannot be restored. (A backup
// from a standby archiving with archive_mode = always into a new directory: it starts at the
// standby's last restartpoint, from before the first WAL archived here.)
bool base_start_unreachable(const Generation& gen, const std::string& start_wal_file);

}  // namespace pgbak
