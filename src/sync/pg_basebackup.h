// Finding and running pg_basebackup.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace pgbak {

// The pg_basebackup to run: pg-bindir if set (and nothing else), else the first on PATH, else
// in `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin. Throws Error with a hint
// when there is none.
std::string find_pg_basebackup(const Config& config);

// argv for a tar of the data directory on stdout, without WAL: -D - -Ft -X none, then the
// whitespace-separated basebackup-options, then -d conninfo when set.
std::vector<std::string> basebackup_argv(const std::string& program, const Config& config);

}  // namespace pgbak
