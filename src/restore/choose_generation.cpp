#include "restore/choose_generation.h"

#include "crypto/storage.h"
#include "io/error.h"

namespace pgbak {

std::pair<std::string, BaseInfo> choose_among(const BaseCandidates& candidates,
                                              const GenerationChoice& choice) {
  if (!choice.generation.empty()) {
    return {choice.generation, candidates.read_label(choice.generation)};
  }
  const auto& all = candidates.with_base;
  std::string skipped;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    BaseInfo info = candidates.read_label(*it);
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
  throw Error("no generation in " + candidates.where + " has a base backup (" + kBaseFile + ")");
}

std::vector<std::string> generations_with_base(const BackupDir& dir) {
  std::vector<std::string> out;
  for (const std::string& gen : dir.generations()) {
    if (find_stored(dir.fd(), gen + "/" + kBaseFile)) out.push_back(gen);
  }
  return out;
}

std::pair<std::string, BaseInfo> choose_generation(const BackupDir& dir,
                                                   const GenerationChoice& choice,
                                                   const Config& config) {
  BaseCandidates local{
      generations_with_base(dir),
      [&](const std::string& name) { return read_base_label(dir.open_generation(name), config); },
      "'" + dir.path() + "'"};
  return choose_among(local, choice);
}

}  // namespace pgbak
