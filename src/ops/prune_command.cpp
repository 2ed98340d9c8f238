// `pgbak prune --keep N [--dry-run]`.
#include <iostream>

#include "cli/commands.h"
#include "io/error.h"
#include "ops/human.h"
#include "ops/prune.h"
#include "state/state_file.h"

namespace po = boost::program_options;

namespace pgbak {

void add_prune_options(po::options_description& d) {
  d.add_options()("dry-run,n", po::bool_switch(), "only show what would be removed");
}

int run_prune(Invocation& inv) {
  // --keep is the `keep` setting given on the command line.
  int keep = inv.config.keep;
  if (keep < 1) throw UsageError("prune needs --keep N (N >= 1), or 'keep' in pgbak.conf");
  bool dry_run = inv.vm["dry-run"].as<bool>();
  BackupDir dir(inv.require_dir());
  StateFile state(dir.fd(), dir.path());
  if (!dry_run && !state.try_lock(LockByte::kBackup)) {
    throw Error("cannot prune '" + dir.path() + "': a sync is running (HINT: run 'pgbak wait' first)");
  }
  uint64_t total = 0;
  auto removed = prune_generations(dir, keep, dry_run);
  for (const auto& item : removed) {
    total += item.bytes;
    if (inv.verbosity >= 0) {
      std::cout << (dry_run ? "would remove " : "removed ") << item.generation << " ("
                << human_bytes(item.bytes) << ")\n";
    }
  }
  if (inv.verbosity >= 0) {
    std::cout << (dry_run ? "would free " : "freed ") << human_bytes(total) << " in "
              << removed.size() << " generation" << (removed.size() == 1 ? "" : "s") << "\n";
  }
  return 0;
}

}  // namespace pgbak
