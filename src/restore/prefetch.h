// restore-wal's prefetch: after a segment came from the remote, a detached process fetches,
// checks and decompresses the next ones into the spool beside DEST, so that the server's next
// requests are a rename rather than a round trip to the remote.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "repo/backup_dir.h"
#include "wal/wal_name.h"

namespace pgbak {

// Creates the spool and starts (forks, detached, output to /dev/null) a prefetcher for the segments
// after `served` (a segment of `seg_size` bytes) into the spool beside DEST in `dest_dir_path`,
// unless one runs already there. It holds at most `prefetch` segments on disk (the one being
// written included), gives each the same checks as restore-wal, writes it under its name only once
// it is whole, and stops at the first segment the remote does not have, on any error, when the
// spool is removed, or when nothing is taken from a full spool for a minute. Never throws.
void start_prefetch(const BackupDir& dir, const Config& config, const WalName& served,
                    uint64_t seg_size, const std::string& dest_dir_path);

}  // namespace pgbak
