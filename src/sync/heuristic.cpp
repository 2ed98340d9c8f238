#include "sync/heuristic.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/file.h"
#include "repo/stored_names.h"
#include "repo/tablespaces.h"
#include "wal/wal_name.h"

namespace pgbak {

bool generation_has_base(const Generation& g) {
  return stored_base(g).has_value();
}

GenerationSize measure_generation(const Generation& g) {
  GenerationSize size;
  struct stat st {};
  auto base = stored_base(g);
  if (base && ::fstatat(g.dir.get(), base->c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    size.base_bytes = static_cast<uint64_t>(st.st_size);
    // The tablespaces are part of what a new snapshot costs.
    for (const auto& t : tablespace_files(g)) {
      if (::fstatat(g.dir.get(), t.stored.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        *size.base_bytes += static_cast<uint64_t>(st.st_size);
      }
    }
  }
  for (const auto& name : list_dir(g.wal_dir.get(), path_join(g.path, kWalDir))) {
    auto original = original_name(name, ".zst");
    if (!original || !parse_wal_name(*original)) continue;
    if (::fstatat(g.wal_dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    ++size.wal_files;
    size.wal_bytes += static_cast<uint64_t>(st.st_size);
  }
  return size;
}

bool snapshot_due(const GenerationSize& size, const Config& config) {
  if (!size.base_bytes) return false;
  if (size.wal_files <= static_cast<uint64_t>(config.snapshot_min_wal_files)) return false;
  return static_cast<double>(size.wal_bytes) * config.snapshot_wal_ratio >=
         static_cast<double>(*size.base_bytes);
}

}  // namespace pgbak
