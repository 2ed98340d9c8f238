#include "repo/prune.h"

#include <unistd.h>

#include <algorithm>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/tree.h"
#include "repo/choose_generation.h"
#include "repo/stored_names.h"
#include "repo/upload_marks.h"

namespace pgbak {
namespace {

constexpr const char* kDeletingPrefix = ".deleting.";

}  // namespace

PrunePlan plan_prune(const BackupDir& dir, const RetentionRule& rule, const Config& config,
                     double now) {
  std::vector<RetentionCandidate> gens;
  for (const std::string& name : dir.generations()) {
    gens.push_back({name, has_base(dir, name)});
  }
  BaseCandidates bases = local_candidates(dir, config);
  auto base_end = [&bases](const std::string& name) -> std::optional<double> {
    try {
      return bases.read_end(name, bases.read_label(name)).time;
    } catch (const Error&) {
      return std::nullopt;  // an unreadable base is no anchor: older generations stay
    }
  };
  PrunePlan plan;
  UploadMarks marks = read_upload_marks(dir.fd(), dir.path());
  for (const std::string& name :
       generations_to_remove(gens, dir.current_name(), rule, now, base_end)) {
    auto g = dir.try_open_generation(name);
    uint64_t missing = g ? files_not_uploaded(*g, marks) : 0;
    if (missing > 0) {
      plan.not_uploaded.emplace_back(name, missing);
    } else {
      plan.remove.push_back(name);
    }
  }
  return plan;
}

std::vector<PruneItem> prune_generations(const BackupDir& dir,
                                         const std::vector<std::string>& names, bool dry_run) {
  if (!dry_run) {
    for (const auto& name : list_dir(dir.fd(), dir.path())) {
      if (name.starts_with(kDeletingPrefix))
        remove_tree(dir.fd(), name, path_join(dir.path(), name));
    }
  }
  std::vector<PruneItem> removed;
  for (const auto& gen : names) {
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
