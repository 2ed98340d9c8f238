// A WAL file handed over by PostgreSQL, opened and checked before anything is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/unique_fd.h"
#include "wal/wal_name.h"

namespace pgbak {

struct WalSource {
  std::string path;  // as given
  WalName name;
  UniqueFd fd;
  uint64_t size = 0;
  std::optional<uint64_t> sysid;  // segments and partial segments only
};

// Opens PATH (relative to the working directory; symlinks are followed, the name checked is the
// last component of PATH), checks the name, that it is a regular file, and for segments the long
// page header against the name and size. Throws Error with the reason; writes nothing.
WalSource open_wal_source(const std::string& path);

}  // namespace pgbak
