// The remote copy as `scripts/fetch list` describes it: generations, each by the paths of its
// files relative to it (base.tzst, pg_wal/NAME.zst, SHA256SUMS, with ".enc" when encrypted).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pgbak {

struct RemoteGeneration {
  std::string name;
  std::set<std::string> files;  // relative to the generation

  // The stored name of `plain` (e.g. "base.tzst" or "pg_wal/NAME.zst"): encrypted first, as
  // find_stored does locally; nullopt if neither is listed.
  std::optional<std::string> stored(const std::string& plain) const;
  // "NAME/rel", the path `fetch get` takes.
  std::string path(const std::string& rel) const { return name + "/" + rel; }
};

class RemoteListing {
 public:
  // From the lines `fetch list` printed; lines that are not GENERATION/PATH (other files at the
  // destination, temporary dot names, "..") are ignored.
  explicit RemoteListing(const std::vector<std::string>& lines);

  // Oldest first, as BackupDir::generations.
  const std::vector<RemoteGeneration>& generations() const { return generations_; }
  const RemoteGeneration* find(const std::string& name) const;

 private:
  std::vector<RemoteGeneration> generations_;
};

}  // namespace pgbak
