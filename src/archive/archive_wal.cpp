// `pgbak archive-wal PATH`: the archive_command. Stores the file durably, records pending work
// and starts a background sync; never waits for the sync.
#include <sys/statvfs.h>

#include <cerrno>
#include <ctime>
#include <iostream>

#include "archive/store_wal.h"
#include "archive/timeline_guard.h"
#include "archive/wal_source.h"
#include "cli/commands.h"
#include "io/error.h"
#include "repo/backup_dir.h"
#include "repo/lineage.h"
#include "repo/stored_names.h"
#include "repo/sync_log.h"
#include "state/drop_record.h"
#include "state/spawn_sync.h"
#include "state/state_file.h"

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

// With archive-full-disk = drop: why the file must be dropped before trying (free space below
// min-free-space), or nullopt.
std::optional<std::string> below_floor(const BackupDir& dir, const Config& config) {
  if (config.archive_full_disk != "drop" || config.min_free_space == 0) return std::nullopt;
  struct statvfs vfs;
  if (::fstatvfs(dir.fd(), &vfs) != 0) return std::nullopt;
  uint64_t free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (free >= config.min_free_space) return std::nullopt;
  return std::to_string(free) + " bytes free on its file system, below min-free-space = " +
         std::to_string(config.min_free_space);
}

// True if the current generation holds the file already (PostgreSQL retrying after a crash):
// comparing it needs no space, so it is archived as usual even below the floor.
bool already_stored(const BackupDir& dir, const WalSource& src) {
  auto name = dir.current_name();
  auto gen = name ? dir.try_open_generation(*name) : std::nullopt;
  return gen && find_stored(gen->wal_dir.get(), stored_wal_name(src.name)).has_value();
}

bool is_lack_of_space(const SystemError& e) {
  return e.err() == ENOSPC || e.err() == EDQUOT;
}

// archive-full-disk = drop: the file is not stored, PostgreSQL is told it was (so pg_wal/ cannot
// fill up), and that is made loud and durable: the drop is recorded in pgbak.lock (in place: no
// new space needed), a snapshot is requested (the next sync with room starts a complete
// generation), and one line goes to stderr (the server log) and sync.log. If even the record
// cannot be written, archive-wal fails as it would without the valve.
void drop_wal(const BackupDir& dir, StateFile& state, const WalSource& src,
              const std::string& why) {
  std::string generation;
  {
    StateLock guard(state);
    generation = dir.current_name().value_or("none");
    DropRecord record = read_drop_record(state);
    add_drop(record, generation, src.name.text, std::time(nullptr));
    write_drop_record(state, record);
    State s = state.read();
    s.pending |= kSnapshot | kArchive;
    state.write(s);
  }
  std::string line = "dropped WAL file " + src.name.text + " (generation " + generation +
                     "): " + why +
                     "; archive-full-disk = drop, so it is not archived: a new generation with a "
                     "snapshot is requested";
  std::cerr << "pgbak: " << line << "\n";
  try {
    SyncLog log(false, 0);
    // No size cap: cutting the log back is the sync's job (it rewrites the file).
    log.attach_file(dir.fd(), dir.path(), 0);
    log.error(line);
  } catch (const Error&) {
    // sync.log cannot even be created on the full file system: the record and stderr remain.
  }
}

// Stores the file into the current generation (starting one if needed).
void archive_into_current(const Invocation& inv, const BackupDir& dir, StateFile& state,
                          WalSource& src);

}  // namespace

int run_archive_wal(Invocation& inv) {
  const std::string& dir_path = inv.require_dir();
  WalSource src = open_wal_source(inv.args[0]);
  BackupDir dir(dir_path);
  StateFile state(dir.fd(), dir.path());
  bool dropped = false;
  if (auto why = below_floor(dir, inv.config); why && !already_stored(dir, src)) {
    drop_wal(dir, state, src, *why);
    dropped = true;
  } else {
    try {
      archive_into_current(inv, dir, state, src);
    } catch (const SystemError& e) {
      if (inv.config.archive_full_disk != "drop" || !is_lack_of_space(e)) throw;
      drop_wal(dir, state, src, e.what());
      dropped = true;
    }
  }
  if (!dropped) {
    // Even an identical re-archive marks the work pending: the crash that made PostgreSQL retry
    // may have come before the first attempt recorded it.
    add_pending(state, kArchive);
  }
  if (state.try_lock(LockByte::kBackup)) {
    // The file is archived (or its drop recorded) and the work marked pending: a sync that
    // cannot start now is started by the next archive-wal or `pgbak sync`, so PostgreSQL must
    // not retry (and a full process table must not stop archiving).
    try {
      spawn_background_sync(inv, state);
    } catch (const SystemError& e) {
      std::cerr << "pgbak: archive-wal: " << src.name.text << (dropped ? " dropped" : " stored")
                << ", but the background sync cannot start: " << e.what()
                << " (the next archive-wal or 'pgbak sync' starts it)\n";
    }
  }
  return 0;
}

namespace {

void archive_into_current(const Invocation& inv, const BackupDir& dir, StateFile& state,
                          WalSource& src) {
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

  if (inv.verbosity > 0) {
    std::cout << (result == StoreResult::kStored ? "archived " : "already archived ")
              << src.name.text << " into generation " << gen.name << "\n";
  }
}

}  // namespace

}  // namespace pgbak
