// The names of stored files in a backup directory, and the identities their encryption binds:
// the one place that knows how a generation's files are named (docs/format.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pipeline/stored_file.h"
#include "repo/backup_dir.h"
#include "wal/wal_name.h"

namespace pgbak {

// The identity an encrypted file is bound to (docs/format.md): "GENERATION/NAME", NAME being the
// stored name relative to the generation's directory ("base.tzst.enc", "pg_wal/NAME.zst.enc").
std::string stored_identity(const std::string& generation, const std::string& relative_name);

// Finds a stored file in a directory under `plain_name` + ".enc" or `plain_name` (e.g.
// "NAME.zst", "base.tzst"), whatever the configuration says now. Returns the name found, or
// nullopt. (Both exist only if put there by hand; the encrypted one wins.)
std::optional<std::string> find_stored(int dirfd, const std::string& plain_name);

// The generation's base backup as stored ("base.tzst", or "base.tzst.enc"), if it has one.
std::optional<std::string> stored_base(const Generation& g);
// Whether generation `name` of `dir` has a base backup.
bool has_base(const BackupDir& dir, const std::string& name);

// The name of what a stored file holds: "NAME" for "NAME" + `compressed_suffix` (e.g. ".zst") or
// "NAME" + `compressed_suffix` + ".enc"; nullopt for any other name. For directory listings.
std::optional<std::string_view> original_name(std::string_view stored_name,
                                              std::string_view compressed_suffix);

// Stored name of a WAL file inside pg_wal/ before any encryption suffix ("NAME.zst"; encrypted
// copies add ".enc", see pipeline/stored_file.h).
std::string stored_wal_name(const WalName& name);

// A stored WAL file's name relative to its generation ("pg_wal/NAME.zst[.enc]"), the name its
// encryption binds (stored_identity).
std::string wal_relative(const std::string& stored_name);

// The identity an encrypted stored WAL file is bound to: stored_identity(generation,
// wal_relative(stored_name)).
std::string wal_identity(const std::string& generation, const std::string& stored_name);

}  // namespace pgbak
