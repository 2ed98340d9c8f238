// `pgbak archive-wal PATH`: the archive_command. Stores the file durably, records pending work
// and starts a background sync; never waits for the sync.
#include <ctime>
#include <iostream>

#include "archive/store_wal.h"
#include "archive/timeline_guard.h"
#include "archive/wal_source.h"
#include "cli/commands.h"
#include "io/error.h"
#include "repo/backup_dir.h"
#include "repo/lineage.h"
#include "state/state_file.h"
#include "sync/spawn.h"

namespace pgbak {
namespace {

// Creates a generation and makes it current (under the STATE lock, so that concurrent
// archive-wal calls agree on one). Returns its name.
// A generation that starts a new history gets its marker before it is current.
std::string start_generation(const BackupDir& dir, StateFile& state, uint8_t extra_pending,
                             const std::optional<std::string>& replacing,
                             const std::optional<NewHistory>& marker = std::nullopt) {
  StateLock guard(state);
  auto current = dir.current_name();
  if (current != replacing) return *current;  // someone else already started one
  std::string name = dir.create_generation(std::time(nullptr));
  if (marker) mark_new_history(dir.open_generation(name), *marker);
  dir.switch_current(name);
  State s = state.read();
  s.pending |= kSnapshot | extra_pending;
  state.write(s);
  return name;
}

// The side generation for another server's history (created with its marker, never current).
Generation side_generation(const BackupDir& dir, StateFile& state, const Generation& current,
                           const Placement& place) {
  if (!place.generation.empty()) return dir.open_generation(place.generation);
  StateLock guard(state);
  Generation side = dir.open_generation(dir.create_generation(std::time(nullptr)));
  mark_new_history(side, {true, place.reason});
  if (auto sysid = read_generation_sysid(current)) record_generation_sysid(side, *sysid);
  std::cerr << "pgbak: " << place.reason << "; archived into side generation " << side.name
            << ", which restores of generation " << current.name << " never read\n";
  return side;
}

std::string hint_other_cluster(const std::string& dir) {
  return " (HINT: if the cluster was re-created on purpose, run 'pgbak -D " + dir +
         " full-sync' against it to start a generation for it; archive a second cluster into its "
         "own directory with a separate -D)";
}

}  // namespace

int run_archive_wal(Invocation& inv) {
  const std::string& dir_path = inv.require_dir();
  WalSource src = open_wal_source(inv.args[0]);
  BackupDir dir(dir_path);
  StateFile state(dir.fd(), dir.path());

  std::optional<std::string> gen_name = dir.current_name();
  if (!gen_name) gen_name = start_generation(dir, state, 0, std::nullopt);
  std::optional<Generation> usable = dir.try_open_generation(*gen_name);
  if (!usable) {
    // `current` points at a removed generation (or one without pg_wal/): archiving must go on, so
    // start a fresh generation with its own snapshot and leave the broken one for inspection.
    std::cerr << "pgbak: generation " << *gen_name << " is missing or has no pg_wal/; starting a "
              << "new generation (snapshot requested)\n";
    usable = dir.open_generation(start_generation(dir, state, 0, gen_name));
  }
  Generation gen = std::move(*usable);

  if (src.sysid) {
    uint64_t recorded = record_generation_sysid(gen, *src.sysid);
    if (recorded != *src.sysid) {
      // Remembered so that a snapshot of that cluster (full-sync, as the hint says) is accepted.
      record_refused_sysid(dir, *src.sysid);
      throw Error("cannot archive '" + src.name.text + "': system identifier " +
                  std::to_string(*src.sysid) + " differs from generation " + gen.name + "'s " +
                  std::to_string(recorded) + hint_other_cluster(dir.path()));
    }
  }

  Placement place = src.name.kind == WalKind::kHistory ? place_history(dir, gen, src, inv.config)
                                                       : place_segment(dir, gen, src, inv.config);
  if (place.where == Placement::Where::kSide) {
    gen = side_generation(dir, state, gen, place);
  } else if (place.where == Placement::Where::kNewHistory) {
    std::string old = gen.name;
    gen = dir.open_generation(
        start_generation(dir, state, kArchive, gen.name, NewHistory{false, place.reason}));
    if (src.sysid) record_generation_sysid(gen, *src.sysid);
    std::cerr << "pgbak: " << place.reason << "; archived into new generation " << gen.name
              << " (a new history), snapshot requested\n";
  }

  StoreResult result = store_wal(gen, src, inv.config);
  if (result == StoreResult::kConflict && place.where == Placement::Where::kSide) {
    throw Error("cannot archive '" + src.name.text + "': side generation " + gen.name +
                " already holds a different copy");
  }
  if (result == StoreResult::kConflict) {
    // Same cluster, different bytes: the server went back in time (e.g. a VM rollback). The old
    // generation stays as it is; the file goes into a new one, which will get its own snapshot.
    std::string old = gen.name;
    NewHistory marker{false, src.name.text + " differs from the copy in generation " + old +
                                 " (the server went back in time)"};
    gen = dir.open_generation(start_generation(dir, state, kArchive, gen.name, marker));
    if (src.sysid) record_generation_sysid(gen, *src.sysid);
    result = store_wal(gen, src, inv.config);
    if (result == StoreResult::kConflict) {
      throw Error("cannot archive '" + src.name.text + "': generation " + gen.name +
                  " already holds a different copy");
    }
    std::cerr << "pgbak: '" << src.name.text << "' differs from the copy in generation " << old
              << " (the server went back in time); archived into new generation " << gen.name
              << ", snapshot requested\n";
  }

  // Even an identical re-archive marks the work pending: the crash that made PostgreSQL retry may
  // have come before the first attempt recorded it.
  add_pending(state, kArchive);
  if (state.try_lock(LockByte::kBackup)) spawn_background_sync(inv, state);
  if (inv.verbosity > 0) {
    std::cout << (result == StoreResult::kStored ? "archived " : "already archived ")
              << src.name.text << " into generation " << gen.name << "\n";
  }
  return 0;
}

}  // namespace pgbak
