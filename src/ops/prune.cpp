#include "ops/prune.h"

#include <unistd.h>

#include <algorithm>

#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/tree.h"

namespace pgbak {
namespace {

constexpr const char* kDeletingPrefix = ".deleting.";

bool has_base(const BackupDir& dir, const std::string& gen) {
  auto g = open_dir_at(dir.fd(), gen, path_join(dir.path(), gen));
  return g && find_stored(g->get(), kBaseFile).has_value();
}

}  // namespace

std::vector<std::string> generations_to_prune(const BackupDir& dir, int keep) {
  if (keep < 1) throw UsageError("--keep must be at least 1");
  auto gens = dir.generations();
  auto current = dir.current_name();
  int complete = 0;
  for (auto it = gens.rbegin(); it != gens.rend(); ++it) {
    if (has_base(dir, *it) && ++complete == keep) {
      std::vector<std::string> older(gens.begin(), it.base() - 1);
      std::erase(older, current.value_or(""));
      return older;
    }
  }
  return {};
}

std::vector<PruneItem> prune_generations(const BackupDir& dir, int keep, bool dry_run) {
  if (!dry_run) {
    for (const auto& name : list_dir(dir.fd(), dir.path())) {
      if (name.starts_with(kDeletingPrefix))
        remove_tree(dir.fd(), name, path_join(dir.path(), name));
    }
  }
  std::vector<PruneItem> removed;
  for (const auto& gen : generations_to_prune(dir, keep)) {
    std::string path = path_join(dir.path(), gen);
    PruneItem item{gen, tree_bytes(path)};
    if (!dry_run) {
      std::string hidden = kDeletingPrefix + gen;
      if (::renameat(dir.fd(), gen.c_str(), dir.fd(), hidden.c_str()) != 0) {
        throw_sys("cannot remove generation", path);
      }
      fsync_dir(dir.fd(), dir.path());
      fault_point("prune-after-rename", gen);
      remove_tree(dir.fd(), hidden, path_join(dir.path(), hidden));
      fault_point("prune-after-remove", gen);
    }
    removed.push_back(item);
  }
  if (!dry_run && !removed.empty()) fsync_dir(dir.fd(), dir.path());
  return removed;
}

}  // namespace pgbak
