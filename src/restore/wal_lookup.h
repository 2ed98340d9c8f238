// Where restore-wal (and its prefetcher) finds an archived WAL file: the local generations first
// (the lineage of the generation being restored, or the one copy when none is named), then the
// remote copy through scripts/fetch (the same lineage there), whose listing and SHA256SUMS it
// caches.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "remote/fetch_script.h"
#include "remote/remote_cache.h"
#include "repo/backup_dir.h"
#include "restore/remote_wal.h"

namespace pgbak {

class WalLookup {
 public:
  // `chosen`: the generation being restored, "" when restore-wal was not given --generation.
  // Throws Error when it is not a local generation and there is no scripts/fetch to ask.
  WalLookup(const BackupDir& dir, const Config& config, std::string chosen);

  // The archived file `name` (stored as `stored`: NAME.zst); nullopt when it is not archived.
  // Throws Error when it is archived but cannot be served: two histories hold it (no generation
  // chosen), it cannot be read, the fetch fails or the fetched bytes do not match SHA256SUMS.
  // Safe to call from several threads at once.
  std::optional<ArchivedFile> find(const std::string& name, const std::string& stored);

  // Whether the remote copy may be asked (there is a scripts/fetch).
  bool has_remote() const { return fetch_.has_value(); }
  // What this lookup serves, for a spool to tell whether its files came from the same source.
  std::string source_key() const;
  RemoteCache& remote_cache() { return cache_; }
  const BackupDir& dir() const { return dir_; }

 private:
  std::optional<ArchivedFile> find_local(const std::string& name, const std::string& stored);
  // Which remote generations holding a file (`holders`, newest first) may serve it, in order.
  std::vector<std::string> remote_order(const RemoteListing& listing,
                                        const std::vector<std::string>& holders);

  const BackupDir& dir_;
  std::string chosen_;
  bool chosen_is_local_ = false;
  std::once_flag lineage_once_;
  std::vector<std::string> lineage_;  // of chosen_, when local
  std::mutex remote_order_mutex_;
  std::vector<std::string> remote_order_;     // of chosen_, in the remote copy
  std::vector<std::string> remote_order_of_;  // the remote generations it was worked out for
  std::optional<FetchScript> fetch_;
  RemoteCache cache_;
};

}  // namespace pgbak
