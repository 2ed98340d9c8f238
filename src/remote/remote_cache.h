// The remote listing and the remote generations' SHA256SUMS, kept for the length of a recovery so
// that restore-wal and its prefetcher do not run `fetch list` and fetch SHA256SUMS for every WAL
// file. Held in memory and, once a directory is attached (the prefetch spool, which goes when
// recovery ends), there too, where the next restore-wal process finds them. The cache never
// vouches for a file on its own: a listing only says where to look (a name it lacks is looked up
// in a fresh listing before it counts as missing), and a digest from a cached SHA256SUMS is
// compared with the fetched file's like a fresh one (which is fetched when the cached copy does
// not list the file, or lists another digest).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "remote/fetch_script.h"
#include "remote/remote_listing.h"

namespace pgbak {

class RemoteCache {
 public:
  // Seconds a cached listing or SHA256SUMS is used for: a standby following new uploads sees a
  // new generation within this time, and a new file of a known generation at once.
  static constexpr double kMaxAge = 30;

  RemoteCache() = default;
  RemoteCache(const RemoteCache&) = delete;
  RemoteCache& operator=(const RemoteCache&) = delete;

  // From now on also read from and written to the directory `dir` (not owned; it must stay open
  // while this cache is used); what is in memory is written there now. Never throws: the cache
  // is an optimisation.
  void attach(int dir, const std::string& dir_path);

  // The remote listing: the cached one unless `refresh` or it is older than kMaxAge. Sets
  // `fetched`, if given, to whether it came from the remote just now.
  RemoteListing listing(const FetchScript& fetch, bool refresh, bool* fetched = nullptr);

  // The digest the generation's SHA256SUMS lists for `rel`; nullopt when the generation has no
  // SHA256SUMS or it does not list the file (the upload scripts send SHA256SUMS last). The cached
  // copy unless `refresh`, it is older than kMaxAge or does not list `rel`.
  std::optional<std::string> listed_digest(const FetchScript& fetch, const RemoteGeneration& gen,
                                           const std::string& rel, bool refresh);

 private:
  struct Entry {
    std::string text;
    double fetched_at = 0;  // seconds since the epoch
  };
  // The cached file `name` (memory, else the attached directory) if younger than kMaxAge.
  std::optional<Entry> load(const std::string& name);
  void store(const std::string& name, Entry entry);
  void write_file(const std::string& name, const Entry& entry);

  std::mutex mutex_;  // the prefetcher's workers share one cache
  std::map<std::string, Entry> memory_;
  int dir_ = -1;
  std::string dir_path_;
};

}  // namespace pgbak
