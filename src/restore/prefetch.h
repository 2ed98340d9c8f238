// restore-wal's prefetch: after a segment was served, a detached process finds, checks and
// decompresses the next ones (from the local generations, or fetched from the remote copy) into
// the spool beside DEST, so that the server's next requests are a rename rather than a
// decompression or a round trip to the remote, while it replays the segment before.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "restore/wal_lookup.h"
#include "wal/wal_name.h"

namespace pgbak {

// Creates the spool (in the directory `dest_dir`, at `dest_dir_path`) for `lookup`'s source and
// starts (forks, detached, output to /dev/null) a prefetcher for the segments after `served` (a
// segment of `seg_size` bytes), unless one runs already there. It holds at most `prefetch`
// segments on disk (those being written included), fetching from the remote that many at once,
// gives each the same checks as restore-wal, writes it under its name only once it is whole, and
// stops at the first segment that is not archived, on any error, when the spool is removed, or
// when nothing is taken from a full spool for a minute. With `install` (archive recovery, DEST
// being the server's pg_wal/RECOVERYXLOG), each file then moves on into `dest_dir` itself
// (WalSpool::install): the server reads it there. Never throws.
void start_prefetch(WalLookup& lookup, const Config& config, const WalName& served,
                    uint64_t seg_size, int dest_dir, const std::string& dest_dir_path,
                    bool install);

}  // namespace pgbak
