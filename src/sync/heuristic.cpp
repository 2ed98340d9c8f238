#include "sync/heuristic.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/file.h"
#include "wal/wal_name.h"

namespace pgbak {

bool generation_has_base(const Generation& g) {
  return ::faccessat(g.dir.get(), kBaseFile, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

GenerationSize measure_generation(const Generation& g) {
  GenerationSize size;
  struct stat st {};
  if (::fstatat(g.dir.get(), kBaseFile, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    size.base_bytes = static_cast<uint64_t>(st.st_size);
  }
  for (const auto& name : list_dir(g.wal_dir.get(), path_join(g.path, kWalDir))) {
    if (!name.ends_with(".zst") ||
        !parse_wal_name(std::string_view(name).substr(0, name.size() - 4))) {
      continue;
    }
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
