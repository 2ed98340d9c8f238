#include "sync/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <vector>

#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/hex.h"
#include "io/sha256.h"
#include "io/zstd_stream.h"
#include "ops/progress.h"
#include "pg/identify_system.h"
#include "repo/lineage.h"
#include "sync/cluster_config.h"
#include "sync/heuristic.h"
#include "sync/pg_basebackup.h"
#include "sync/process.h"
#include "wal/wal_name.h"

namespace pgbak {
namespace {

constexpr size_t kTailBytes = 2000;
// Crash tests kill the sync at "mid-snapshot" once this much of pg_basebackup's stream went
// through: well inside even an empty cluster's, which the server compresses to under 3 MiB.
constexpr size_t kMidSnapshotBytes = 1 << 20;

// Passes pg_basebackup's stream on, giving the "mid-snapshot" fault point its moment.
class StreamProgress : public Sink {
 public:
  StreamProgress(Sink& out, ProgressMeter& meter) : out_(out), meter_(meter) {}
  void write(std::span<const std::byte> data) override {
    out_.write(data);
    seen_ += data.size();
    meter_.add(data.size());
    if (seen_ >= kMidSnapshotBytes) fault_point("mid-snapshot");
  }

 private:
  Sink& out_;
  ProgressMeter& meter_;
  size_t seen_ = 0;
};

// The server compressed the stream: it is stored as it comes (encrypted if so configured), once
// its first bytes show a zstd frame. Anything else (an option in basebackup-options that changed
// the format) is refused rather than stored under a name that promises zstd.
class ServerCompressed : public StorageSink {
 public:
  ServerCompressed(const Config& config, Sink& out, const std::string& display,
                   const std::string& identity)
      : sealed_(make_storage_writer(config, out, display, identity)) {}

  void write(std::span<const std::byte> data) override {
    if (head_.size() < kZstdFrameMagic.size()) {
      size_t n = std::min(kZstdFrameMagic.size() - head_.size(), data.size());
      for (std::byte b : data.first(n)) head_.push_back(static_cast<unsigned char>(b));
      if (!std::equal(head_.begin(), head_.end(), kZstdFrameMagic.begin())) {
        refuse("begins with " + to_hex(head_));
      }
    }
    sealed_->write(data);
  }
  void finish() override {
    if (head_.size() < kZstdFrameMagic.size()) {
      refuse("is " + std::to_string(head_.size()) + " bytes long");
    }
    sealed_->finish();
  }

 private:
  [[noreturn]] static void refuse(const std::string& what) {
    throw Error("pg_basebackup's output is not a zstd stream (it " + what +
                ") (HINT: basebackup-options must not change its compression or format; or set "
                "snapshot-compression = client)");
  }

  std::unique_ptr<StorageSink> sealed_;
  std::vector<unsigned char> head_;
};

// pgbak compresses the tar stream in-process (zstd with a content checksum), then encrypts it if
// so configured.
class ClientCompressed : public StorageSink {
 public:
  ClientCompressed(const Config& config, Sink& out, const std::string& display,
                   const std::string& identity)
      : stored_(config, out, config.snapshot_compress_level, config.snapshot_compress_workers,
                display, identity) {}
  void write(std::span<const std::byte> data) override { stored_.write(data); }
  void finish() override { stored_.finish(); }

 private:
  StoredWriter stored_;
};

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
  log.info("snapshot: generation " + name + " is current; running " + program);
  log.info("snapshot: " + describe(how, config));

  // base.tzst, or base.tzst.enc when an encryption key is configured.
  std::string stored = std::string(kBaseFile) + stored_suffix(config);
  std::string display = path_join(gen.path, stored);
  std::string identity = stored_identity(name, stored);
  DurableWriter out(gen.dir.get(), stored, display);
  // The digest of the bytes as written goes to SHA256SUMS: a server-compressed base has no zstd
  // checksum, so this is what restore and verify check it against.
  HashingSink hashed(out);
  std::unique_ptr<StorageSink> encode;
  if (how.by_server) {
    encode = std::make_unique<ServerCompressed>(config, hashed, display, identity);
  } else {
    encode = std::make_unique<ClientCompressed>(config, hashed, display, identity);
  }

  Pipe data = make_pipe();
  // A 1 MiB pipe instead of 64 KiB: fewer wake-ups of both sides; failure only costs speed.
  ::fcntl(data.read.get(), F_SETPIPE_SZ, 1 << 20);
  Pipe err = make_pipe();
  ChildSpec spec;
  spec.program = program;
  spec.argv = basebackup_argv(program, config, how);
  spec.stdout_fd = data.write.get();
  spec.stderr_fd = err.write.get();
  ChildProcess child(spec);
  data.write.reset();
  err.write.reset();
  OutputTail tail(std::move(err.read), kTailBytes, echo ? 2 : -1);
  ProgressMeter meter("snapshot: pg_basebackup's stream", echo);
  StreamProgress progress(*encode, meter);
  pump(data.read.get(), progress, "pg_basebackup's output");
  meter.finish();
  int status = child.wait();
  std::string messages = tail.finish();
  if (!exited_successfully(status)) {
    bool compression_trouble = how.by_server && messages.find("compress") != std::string::npos;
    throw Error("pg_basebackup " + describe_wait_status(status) +
                (messages.empty() ? "" : ": " + messages) +
                (compression_trouble
                     ? " (HINT: if the server cannot compress, set snapshot-compression = client)"
                     : ""));
  }
  encode->finish();
  fault_point("snapshot-before-commit");
  if (!out.commit()) throw Error("cannot store '" + display + "': it exists already");
  Snapshot snap{
      .generation = name, .base_file = stored, .digest = hashed.hex_digest(), .extra_digests = {}};
  if (auto conf = store_cluster_config(gen, config, id.system_identifier, log)) {
    snap.extra_digests[conf->file] = conf->digest;
  }
  return snap;
}

}  // namespace pgbak
