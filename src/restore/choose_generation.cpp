#include "restore/choose_generation.h"

#include <fcntl.h>
#include <unistd.h>

#include "crypto/storage.h"
#include "io/error.h"

namespace pgbak {
namespace {

bool has_base(const BackupDir& dir, const std::string& gen) {
  return find_stored(dir.fd(), gen + "/" + kBaseFile).has_value();  // plain or encrypted
}

}  // namespace

std::pair<std::string, BaseInfo> choose_generation(const BackupDir& dir,
                                                   const GenerationChoice& choice,
                                                   const Config& config) {
  if (!choice.generation.empty()) {
    Generation gen = dir.open_generation(choice.generation);
    return {choice.generation, read_base_label(gen, config)};
  }
  auto all = dir.generations();
  std::string skipped;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!has_base(dir, *it)) continue;
    BaseInfo info = read_base_label(dir.open_generation(*it), config);
    bool fits = true;
    if (choice.target_time) fits = info.start_time && *info.start_time < *choice.target_time;
    if (choice.target_lsn) fits = info.label->start_lsn <= *choice.target_lsn;
    if (fits) return {*it, info};
    skipped += (skipped.empty() ? "" : ", ") + *it;
  }
  if (!skipped.empty()) {
    throw Error("no base backup started before the recovery target '" + choice.target_text +
                "' (generations " + skipped + " started later)");
  }
  throw Error("no generation in '" + dir.path() + "' has a base backup (" + kBaseFile + ")");
}

}  // namespace pgbak
