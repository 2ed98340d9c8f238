#include "sync/sync_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/process.h"
#include "remote/remote_prune.h"
#include "repo/base_label.h"
#include "repo/leftovers.h"
#include "repo/prune.h"
#include "repo/sha256sums.h"
#include "repo/sync_status.h"
#include "repo/upload_marks.h"
#include "sync/backfill.h"
#include "sync/backup_script.h"
#include "sync/heuristic.h"
#include "sync/snapshot.h"
#include "sync/transitions.h"

namespace pgbak {
namespace {

std::string describe_bits(uint8_t bits) {
  std::string s;
  if (bits & kSnapshot) s = "snapshot";
  if (bits & kArchive) s += s.empty() ? "backup script" : " and backup script";
  return s.empty() ? "nothing" : s;
}

class Loop {
 public:
  explicit Loop(SyncContext& ctx)
      : ctx_(ctx),
        backoff_(ctx.config.backoff_start, ctx.config.backoff_factor, ctx.config.backoff_max) {}

  void run() {
    ctx_.state.lock(LockByte::kWait);
    status_ = read_sync_status(ctx_.dir.fd(), ctx_.dir.path());
    // We hold the BACKUP lock: the sync that recorded a running script is gone.
    if (kill_leftover_group(status_.script_pgid, status_.script_sid)) {
      ctx_.log.info("killed what the backup script of a killed sync left running (process group " +
                    std::to_string(status_.script_pgid) + ")");
    }
    status_.script_pgid = status_.script_sid = 0;
    status_.pid = ::getpid();
    status_.started = std::time(nullptr);
    save_status();
    if (uint8_t found = recover_state(ctx_.state)) {
      ctx_.log.info("the previous sync was interrupted during the " + describe_bits(found) +
                    "; doing it again");
    }
    remove_leftovers();
    auto record_end = [this] {
      status_.pid = 0;
      status_.next_retry = 0;
      save_status();
    };
    for (;;) {
      if (release_if_idle(ctx_.state, record_end)) break;
      Claim claim = claim_state(ctx_.state);
      try {
        do_work(claim);
        on_success();
      } catch (const std::exception& e) {
        // Not only Error: a thread that cannot be created (std::system_error) or memory running
        // out mid-snapshot must be retried too, not end the sync with its work left running.
        on_failure(e.what());
      }
    }
  }

 private:
  void do_work(const Claim& claim) {
    step_ = "sync";
    uint8_t work = claim.work;
    auto current = ctx_.dir.open_current();
    // A generation without a base cannot be restored: whatever the state byte says (it may have
    // been repaired), it needs its snapshot.
    if (!current || !generation_has_base(*current)) work |= kSnapshot;
    if (!(work & kSnapshot) && (work & kArchive) &&
        snapshot_due(measure_generation(*current), ctx_.config)) {
      ctx_.log.info("generation " + current->name + " has grown enough WAL: taking a snapshot");
      work |= kSnapshot;
    }
    if (work & kSnapshot) {
      work |= kArchive;  // the new base has to be uploaded
      add_running_state(ctx_.state, work);
      step_ = "snapshot";
      Snapshot snap = take_snapshot(ctx_.dir, ctx_.state, ctx_.config, ctx_.log, ctx_.echo);
      Generation gen = ctx_.dir.open_generation(snap.generation);
      link_older_wal(gen);
      refuse_unreachable_base(gen, snap);
      status_.last_snapshot = std::time(nullptr);
      ctx_.log.info("snapshot: " + snap.base_file +
                    (snap.digests.size() > 1
                         ? " and " + std::to_string(snap.digests.size() - 1) + " tablespaces"
                         : std::string()) +
                    " of generation " + snap.generation + " stored");
      finish_state(ctx_.state, kSnapshot);
      // The base's digest, taken as it was written, goes into SHA256SUMS at once rather than
      // after a backup-script run for the previous generation (which may fail for a while): a
      // server-compressed base has no zstd checksum of its own, and restore checks it against
      // this. A crash before this line leaves it to the archive step, which hashes the file.
      log_checksums(gen, snap.digests);
    }
    if (work & kArchive) {
      step_ = "backup script";
      // A retry after a failure passes the same CURRENT_TS unless new work arrived since.
      if (claim.fresh || script_ts_.empty() || (work & kSnapshot)) script_ts_ = next_timestamp();
      run_archive_step();
      script_ts_.clear();
      finish_state(ctx_.state, kArchive);
      prune_after_success();
    }
  }

