#include "sync/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/process.h"
#include "io/tree.h"
#include "pg/identify_system.h"
#include "pipeline/stored_file.h"
#include "repo/lineage.h"
#include "repo/stored_names.h"
#include "repo/tablespaces.h"
#include "sync/cluster_config.h"
#include "sync/heuristic.h"
#include "sync/pg_basebackup.h"
#include "sync/snapshot_file.h"
#include "wal/wal_name.h"

namespace pgbak {
namespace {

constexpr size_t kTailBytes = 2000;
// pg_basebackup's refusal to write a cluster with extra tablespaces to stdout.
constexpr const char* kSeveralTablespaces = "can only write single tablespace to stdout";
// The private directory in the generation where pg_basebackup writes one tar per tablespace.
constexpr const char* kSpoolPrefix = ".snapshot.tmp.";

// "compressed by the server (zstd level 3, 2 workers)", for the log.
std::string describe(const SnapshotCompression& how, const Config& config) {
  int workers = config.snapshot_compress_workers;
  std::string text = how.by_server ? "compressed by the server" : "compressed by pgbak";
  text += " (zstd level " + std::to_string(config.snapshot_compress_level) + ", " +
          (workers > 0 ? std::to_string(workers) + (workers == 1 ? " worker" : " workers")
                       : std::string("no worker threads")) +
          ")";
  if (!how.why.empty()) text += ": " + how.why;
  return text;
}

// The system identifier of the WAL being archived here: the newest generation's that has one
// (side generations hold another server's WAL and do not count).
std::optional<std::pair<std::string, uint64_t>> archived_sysid(const BackupDir& dir) {
  auto all = dir.generations();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    std::optional<Generation> g = dir.try_open_generation(*it);
    if (!g) continue;
    auto marker = read_new_history(*g);
    if (marker && marker->side) continue;
    if (auto sysid = read_generation_sysid(*g)) return std::pair(*it, *sysid);
  }
  return std::nullopt;
}

// A snapshot of another cluster than the one whose WAL is archived here (conninfo or the PG*
// environment pointing elsewhere) would become current and make archive-wal refuse the real
// cluster's WAL. Only the cluster whose WAL archive-wal last refused may take over: someone
// re-created the cluster on purpose and runs full-sync against it, as the refusal's hint says.
void check_server_is_archived_cluster(const BackupDir& dir, uint64_t server_sysid) {
  auto archived = archived_sysid(dir);
  if (!archived || archived->second == server_sysid) return;
  if (read_refused_sysid(dir) == server_sysid) return;
  throw Error(
      "snapshot refused: the server reached (conninfo in pgbak.conf, or the PG* "
      "environment) has system identifier " +
      std::to_string(server_sysid) + ", but the WAL archived into generation " + archived->first +
      " comes from " + std::to_string(archived->second) +
      " (HINT: point conninfo at the cluster whose archive_command archives here; "
      "archiving goes on meanwhile)");
}

// A server on a timeline whose history only a side generation holds is the branch the archive
// was pointed at (conninfo reaches it: a PITR restore promoted to be the new primary): that side
// generation becomes current, starting a new history, and gets the snapshot.
void adopt_server_branch(const BackupDir& dir, uint32_t timeline, SyncLog& log) {
  if (timeline <= 1) return;
  std::string plain = history_file_name(timeline) + ".zst";
  auto current = dir.open_current();
  if (current && find_stored(current->wal_dir.get(), plain)) return;
  auto side = find_side_generation(dir, plain, "", true);
  if (!side) return;
  adopt_side_generation(dir.open_generation(*side),
                        "a snapshot reached the server on timeline " + std::to_string(timeline));
  dir.switch_current(*side);
  log.info("snapshot: the server is on timeline " + std::to_string(timeline) +
           ", whose history side generation " + *side + " holds: it is current now");
}

std::string prepare_generation(const BackupDir& dir, StateFile& state, uint64_t sysid,
                               uint32_t timeline, SyncLog& log) {
  StateLock guard(state);
  adopt_server_branch(dir, timeline, log);
  if (auto current = dir.open_current()) {
    auto recorded = read_generation_sysid(*current);
    if (!generation_has_base(*current) && (!recorded || *recorded == sysid)) {
      record_generation_sysid(*current, sysid);
      return current->name;
    }
  }
  std::string name = dir.create_generation(std::time(nullptr));
  record_generation_sysid(dir.open_generation(name), sysid);
  dir.switch_current(name);
  return name;
}

// How pg_basebackup ended: its wait status and the tail of what it said.
struct BasebackupRun {
  int status = 0;
  std::string messages;
};

// Runs pg_basebackup; its standard output goes into `out`, or to /dev/null without one.
BasebackupRun run_basebackup(const std::string& program, std::vector<std::string> argv, Sink* out,
                             bool echo) {
  Pipe data = make_pipe();
  // A 1 MiB pipe instead of 64 KiB: fewer wake-ups of both sides; failure only costs speed.
  ::fcntl(data.read.get(), F_SETPIPE_SZ, 1 << 20);
  Pipe err = make_pipe();
  ChildSpec spec;
  spec.program = program;
  spec.argv = std::move(argv);
  spec.stdout_fd = out != nullptr ? data.write.get() : -1;
  spec.stderr_fd = err.write.get();
  ChildProcess child(spec);
  data.write.reset();
  err.write.reset();
  OutputTail tail(std::move(err.read), kTailBytes, echo ? 2 : -1);
  if (out != nullptr) pump(data.read.get(), *out, "pg_basebackup's output");
  BasebackupRun run;
  run.status = child.wait();
  run.messages = tail.finish();
  return run;
}

[[noreturn]] void basebackup_failed(const BasebackupRun& run, const SnapshotCompression& how) {
  bool compression_trouble = how.by_server && run.messages.find("compress") != std::string::npos;
  throw Error("pg_basebackup " + describe_wait_status(run.status) +
              (run.messages.empty() ? "" : ": " + run.messages) +
              (compression_trouble
                   ? " (HINT: if the server cannot compress, set snapshot-compression = client)"
                   : ""));
}

// The tablespace a tar written by `pg_basebackup -Ft -D DIR` belongs to: "base.tar[.zst]" is the
// data directory (nullopt), "16385.tar[.zst]" tablespace 16385. Throws for any other name.
std::optional<uint32_t> spooled_tablespace(const std::string& name,
                                           const SnapshotCompression& how) {
  std::string suffix = how.by_server ? ".tar.zst" : ".tar";
  std::string stem = name.ends_with(suffix) ? name.substr(0, name.size() - suffix.size()) : "";
  if (stem == "base") return std::nullopt;
  if (auto oid = tablespace_oid(stem + kTablespaceSuffix)) return oid;
  throw Error("pg_basebackup wrote an unexpected file '" + name +
              "' (HINT: basebackup-options must not change its compression or format)");
}

// A cluster with extra tablespaces: pg_basebackup writes one tar each into a private directory of
// the generation (removed afterwards, and by the next snapshot if this one is killed), which are
// then stored one by one, the tablespaces first and base.tzst last, as it marks the generation
// complete.
std::map<std::string, std::string> snapshot_per_tablespace(const Generation& gen,
                                                           const std::string& program,
                                                           const Config& config,
                                                           const SnapshotCompression& how,
                                                           SyncLog& log, bool echo) {
  // Only the sync, holding the BACKUP lock, takes snapshots: any other spool is a killed one's.
  for (const std::string& name : list_dir(gen.dir.get(), gen.path)) {
    if (name.starts_with(kSpoolPrefix)) remove_tree(gen.dir.get(), name, path_join(gen.path, name));
  }
  std::string spool = kSpoolPrefix + std::to_string(::getpid());
  std::string spool_path = path_join(gen.path, spool);
  if (::mkdirat(gen.dir.get(), spool.c_str(), 0700) != 0) {
    throw_sys("cannot create directory", spool_path);
  }
  struct Cleanup {
    const Generation& gen;
    const std::string& name;
    const std::string& display;
    ~Cleanup() {
      try {
        remove_tree(gen.dir.get(), name, display);
      } catch (const Error&) {
      }
    }
  } cleanup{gen, spool, spool_path};
  log.info("snapshot: the cluster has extra tablespaces: pg_basebackup writes one tar each into " +
           spool_path);
  BasebackupRun run =
      run_basebackup(program, basebackup_argv(program, config, how, spool_path), nullptr, echo);
  if (!exited_successfully(run.status)) basebackup_failed(run, how);

  UniqueFd spool_fd =
      openat_or_throw(gen.dir.get(), spool, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, spool_path);
  std::map<uint32_t, std::string> tablespaces;
  std::optional<std::string> base;
  for (const std::string& name : list_dir(spool_fd.get(), spool_path)) {
    if (auto oid = spooled_tablespace(name, how)) {
      tablespaces[*oid] = name;
    } else {
      base = name;
    }
  }
  if (!base) throw Error("pg_basebackup wrote no tar of the data directory into " + spool_path);
  std::map<std::string, std::string> digests;
  auto store = [&](const std::string& spooled, const std::string& plain_name) {
    SnapshotFile file(gen, config, how, plain_name, echo);
    std::string display = path_join(spool_path, spooled);
    UniqueFd in = openat_or_throw(spool_fd.get(), spooled, O_RDONLY | O_NOFOLLOW, display);
    pump(in.get(), file.input(), display);
    digests[file.stored()] = file.commit();
  };
  for (const auto& [oid, name] : tablespaces) store(name, tablespace_file_name(oid));
  store(*base, kBaseFile);
  return digests;
}

// Whether the newest older generation with a base has tablespace files: then the cluster most
// likely still has extra tablespaces, and trying to stream it (which costs the server a
// checkpoint before pg_basebackup refuses) is skipped.
bool had_tablespaces(const BackupDir& dir, const std::string& name) {
  auto gens = dir.generations();
  for (auto it = gens.rbegin(); it != gens.rend(); ++it) {
    if (*it == name) continue;
    auto g = dir.try_open_generation(*it);
    if (g && generation_has_base(*g)) return !tablespace_files(*g).empty();
  }
  return false;
}

}  // namespace

