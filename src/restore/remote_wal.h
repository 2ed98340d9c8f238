// restore-wal's second source: a WAL file that no local generation has, fetched from the remote
// copy through scripts/fetch.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/unique_fd.h"
#include "remote/fetch_script.h"
#include "remote/remote_cache.h"
#include "remote/remote_listing.h"

namespace pgbak {

// An archived file ready to be decompressed: where it came from and an open descriptor.
struct ArchivedFile {
  std::string generation;
  std::string stored;  // NAME.zst or NAME.zst.enc
  UniqueFd fd;
  std::string display;
};

// Which of the remote generations `holders` (those listing the file, newest first) to try, in
// order: all of them when no generation is being restored.
using RemoteOrder = std::function<std::vector<std::string>(
    const RemoteListing& listing, const std::vector<std::string>& holders)>;

// Fetches pg_wal/`stored` (NAME.zst; NAME.zst.enc when so stored) from the first generation of
// the remote listing (the cached one; a fresh one when it does not have the file) that `order`
// chooses, into an anonymous in-memory file: nothing of it reaches the disk before it is checked.
// Where the generation's SHA256SUMS lists the file, its SHA-256 must match (else Error); the zstd
// checksum is checked when it is decompressed. A failed fetch is tried again (fetch-retries);
// nullopt when no chosen remote generation has the file.
std::optional<ArchivedFile> fetch_remote_wal(const FetchScript& fetch, RemoteCache& cache,
                                             const std::string& stored, const RemoteOrder& order);

}  // namespace pgbak