  // A base taken from a standby may start before its generation did: the WAL from its start is
  // linked in from older generations. Housekeeping: a failure is logged (verify shows the gap)
  // and the WAL stays reachable in the older generation.
  void link_older_wal(const Generation& gen) {
    try {
      BaseInfo info = read_base_label(gen, ctx_.config);
      auto linked = backfill_base_wal(ctx_.dir, gen, info.label->start_wal_file);
      if (!linked.empty()) {
        ctx_.log.info("snapshot: the base starts at " + info.label->start_wal_file +
                      ", before generation " + gen.name + " began: linked " +
                      std::to_string(linked.size()) + " WAL file(s) from older generations (" +
                      linked.front() + " to " + linked.back() + ")");
      }
    } catch (const Error& e) {
      ctx_.log.error(std::string("cannot link the base's older WAL into generation ") + gen.name +
                     ": " + e.what());
    }
  }

  // A base whose start WAL is nowhere here cannot be restored (see base_start_unreachable): its
  // files go (nothing has listed or uploaded them yet; the base first, so that the generation has
  // none) and the snapshot fails, to be retried with backoff.
  void refuse_unreachable_base(const Generation& gen, const Snapshot& snap) {
    std::string start;
    try {
      BaseInfo info = read_base_label(gen, ctx_.config);
      if (info.label) start = info.label->start_wal_file;
    } catch (const Error&) {
      return;  // logged by link_older_wal; verify names what is wrong with the base
    }
    if (!base_start_unreachable(gen, start)) return;
    std::vector<std::string> files{snap.base_file};
    for (const auto& entry : snap.digests) {
      if (entry.first != snap.base_file) files.push_back(entry.first);
    }
    for (const std::string& file : files) {
      if (::unlinkat(gen.dir.get(), file.c_str(), 0) != 0 && errno != ENOENT) {
        throw_sys("cannot remove", path_join(gen.path, file));
      }
    }
    fsync_dir(gen.dir.get(), gen.path);
    throw Error("the snapshot of generation " + gen.name +
                " cannot be restored: its base starts at " + start +
                ", before the first WAL archived into it, and no older generation holds " +
                "that WAL (HINT: a backup from a standby starts at the standby's last " +
                "restartpoint; a retry succeeds once the standby has made one after archiving " +
                "here began, after the primary's next checkpoint)");
  }

  // Temp files of killed processes: housekeeping, so a failure is logged and the sync goes on.
  void remove_leftovers() {
    try {
      for (const std::string& path : remove_leftover_temp_files(ctx_.dir)) {
        ctx_.log.info("removed " + path + ", left behind by a killed pgbak");
      }
    } catch (const Error& e) {
      ctx_.log.error(std::string("cannot remove leftover temp files: ") + e.what());
    }
  }