Snapshot take_snapshot(const BackupDir& dir, StateFile& state, const Config& config, SyncLog& log,
                       bool echo) {
  std::string program = find_pg_basebackup(config);
  // Asking the server first means an unreachable server does not leave an empty generation.
  ServerIdentity id = identify_system(config.conninfo);
  check_server_is_archived_cluster(dir, id.system_identifier);
  SnapshotCompression how = choose_snapshot_compression(
      config.snapshot_compression, id.server_version,
      config.snapshot_compression == "client" ? std::nullopt
                                              : pg_basebackup_major_version(program));
  std::string name = prepare_generation(dir, state, id.system_identifier, id.timeline, log);
  fault_point("snapshot-after-switch");
  Generation gen = dir.open_generation(name);
  // The generation has no base yet: tablespace files in it are from an attempt that failed or was
  // killed before its base.tzst, and never listed in SHA256SUMS.
  for (const TablespaceFile& t : tablespace_files(gen)) {
    if (::unlinkat(gen.dir.get(), t.stored.c_str(), 0) != 0) {
      throw_sys("cannot remove", path_join(gen.path, t.stored));
    }
    log.info("snapshot: removed " + t.stored + ", left by an unfinished snapshot");
  }
  log.info("snapshot: generation " + name + " is current; running " + program);
  log.info("snapshot: " + describe(how, config));

  // The usual case, a single tablespace, streams straight into base.tzst (base.tzst.enc when an
  // encryption key is configured): no temp copy. pg_basebackup refuses that for a cluster with
  // extra tablespaces, before the server sends any data.
  Snapshot snap{.generation = name,
                .base_file = std::string(kBaseFile) + stored_suffix(config),
                .digests = {}};
  bool streamed = false;
  if (!had_tablespaces(dir, name)) {
    SnapshotFile base(gen, config, how, kBaseFile, echo);
    BasebackupRun run =
        run_basebackup(program, basebackup_argv(program, config, how, "-"), &base.input(), echo);
    if (exited_successfully(run.status)) {
      snap.digests[base.stored()] = base.commit();
      streamed = true;
    } else {
      if (run.messages.find(kSeveralTablespaces) == std::string::npos) basebackup_failed(run, how);
      log.info("snapshot: pg_basebackup cannot stream a cluster with extra tablespaces");
    }
  } else {
    log.info("snapshot: the previous generation has tablespaces");
  }
  if (!streamed) snap.digests = snapshot_per_tablespace(gen, program, config, how, log, echo);
  if (auto conf = store_cluster_config(gen, config, id.system_identifier, log)) {
    snap.digests[conf->file] = conf->digest;
  }
  return snap;
}

}  // namespace pgbak
