// When a generation has grown enough WAL that a fresh snapshot pays off.
#pragma once

#include <cstdint>
#include <optional>

#include "config/config.h"
#include "repo/backup_dir.h"

namespace pgbak {

struct GenerationSize {
  uint64_t wal_files = 0;
  uint64_t wal_bytes = 0;  // compressed
  // compressed, with the tablespaces; none while the generation has no base
  std::optional<uint64_t> base_bytes;
};

// True once the generation's base.tzst is stored.
bool generation_has_base(const Generation& g);

GenerationSize measure_generation(const Generation& g);

// True when more than snapshot-min-wal-files WAL files are stored and their size times
// snapshot-wal-ratio is at least the base's size. A generation without a base is not judged
// here (its snapshot is pending or running already).
bool snapshot_due(const GenerationSize& size, const Config& config);

}  // namespace pgbak
