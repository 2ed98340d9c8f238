#include "restore/wal_lookup.h"

#include <fcntl.h>

#include <algorithm>

#include "io/error.h"
#include "io/file.h"
#include "pipeline/stored_file.h"
#include "remote/remote_lineage.h"
#include "repo/lineage.h"

namespace pgbak {
namespace {

std::optional<ArchivedFile> open_in(const BackupDir& dir, const std::string& name,
                                    const std::string& stored) {
  // Through the generation's own descriptors: a generation that is a symlink is refused.
  auto gen = dir.try_open_generation(name);
  if (!gen) return std::nullopt;
  // Encrypted or not: a generation may hold copies from before encryption was turned on.
  for (const std::string& candidate : {stored + kEncryptedSuffix, stored}) {
    std::string display = path_join(path_join(gen->path, kWalDir), candidate);
    if (auto fd = try_open_regular_at(gen->wal_dir.get(), candidate, O_RDONLY, display)) {
      return ArchivedFile{name, candidate, std::move(*fd), display};
    }
  }
  return std::nullopt;
}

// Without a chosen generation (a restore_command written by hand or by an older pgbak): the
// newest copy, as long as every generation that has the name belongs to one lineage. Otherwise
// which history is being restored cannot be told, and guessing could replay the wrong one.
std::optional<ArchivedFile> find_unambiguous(const BackupDir& dir, const std::string& name,
                                             const std::string& stored) {
  std::vector<ArchivedFile> all;
  auto gens = dir.generations();
  for (auto it = gens.rbegin(); it != gens.rend(); ++it) {
    if (auto found = open_in(dir, *it, stored)) all.push_back(std::move(*found));
  }
  if (all.empty()) return std::nullopt;
  if (all.size() == 1) return std::move(all.front());
  std::string start = lineage_start(dir, all.front().generation);
  for (size_t i = 1; i < all.size(); ++i) {
    if (lineage_start(dir, all[i].generation) != start) {
      throw Error("cannot restore '" + name + "': generations " + all[i].generation + " and " +
                  all.front().generation +
                  " hold it from different histories (HINT: name the generation being restored "
                  "with restore-wal --generation G, as the restore_command of pgbak restore does)");
    }
  }
  return std::move(all.front());
}

}  // namespace

WalLookup::WalLookup(const BackupDir& dir, const Config& config, std::string chosen)
    : dir_(dir), chosen_(std::move(chosen)) {
  if (!chosen_.empty()) chosen_is_local_ = dir.try_open_generation(chosen_).has_value();
  bool has_fetch = FetchScript::exists(dir);
  // (A generation restored from the remote copy alone is not here: its WAL comes from there.)
  if (!chosen_.empty() && !chosen_is_local_ && !has_fetch) {
    throw Error("no generation '" + chosen_ + "' in '" + dir.path() + "'");
  }
  if (has_fetch) fetch_.emplace(dir, config);
}

std::string WalLookup::source_key() const {
  return dir_.path() + "\n" + chosen_ + "\n";
}

std::optional<ArchivedFile> WalLookup::find_local(const std::string& name,
                                                  const std::string& stored) {
  if (chosen_.empty()) return find_unambiguous(dir_, name, stored);
  if (!chosen_is_local_) return std::nullopt;
  // The chosen generation's lineage, then the older generations of that lineage (see
  // repo/lineage.h). Within one lineage a name never has two different contents (a different copy
  // starts a new history): the first copy along it is the one. Worked out once, when first needed
  // (a prefetched file needs no lookup at all).
  std::call_once(lineage_once_, [&] { lineage_ = wal_search_order(dir_, chosen_); });
  for (const std::string& gen : lineage_) {
    if (auto found = open_in(dir_, gen, stored)) return found;
  }
  return std::nullopt;
}

std::vector<std::string> WalLookup::remote_order(const RemoteListing& listing,
                                                 const std::vector<std::string>& holders) {
  // Without a chosen generation: the newest copy (as before lineages; a hand-written
  // restore_command). With one that alone holds the file: no lineage needs working out.
  if (chosen_.empty() || (holders.size() == 1 && holders.front() == chosen_)) return holders;
  // The chosen generation's lineage in the remote copy (its markers and system identifiers), or,
  // when it is not uploaded, in the local one. Worked out again only when the remote's
  // generations changed (a standby following new uploads).
  std::vector<std::string> names;
  for (const RemoteGeneration& g : listing.generations()) names.push_back(g.name);
  std::lock_guard<std::mutex> lock(remote_order_mutex_);
  if (names != remote_order_of_) {
    remote_order_ = remote_wal_search_order(*fetch_, listing, chosen_);
    // find_local, which runs first, has worked out the local lineage.
    if (remote_order_.empty() && chosen_is_local_) remote_order_ = lineage_;
    remote_order_of_ = std::move(names);
  }
  std::vector<std::string> out;
  for (const std::string& gen : remote_order_) {
    if (std::find(holders.begin(), holders.end(), gen) != holders.end()) out.push_back(gen);
  }
  return out;
}

std::optional<ArchivedFile> WalLookup::find(const std::string& name, const std::string& stored) {
  if (auto found = find_local(name, stored)) return found;
  if (!fetch_) return std::nullopt;
  return fetch_remote_wal(
      *fetch_, cache_, stored,
      [this](const RemoteListing& listing, const std::vector<std::string>& holders) {
        return remote_order(listing, holders);
      });
}

}  // namespace pgbak
