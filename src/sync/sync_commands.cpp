// `pgbak sync`, `force-sync` and `full-sync`, and the hidden `sync --background` that
// archive-wal starts. All of them end up in the one sync loop while holding BACKUP.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "cli/cli.h"
#include "cli/commands.h"
#include "io/error.h"
#include "repo/backup_dir.h"
#include "state/state_file.h"
#include "sync/sync_loop.h"
#include "sync/wait.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

// A foreground sync's --timeout (or the sync-timeout setting): seconds, 0 for none.
struct Timeout {
  double seconds = 0;
  double deadline = 0;  // on system_clock()

  explicit Timeout(double s) : seconds(s), deadline(system_clock().now() + s) {}
  std::optional<double> limit() const {
    return seconds > 0 ? std::optional(deadline) : std::nullopt;
  }
  bool passed() const { return seconds > 0 && system_clock().now() >= deadline; }
  std::string text() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", seconds);
    return buf;
  }
};

void run_loop(const Invocation& inv, const BackupDir& dir, StateFile& state, SyncLog& log,
              bool foreground, const Timeout& timeout = Timeout(0)) {
  log.attach_file(dir.fd(), dir.path(), inv.config.log_max_bytes);
  SyncContext ctx{.dir = dir,
                  .state = state,
                  .config = inv.config,
                  .log = log,
                  .clock = system_clock(),
                  .echo = foreground && inv.verbosity >= 0,
                  .reload = [&inv] { return reload_settings(inv); },
                  .deadline = timeout.limit()};
  try {
    run_sync_loop(ctx);
  } catch (const TimedOut& e) {
    throw Error("sync: gave up at the timeout of " + timeout.text() +
                " s, the work stays pending: " + e.what());
  } catch (const std::exception& e) {
    if (!foreground) log.error(e.what());
    throw;
  }
}

// The background sync: pgbak.lock arrives as an inherited descriptor that already holds BACKUP.
int run_background(const Invocation& inv, int lock_fd) {
  // Scripts and pg_basebackup must not inherit the lock: a leftover grandchild would keep
  // BACKUP held after this sync died.
  if (::fcntl(lock_fd, F_SETFD, FD_CLOEXEC) != 0)
    throw_sys("bad --lock-fd", std::to_string(lock_fd));
  BackupDir dir(inv.require_dir());
  struct stat inherited {
  }, lock_file{};
  if (::fstat(lock_fd, &inherited) != 0 ||
      ::fstatat(dir.fd(), "pgbak.lock", &lock_file, AT_SYMLINK_NOFOLLOW) != 0 ||
      inherited.st_dev != lock_file.st_dev || inherited.st_ino != lock_file.st_ino) {
    throw UsageError("--lock-fd=" + std::to_string(lock_fd) + " is not " + dir.path() +
                     "/pgbak.lock");
  }
  StateFile state(UniqueFd(lock_fd), dir.path());
  // Normally a no-op (this open file description holds BACKUP already); run by hand, it makes
  // sure no second sync starts.
  if (!state.try_lock(LockByte::kBackup)) throw Error("cannot start a sync: another one runs");
  SyncLog log(false, inv.verbosity);
  run_loop(inv, dir, state, log, false);
  return 0;
}

// --timeout, else the sync-timeout setting.
Timeout foreground_timeout(const Invocation& inv) {
  if (inv.vm.count("timeout"))
    return Timeout(parse_wait_timeout(inv.vm["timeout"].as<std::string>()));
  return Timeout(inv.config.sync_timeout);
}

int run_foreground(const Invocation& inv, uint8_t bits) {
  Timeout timeout = foreground_timeout(inv);
  BackupDir dir(inv.require_dir());
  StateFile state(dir.fd(), dir.path());
  if (bits != 0) add_pending(state, bits);
  SyncLog log(true, inv.verbosity);
  if (!state.try_lock(LockByte::kBackup)) {
    // The running sync loops until nothing is pending, so it does our bits too; once it lets go
    // we take BACKUP ourselves, which also covers a sync that died on the way.
    log.info("a sync is running; waiting for it to finish");
    bool nudging = state.try_lock(LockByte::kNudge);
    if (timeout.seconds > 0) {
      while (!state.try_lock(LockByte::kBackup)) {
        if (timeout.passed()) {
          throw Error("sync: gave up at the timeout of " + timeout.text() +
                      " s: another sync is still running" +
                      describe_running_sync(dir.fd(), dir.path()));
        }
        system_clock().sleep_for(0.1);
      }
    } else {
      state.lock(LockByte::kBackup);
    }
    if (nudging) state.unlock(LockByte::kNudge);
  }
  run_loop(inv, dir, state, log, true, timeout);
  return 0;
}

void add_timeout_option(po::options_description& d) {
  d.add_options()("timeout", po::value<std::string>(),
                  "give up after SECONDS (0: never; default: the sync-timeout setting), exit 1 "
                  "with the last error and leave the work pending");
}

}  // namespace

void add_sync_options(po::options_description& d) {
  add_timeout_option(d);
  // Empty descriptions keep these internal options out of the help.
  d.add_options()("background", po::bool_switch(), "")("lock-fd", po::value<int>(), "");
}

void add_force_sync_options(po::options_description& d) {
  add_timeout_option(d);
}

int run_sync(Invocation& inv) {
  bool background = inv.vm.count("background") && inv.vm["background"].as<bool>();
  bool has_fd = inv.vm.count("lock-fd") > 0;
  if (background != has_fd) throw UsageError("--background and --lock-fd go together");
  if (background) return run_background(inv, inv.vm["lock-fd"].as<int>());
  return run_foreground(inv, 0);
}

int run_force_sync(Invocation& inv) {
  return run_foreground(inv, kArchive);
}

int run_full_sync(Invocation& inv) {
  return run_foreground(inv, kSnapshot | kArchive);
}

}  // namespace pgbak
