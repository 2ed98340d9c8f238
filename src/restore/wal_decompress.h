// Turning an archived WAL file (plain or encrypted zstd) back into the file PostgreSQL archived,
// checked, under its final name: restore-wal's DEST or the prefetch spool.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "restore/remote_wal.h"
#include "wal/wal_name.h"

namespace pgbak {

// Decompresses `found` into `dest_name` in `dest_dir` (`dest` for messages) through a temp file
// renamed at the end; a segment's size and header are checked against `wal` first. Returns the
// size. Throws Error (and nothing is under the name) when the stored file is corrupt.
// Unless `written_back`, nothing is fsynced: PostgreSQL fsyncs a restored file it keeps
// (KeepFileRestoredFromArchive renames it durably into pg_wal/) and deletes the others. With it
// (the prefetcher, off the server's path), the file and its directory are fsynced before it takes
// its name, so that the server's fsync of it later finds nothing left to write: the 16 MiB of a
// segment go to disk while the server replays the one before, not while it waits.
uint64_t decompress_into(const Config& config, ArchivedFile& found, const WalName& wal,
                         int dest_dir, const std::string& dest_name, const std::string& dest,
                         bool written_back = false);

}  // namespace pgbak
