#include "cli/command_table.h"

#include <algorithm>
#include <vector>

#include "cli/commands.h"
#include "config/spelling.h"

namespace pgbak {
namespace {

// clang-format off
const Command kCommands[] = {
  {"init", nullptr, "", "create the backup directory layout and an example scripts/backup",
   nullptr, 0, 0, run_init},
  {"archive-wal", "wal", "PATH", "archive one WAL file (archive_command = 'pgbak archive-wal %p')",
   nullptr, 1, 1, run_archive_wal},
  {"sync", nullptr, "", "do pending or interrupted work; wait for a sync that is running",
   add_sync_options, 0, 0, run_sync},
  {"force-sync", nullptr, "", "run the backup script now (after any pending snapshot)",
   add_force_sync_options, 0, 0, run_force_sync},
  {"full-sync", nullptr, "", "take a snapshot now, then run the backup script",
   add_force_sync_options, 0, 0, run_full_sync},
  {"wait", nullptr, "[TIMEOUT]", "wait until no sync runs; TIMEOUT seconds (0 = just test), exit 1 on timeout",
   nullptr, 0, 1, run_wait},
  {"restore-wal", nullptr, "NAME DEST",
   "restore one archived WAL file (restore_command = 'pgbak restore-wal --generation G %f %p')",
   add_restore_wal_options, 2, 2, run_restore_wal},
  {"restore", nullptr, "PGDATA | --cluster VERSION/NAME", "make a data directory that recovers from the archive",
   add_restore_options, 0, 1, run_restore},
  {"verify", nullptr, "[GENERATION...]",
   "check every file, checksum and the WAL's continuity of the generations (default: all)",
   nullptr, 0, -1, run_verify},
  {"status", nullptr, "", "show generation, WAL, sync state, failures and disk use (never blocks)",
   add_status_options, 0, 0, run_status},
  {"check", nullptr, "", "check the server's archive settings and that a switched WAL file arrives",
   add_check_options, 0, 0, run_check},
  {"info", nullptr, "[--remote]",
   "list the generations: base start and end, WAL, and the window each can restore to",
   add_info_options, 0, 0, run_info},
  {"prune", nullptr, "--keep N | --keep-within DURATION",
   "remove the generations the newest N complete ones, or the time window, do not need",
   add_prune_options, 0, 0, run_prune},
  {"keygen", nullptr, "PATH", "write a new encryption key file (for encryption-key-file)",
   nullptr, 1, 1, run_keygen},
  {"completion", nullptr, "bash", "print the bash completion script (generated from this table)",
   nullptr, 1, 1, run_completion},
  {"help", nullptr, "[COMMAND]", "show help for a command", nullptr, 0, 1, nullptr},
};
// clang-format on

}  // namespace

std::span<const Command> command_table() {
  return kCommands;
}

const Command* find_command(const std::string& name) {
  for (const Command& c : kCommands) {
    if (name == c.name || (c.alias != nullptr && name == c.alias)) return &c;
  }
  return nullptr;
}

std::string suggest_command(const std::string& typo) {
  std::vector<std::string> names;
  for (const Command& c : kCommands) names.emplace_back(c.name);
  return closest_name(typo, names);
}

}  // namespace pgbak
