// Hidden temp files that a killed pgbak process can leave behind: DurableWriter names a file
// ".NAME.tmp.PID..." while it replaces an existing one (SHA256SUMS, sync.status) or where
// O_TMPFILE is not supported, and switch_current uses ".current.tmp.PID". A kill between such a
// file's link and its rename leaves it; the final names are never partial, the leftover only
// takes space.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

// Leftovers younger than this are kept, whatever their process: no pgbak writer takes that long
// for a WAL file, and the sync that calls this holds the lock that every other writer needs.
inline constexpr std::time_t kLeftoverMinAge = 600;

// The PID in a temp name of the form above, or 0 if `name` is not one.
int leftover_pid(const std::string& name);

// Removes the leftovers in $PGBAK, each generation and its pg_wal/ whose process no longer
// exists and that are at least kLeftoverMinAge old. Returns their paths relative to $PGBAK.
// Errors on single files are skipped (housekeeping).
std::vector<std::string> remove_leftover_temp_files(const BackupDir& dir);

// Removes the hidden temp files of one final name (".NAME.tmp.PID...") in dirfd whose process is
// gone, whatever their age: for a name only one writer at a time is expected (restore-wal's DEST
// in the server's pg_wal/, where no sync sweeps). Errors are ignored (housekeeping).
void remove_dead_temps_of(int dirfd, const std::string& name, const std::string& display);

}  // namespace pgbak
