// Stores one WAL file, compressed, into a generation's pg_wal/ without ever overwriting.
#pragma once

#include "archive/wal_source.h"
#include "config/config.h"
#include "repo/backup_dir.h"
#include "repo/stored_names.h"

namespace pgbak {

enum class StoreResult {
  kStored,     // new file written durably
  kIdentical,  // already there with the same content
  kConflict,   // already there with different content; nothing changed
};

StoreResult store_wal(const Generation& gen, WalSource& src, const Config& config);

// True if the stored file (plain "NAME.zst" or encrypted "NAME.zst.enc") decrypts and
// decompresses to exactly the source's bytes. A stored file that fails to authenticate or to
// decompress counts as different; an I/O error on either file, a key that is not configured
// (MissingKeyError) or a bad key file throws.
bool stored_matches_source(const Generation& gen, const std::string& stored_name, WalSource& src,
                           const Config& config);

}  // namespace pgbak
