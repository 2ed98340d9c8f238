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

ChosenGeneration choose_generation(const BackupDir& dir, const GenerationChoice& choice,
                                   const Config& config) {
  if (!choice.generation.empty()) {
    Generation gen = dir.open_generation(choice.generation);
    BaseInfo info = read_base_label(gen, config);
    BackupEnd end = find_backup_end(gen, *info.label, config);
    return {choice.generation, std::move(info), end, ""};
  }
  auto all = dir.generations();
  std::string skipped;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!has_base(dir, *it)) continue;
    Generation gen = dir.open_generation(*it);
    ChosenGeneration c{*it, read_base_label(gen, config), {}, ""};
    c.end = find_backup_end(gen, *c.info.label, config);
    bool fits = true;
    if (choice.target_time) fits = c.end.time && *c.end.time <= *choice.target_time;
    if (choice.target_lsn) {
      if (c.end.lsn) {
        fits = *c.end.lsn <= *choice.target_lsn;
      } else {
        fits = c.info.label->start_lsn <= *choice.target_lsn;
        c.warning = "generation " + *it +
                    ": where its base backup ended is unknown (no backup history file, e.g. a "
                    "backup from a standby): if recovery stops before the database is consistent, "
                    "restore an older generation with --generation";
      }
    }
    if (fits) return c;
    skipped += (skipped.empty() ? "" : ", ") + *it;
  }
  if (!skipped.empty()) {
    throw Error("no base backup ended before the recovery target '" + choice.target_text +
                "' (generations " + skipped + " ended later)");
  }
  throw Error("no generation in '" + dir.path() + "' has a base backup (" + kBaseFile + ")");
}

}  // namespace pgbak
