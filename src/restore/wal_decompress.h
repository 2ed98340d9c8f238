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
// renamed at the end; a segment's size and header are checked against `wal` first. Nothing is
// fsynced: PostgreSQL fsyncs a restored file it keeps (KeepFileRestoredFromArchive renames it
// durably into pg_wal/) and deletes the others; a spooled file is a cache. Returns the size. Throws
// Error (and nothing is under the name) when the stored file is corrupt.
uint64_t decompress_into(const Config& config, ArchivedFile& found, const WalName& wal,
                         int dest_dir, const std::string& dest_name, const std::string& dest);

}  // namespace pgbak