  // The `keep` and `keep-within` settings (and with `remote-prune`, the remote copy too):
  // housekeeping after an upload, so a failure is logged, not retried.
  void prune_after_success() {
    RetentionRule rule;
    try {
      rule = retention_rule(ctx_.config.keep, ctx_.config.keep_within);
      if (!rule.any()) return;
      double now = static_cast<double>(std::time(nullptr));
      PrunePlan plan = plan_prune(ctx_.dir, rule, ctx_.config, now);
      for (const auto& item : prune_generations(ctx_.dir, plan.remove, false)) {
        ctx_.log.info("pruned generation " + item.generation + " (" + std::to_string(item.bytes) +
                      " bytes)");
      }
    } catch (const Error& e) {
      ctx_.log.error(std::string("cannot prune: ") + e.what());
    }
    if (!ctx_.config.remote_prune || !rule.any()) return;
    try {
      RemoteBases remote(ctx_.dir, ctx_.config);
      double now = static_cast<double>(std::time(nullptr));
      remove_remote_generations(
          remote.fetch(), plan_remote_prune(remote, rule, ctx_.dir.current_name(), now),
          [this](const std::string& name) { ctx_.log.info("pruned remote generation " + name); });
    } catch (const Error& e) {
      ctx_.log.error(std::string("cannot prune the remote copy: ") + e.what());
    }
  }

  // Checksums, then the script: first for every older generation that a successful run has not
  // yet seen whole (files that archive-wal calls racing with a switch put there, or an upload
  // outage that outlasted its generation: the failed runs had hashed its files, so only the
  // upload marks tell), oldest first, then for current. An older generation that fails does not
  // hold current's upload back: its error fails the step afterwards, so it is retried and shown.
  void run_archive_step() {
    auto current = ctx_.dir.current_name();
    if (!current) throw Error("no current generation to back up");
    UploadMarks marks = read_upload_marks(ctx_.dir.fd(), ctx_.dir.path());
    std::optional<Error> older_failed;
    for (const std::string& name : ctx_.dir.generations()) {
      if (name == *current) continue;
      // A generation archive-wal left behind as damaged (no pg_wal/) or a symlink planted among
      // them is not ours to upload.
      std::optional<Generation> gen;
      try {
        gen = ctx_.dir.try_open_generation(name);
      } catch (const CorruptError&) {
        continue;
      }
      if (!gen) continue;
      try {
        log_checksums(*gen);
        if (files_not_uploaded(*gen, marks) > 0) upload(*gen, marks);
      } catch (const Error& e) {
        if (!older_failed) older_failed = e;
      }
    }
    Generation gen = ctx_.dir.open_generation(*current);
    log_checksums(gen);
    upload(gen, marks);
    if (older_failed) throw *older_failed;
  }

  // Runs the script for the generation and records, durably, what the successful run covered.
  void upload(const Generation& gen, UploadMarks& marks) {
    UploadMark covered = coverage_now(gen);
    run_script(gen);
    UploadMarks before = marks;
    marks[gen.name] = covered;
    // Generations pruned (by hand or `keep`) since need no mark.
    auto gens = ctx_.dir.generations();
    std::erase_if(marks, [&gens](const auto& item) {
      return std::find(gens.begin(), gens.end(), item.first) == gens.end();
    });
    if (marks != before) write_upload_marks(ctx_.dir.fd(), ctx_.dir.path(), marks);
  }

  void log_checksums(const Generation& gen, const std::map<std::string, std::string>& known = {}) {
    size_t added = update_checksums(gen, known);
    if (added > 0)
      ctx_.log.info("SHA256SUMS of generation " + gen.name + ": " + std::to_string(added) +
                    " new file(s)");
  }

  void run_script(const Generation& gen) {
    ctx_.log.info("running scripts/backup " + gen.name + " " + script_ts_);
    fault_point("before-backup-script");
    auto record_script = [this](pid_t pgid) {
      status_.script_pgid = pgid;
      status_.script_sid = ::getsid(0);
      save_status();
    };
    // Whatever the outcome, the group is gone afterwards; saved with the success or failure.
    struct ForgetScript {
      SyncStatus& s;
      ~ForgetScript() { s.script_pgid = s.script_sid = 0; }
    } forget{status_};
    run_backup_script(ctx_.dir, gen, script_ts_, ctx_.echo, record_script);
    ctx_.log.info("scripts/backup " + gen.name + " " + script_ts_ + " succeeded");
    status_.last_success = std::time(nullptr);
    status_.last_base_ts = gen.name;
    status_.last_current_ts = script_ts_;
  }

