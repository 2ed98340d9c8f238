// restore-wal's second source: a WAL file that no local generation has, fetched from the remote
// copy through scripts/fetch.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "io/unique_fd.h"
#include "remote/fetch_script.h"
#include "remote/remote_listing.h"
#include "repo/backup_dir.h"

namespace pgbak {

// An archived file ready to be decompressed: where it came from and an open descriptor.
struct ArchivedFile {
  std::string generation;
  std::string stored;  // NAME.zst or NAME.zst.enc
  UniqueFd fd;
  std::string display;
};

// Lists the remote and fetches pg_wal/`stored` (NAME.zst; NAME.zst.enc when so stored) from the
// newest remote generation that has it into an anonymous in-memory file: nothing of it reaches
// the disk before it is checked. Where the generation's SHA256SUMS lists the file, its SHA-256 must
// match (else Error); the zstd checksum is checked when it is decompressed. A failed fetch is
// tried again (fetch-retries); nullopt when no remote generation has the file.
std::optional<ArchivedFile> fetch_remote_wal(const BackupDir& dir, const Config& config,
                                             const std::string& stored);

// The same with a listing at hand.
std::optional<ArchivedFile> fetch_listed_wal(const FetchScript& fetch, const RemoteListing& listing,
                                             const std::string& stored);

}  // namespace pgbak
