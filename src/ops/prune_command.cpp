// `pgbak prune [--keep N] [--keep-within DURATION] [--remote] [--dry-run]`.
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "io/error.h"
#include "io/human.h"
#include "remote/remote_prune.h"
#include "repo/prune.h"
#include "state/spawn_sync.h"
#include "state/state_file.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

void prune_local(const Invocation& inv, const BackupDir& dir, const RetentionRule& rule,
                 bool dry_run) {
  PrunePlan plan = plan_prune(dir, rule, inv.config, static_cast<double>(std::time(nullptr)));
  for (const auto& [gen, files] : plan.not_uploaded) {
    std::cerr << "pgbak: keeping generation " << gen << ": " << files
              << " file(s) not uploaded yet (HINT: run 'pgbak sync' until its upload succeeds)\n";
  }
  uint64_t total = 0;
  auto removed = prune_generations(dir, plan.remove, dry_run);
  for (const auto& item : removed) {
    total += item.bytes;
    if (inv.verbosity >= 0) {
      std::cout << (dry_run ? "would remove " : "removed ") << item.generation << " ("
                << human_bytes(item.bytes) << ")\n";
    }
  }
  if (inv.verbosity >= 0) {
    std::cout << (dry_run ? "would free " : "freed ") << human_bytes(total) << " in "
              << count_of(removed.size(), "generation") << "\n";
  }
}

void prune_remote(const Invocation& inv, const BackupDir& dir, const RetentionRule& rule,
                  bool dry_run) {
  RemoteBases remote(dir, inv.config);
  auto names =
      plan_remote_prune(remote, rule, dir.current_name(), static_cast<double>(std::time(nullptr)));
  size_t done = 0;
  auto report = [&](const std::string& name) {
    ++done;
    if (inv.verbosity >= 0) {
      std::cout << (dry_run ? "would remove" : "removed") << " remote generation " << name << "\n"
                << std::flush;
    }
  };
  if (dry_run) {
    for (const auto& name : names) report(name);
  } else {
    remove_remote_generations(remote.fetch(), names, report);
  }
  if (inv.verbosity >= 0) {
    std::cout << (dry_run ? "would remove " : "removed ") << count_of(done, "remote generation")
              << "\n";
  }
}

}  // namespace

void add_prune_options(po::options_description& d) {
  d.add_options()("dry-run,n", po::bool_switch(), "only show what would be removed")(
      "remote", po::bool_switch(),
      "prune the remote copy (scripts/fetch list, scripts/fetch delete) instead of this directory");
}

int run_prune(Invocation& inv) {
  // --keep and --keep-within are the settings given on the command line.
  RetentionRule rule = retention_rule(inv.config.keep, inv.config.keep_within);
  if (!rule.any()) {
    throw UsageError(
        "prune needs --keep N (N >= 1) or --keep-within DURATION (e.g. 7d), or 'keep' or "
        "'keep-within' in pgbak.conf");
  }
  bool dry_run = inv.vm["dry-run"].as<bool>();
  BackupDir dir(inv.require_dir());
  StateFile state(dir.fd(), dir.path());
  if (!dry_run && !state.try_lock(LockByte::kBackup)) {
    throw Error("cannot prune '" + dir.path() +
                "': a sync is running (HINT: run 'pgbak wait' first)");
  }
  if (inv.vm["remote"].as<bool>()) {
    prune_remote(inv, dir, rule, dry_run);
  } else {
    prune_local(inv, dir, rule, dry_run);
  }
  if (!dry_run) release_backup_lock(inv, state);
  return 0;
}

}  // namespace pgbak