  std::string next_timestamp() {
    // Strictly increasing within this sync, so two runs never share a CURRENT_TS.
    last_ts_ = std::max<int64_t>(std::time(nullptr), last_ts_ + 1);
    return std::to_string(last_ts_);
  }

  void on_success() {
    if (backoff_.failures() > 0 || status_.consecutive_failures > 0) {
      ctx_.log.info("succeeded after " + std::to_string(status_.consecutive_failures) +
                    " failure(s)");
    }
    backoff_.record_success();
    status_.consecutive_failures = 0;
    status_.next_retry = 0;
    status_.failing_step.clear();
    status_.failing_since = 0;
    save_status();
  }

  void on_failure(const std::string& what) {
    double now = ctx_.clock.now();
    double delay = backoff_.record_failure(now);
    ++status_.consecutive_failures;
    status_.last_failure = std::time(nullptr);
    status_.last_error = what;
    if (status_.failing_since == 0) status_.failing_since = status_.last_failure;
    status_.failing_step = step_;
    status_.next_retry = status_.last_failure + static_cast<int64_t>(std::ceil(delay));
    save_status();
    bool last = ctx_.deadline && now + delay > *ctx_.deadline;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", delay);
    ctx_.log.error(what + " (failure " + std::to_string(status_.consecutive_failures) + "; " +
                   (last ? std::string("giving up: the next retry would be past the timeout")
                         : "retrying in " + std::string(buf) + " s") +
                   ")");
    if (last) give_up(what);
    if (backoff_.wait(ctx_.clock, [this] { return nudged(); })) {
      ctx_.log.info("a foreground command is waiting: retrying now");
    }
    reload_config();
  }

  // The deadline comes before the next attempt: the claimed work goes back to pending for the
  // next sync, and the error ends this one.
  [[noreturn]] void give_up(const std::string& what) {
    status_.pid = 0;
    status_.next_retry = 0;
    save_status();
    recover_state(ctx_.state);
    throw TimedOut(what);
  }

  // pgbak.conf may have been fixed while we waited (e.g. its conninfo): the next attempt uses
  // what it says now. A file that does not parse leaves the settings as they were.
  void reload_config() {
    if (!ctx_.reload) return;
    try {
      ctx_.config = ctx_.reload();
      backoff_.reconfigure(ctx_.config.backoff_start, ctx_.config.backoff_factor,
                           ctx_.config.backoff_max);
    } catch (const std::exception& e) {
      ctx_.log.error(std::string("keeping the settings in use: ") + e.what());
    }
  }

  // A foreground force-sync/full-sync/sync waiting for us (it holds the NUDGE byte) cuts one
  // backoff delay short; it has to let go before it can do so again, so a waiter that stays
  // does not turn the backoff into a busy loop.
  bool nudged() {
    bool held = ctx_.state.is_locked_by_other(LockByte::kNudge);
    if (!held) nudge_used_ = false;
    if (!held || nudge_used_) return false;
    nudge_used_ = true;
    return true;
  }

  void save_status() {
    try {
      write_sync_status(ctx_.dir.fd(), ctx_.dir.path(), status_);
    } catch (const Error& e) {
      ctx_.log.error(std::string("cannot record the sync status: ") + e.what());
    }
  }

  SyncContext& ctx_;
  Backoff backoff_;
  SyncStatus status_;
  std::string script_ts_;
  int64_t last_ts_ = 0;
  std::string step_ = "sync";  // what do_work is doing, for the status of a failure
  bool nudge_used_ = false;
};

}  // namespace

void run_sync_loop(SyncContext& ctx) {
  Loop(ctx).run();
}

}  // namespace pgbak
