// Stores one WAL file, compressed, into a generation's pg_wal/ without ever overwriting.
#pragma once

#include "archive/wal_source.h"
#include "config/config.h"
#include "repo/backup_dir.h"

namespace pgbak {

enum class StoreResult {
  kStored,     // new file written durably
  kIdentical,  // already there with the same content
  kConflict,   // already there with different content; nothing changed
};

// Stored name of a WAL file inside pg_wal/ before any encryption suffix ("NAME.zst"; encrypted
// copies add ".enc", see crypto/storage.h).
std::string stored_wal_name(const WalName& name);

// A stored WAL file's name relative to its generation ("pg_wal/NAME.zst[.enc]"), the name its
// encryption binds (crypto/storage.h's stored_identity).
std::string wal_relative(const std::string& stored_name);

// The identity an encrypted stored WAL file is bound to: stored_identity(generation,
// wal_relative(stored_name)).
std::string wal_identity(const std::string& generation, const std::string& stored_name);

StoreResult store_wal(const Generation& gen, WalSource& src, const Config& config);

// True if the stored file (plain "NAME.zst" or encrypted "NAME.zst.enc") decrypts and
// decompresses to exactly the source's bytes. A stored file that fails to authenticate or to
// decompress counts as different; an I/O error on either file, a key that is not configured
// (MissingKeyError) or a bad key file throws.
bool stored_matches_source(const Generation& gen, const std::string& stored_name, WalSource& src,
                           const Config& config);

}  // namespace pgbak
