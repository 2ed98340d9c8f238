// Finding and running pg_basebackup.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace pgbak {

// The pg_basebackup to run: pg-bindir if set (and nothing else), else the first on PATH, else
// in `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin. Throws Error with a hint
// when there is none.
std::string find_pg_basebackup(const Config& config);

// The major version in `pg_basebackup --version` output: 15 for "pg_basebackup (PostgreSQL) 15.8",
// 9 for "... 9.6.24", 17 for "... 17devel"; nullopt when there is no version number.
std::optional<int> parse_major_version(std::string_view version_output);

// `program --version`'s major version; nullopt if it does not run or says no version.
std::optional<int> pg_basebackup_major_version(const std::string& program);

// Who compresses a snapshot's tar stream, and why when the setting left the choice to pgbak.
struct SnapshotCompression {
  bool by_server = false;  // pg_basebackup --compress=server-zstd, else pgbak in-process
  std::string why;         // for the log: why `auto` chose the client ("" otherwise)
};

// The first PostgreSQL version whose server compresses base backups with zstd (and whose
// pg_basebackup asks it to).
inline constexpr int kServerZstdMajor = 15;

// Resolves the snapshot-compression setting for a server of `server_version` (PQserverVersion's
// number) and a pg_basebackup of `client_major` (nullopt: unknown): `auto` is the server when
// both are 15 or newer, else the client; `server` throws Error (with a hint to use `client`) when
// either is known to be older; `client` is the client.
SnapshotCompression choose_snapshot_compression(const std::string& setting, int server_version,
                                                std::optional<int> client_major);

// "15.8" for 150008, "9.6.24" for 90624: PQserverVersion's number as PostgreSQL prints it.
std::string format_server_version(int server_version);

// argv for tars without WAL: -D <target> -Ft -X none, where target "-" is one tar of the data
// directory on stdout and a directory gets one tar per tablespace; --no-manifest when the server
// compresses (pg_basebackup cannot add one to a compressed tar on stdout) or into a directory
// (where it would be a file of its own), and --no-sync there; when the server compresses,
// --compress=server-zstd:level=<compress-level>[,workers=<snapshot-compress-workers> when > 0];
// then the whitespace-separated basebackup-options, then -d conninfo when set.
std::vector<std::string> basebackup_argv(const std::string& program, const Config& config,
                                         const SnapshotCompression& compression,
                                         const std::string& target);

}  // namespace pgbak
