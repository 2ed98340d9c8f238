#include "repo/choose_generation.h"

#include "io/error.h"
#include "repo/stored_names.h"

namespace pgbak {

ChosenGeneration choose_among(const BaseCandidates& candidates, const GenerationChoice& choice) {
  if (!choice.generation.empty()) {
    BaseInfo info = candidates.read_label(choice.generation);
    BackupEnd end = candidates.read_end(choice.generation, info);
    return {choice.generation, std::move(info), end, ""};
  }
  const auto& all = candidates.with_base;
  std::string skipped;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    ChosenGeneration c{*it, candidates.read_label(*it), {}, ""};
    c.end = candidates.read_end(*it, c.info);
    std::string unknown_end =
        "generation " + *it +
        ": where its base backup ended is unknown (no backup history file, e.g. a backup from a "
        "standby): if recovery stops before the database is consistent, restore an older "
        "generation with --generation";
    bool fits = true;
    if (choice.target_time) {
      if (c.end.time) {
        fits = *c.end.time <= *choice.target_time;
      } else {
        fits = c.info.start_time && *c.info.start_time < *choice.target_time;
        c.warning = unknown_end;
      }
    }
    if (choice.target_lsn) {
      if (c.end.lsn) {
        fits = *c.end.lsn <= *choice.target_lsn;
      } else {
        fits = c.info.label->start_lsn <= *choice.target_lsn;
        c.warning = unknown_end;
      }
    }
    if (fits) return c;
    skipped += (skipped.empty() ? "" : ", ") + *it;
  }
  if (!skipped.empty()) {
    throw Error("no base backup ended before the recovery target '" + choice.target_text +
                "' (generations " + skipped + " ended later)");
  }
  throw Error("no generation in " + candidates.where + " has a base backup (" + kBaseFile + ")");
}

std::vector<std::string> generations_with_base(const BackupDir& dir) {
  std::vector<std::string> out;
  for (const std::string& gen : dir.generations()) {
    if (has_base(dir, gen)) out.push_back(gen);
  }
  return out;
}

BaseCandidates local_candidates(const BackupDir& dir, const Config& config) {
  return BaseCandidates{generations_with_base(dir),
                        [&dir, &config](const std::string& name) {
                          return read_base_label(dir.open_generation(name), config);
                        },
                        [&dir, &config](const std::string& name, const BaseInfo& info) {
                          return find_backup_end(dir.open_generation(name), *info.label, config);
                        },
                        "'" + dir.path() + "'"};
}

ChosenGeneration choose_generation(const BackupDir& dir, const GenerationChoice& choice,
                                   const Config& config) {
  return choose_among(local_candidates(dir, config), choice);
}

}  // namespace pgbak
