#include "sync/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "pg/identify_system.h"
#include "sync/heuristic.h"
#include "sync/pg_basebackup.h"
#include "sync/process.h"

namespace pgbak {
namespace {

constexpr size_t kTailBytes = 2000;
// Crash tests kill the sync at "mid-snapshot" once this much of the tar stream went through.
constexpr size_t kMidSnapshotBytes = 2 << 20;

// Passes pg_basebackup's stream on, giving the "mid-snapshot" fault point its moment.
class StreamProgress : public Sink {
 public:
  explicit StreamProgress(Sink& out) : out_(out) {}
  void write(std::span<const std::byte> data) override {
    out_.write(data);
    seen_ += data.size();
    if (seen_ >= kMidSnapshotBytes) fault_point("mid-snapshot");
  }

 private:
  Sink& out_;
  size_t seen_ = 0;
};

std::string prepare_generation(const BackupDir& dir, StateFile& state, uint64_t sysid) {
  StateLock guard(state);
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

std::string take_snapshot(const BackupDir& dir, StateFile& state, const Config& config,
                          SyncLog& log, bool echo) {
  std::string program = find_pg_basebackup(config);
  // Asking the server first means an unreachable server does not leave an empty generation.
  ServerIdentity id = identify_system(config.conninfo);
  std::string name = prepare_generation(dir, state, id.system_identifier);
  fault_point("snapshot-after-switch");
  Generation gen = dir.open_generation(name);
  log.info("snapshot: generation " + name + " is current; running " + program);

  // base.tzst, or base.tzst.enc when an encryption key is configured.
  std::string stored = std::string(kBaseFile) + stored_suffix(config);
  std::string display = path_join(gen.path, stored);
  DurableWriter out(gen.dir.get(), stored, display);
  StoredWriter zstd(config, out, config.compress_level, config.snapshot_compress_workers, display);

  Pipe data = make_pipe();
  // A 1 MiB pipe instead of 64 KiB: fewer wake-ups of both sides; failure only costs speed.
  ::fcntl(data.read.get(), F_SETPIPE_SZ, 1 << 20);
  Pipe err = make_pipe();
  ChildSpec spec;
  spec.program = program;
  spec.argv = basebackup_argv(program, config);
  spec.stdout_fd = data.write.get();
  spec.stderr_fd = err.write.get();
  ChildProcess child(spec);
  data.write.reset();
  err.write.reset();
  OutputTail tail(std::move(err.read), kTailBytes, echo ? 2 : -1);
  StreamProgress progress(zstd);
  pump(data.read.get(), progress, "pg_basebackup's output");
  int status = child.wait();
  std::string messages = tail.finish();
  if (!exited_successfully(status)) {
    throw Error("pg_basebackup " + describe_wait_status(status) +
                (messages.empty() ? "" : ": " + messages));
  }
  zstd.finish();
  fault_point("snapshot-before-commit");
  if (!out.commit()) throw Error("cannot store '" + display + "': it exists already");
  return name;
}

}  // namespace pgbak
