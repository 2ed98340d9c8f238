// Reading a server's archive_command to see whether it calls pgbak for a given directory.
#pragma once

#include <optional>
#include <string>

namespace pgbak {

struct ArchiveCommandInfo {
  bool calls_pgbak = false;        // runs a program named pgbak with archive-wal (or wal)
  std::string program;             // that program as written ("pgbak", "/usr/bin/pgbak")
  std::optional<std::string> dir;  // the directory it names with -D/--dir or PGBAK=, if any
};

// Splits the command like sh would for simple words and quotes (no expansions) and looks for
// `[PGBAK=DIR] .../pgbak [-D DIR | --dir DIR | --dir=DIR | -DDIR] ... archive-wal|wal %p`.
ArchiveCommandInfo parse_archive_command(const std::string& command);

}  // namespace pgbak
