#include "sync/wait.h"

#include <cstdlib>
#include <iostream>
#include <regex>

#include "cli/commands.h"
#include "io/error.h"
#include "repo/backup_dir.h"
#include "repo/sync_status.h"
#include "state/state_file.h"
#include "sync/backoff.h"

namespace pgbak {
namespace {

constexpr double kMaxTimeout = 1e9;
constexpr double kPollSeconds = 0.05;

// A sync runs while BACKUP or WAIT is held: archive-wal holds BACKUP from before the fork, the
// sync takes WAIT once it started. Only looking (F_OFD_GETLK) keeps wait from ever making an
// archive-wal think a sync runs.
bool sync_running(StateFile& state) {
  return state.is_locked_by_other(LockByte::kBackup) || state.is_locked_by_other(LockByte::kWait);
}

}  // namespace

double parse_wait_timeout(const std::string& text) {
  static const std::regex kNumber("[0-9]{1,12}(\\.[0-9]{1,9})?");
  if (!std::regex_match(text, kNumber)) {
    throw UsageError("bad TIMEOUT '" + text + "': expected a non-negative number of seconds");
  }
  double v = std::strtod(text.c_str(), nullptr);
  if (v > kMaxTimeout) throw UsageError("bad TIMEOUT '" + text + "': too large");
  return v;
}

std::string describe_running_sync(int dirfd, const std::string& dir_path) {
  SyncStatus st = read_sync_status(dirfd, dir_path);
  std::string detail = st.pid > 0 ? " (pid " + std::to_string(st.pid) + ")" : "";
  if (st.consecutive_failures > 0) {
    detail += "; it failed " + std::to_string(st.consecutive_failures) +
              " time(s), last: " + st.last_error;
  }
  return detail;
}

int run_wait(Invocation& inv) {
  std::optional<double> timeout;
  if (!inv.args.empty()) timeout = parse_wait_timeout(inv.args[0]);
  BackupDir dir(inv.require_dir());
  StateFile state(dir.fd(), dir.path(), true);
  Clock& clock = system_clock();
  double deadline = clock.now() + timeout.value_or(0);
  while (sync_running(state)) {
    if (timeout && clock.now() >= deadline) {
      std::cerr << "pgbak: wait: a sync is still running after " << inv.args[0] << " s"
                << describe_running_sync(dir.fd(), dir.path()) << "\n";
      return 1;
    }
    clock.sleep_for(kPollSeconds);
  }
  return 0;
}

}  // namespace pgbak
