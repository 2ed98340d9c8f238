#include "sync/spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "io/error.h"

namespace pgbak {

void spawn_background_sync(const Invocation& inv, StateFile& state) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::string lock_fd_arg = "--lock-fd=" + std::to_string(kInheritedLockFd);
  std::vector<std::string> args = {"pgbak", "-D", inv.dir};
  if (inv.config_explicit) {
    args.push_back("-c");
    args.push_back(inv.config_path);
  }
  args.insert(args.end(), {"sync", "--background", lock_fd_arg});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int lock_fd = state.fd();

  pid_t pid = ::fork();
  if (pid < 0) throw_sys("cannot fork the background sync", "");
  if (pid > 0) return;

  ::setsid();
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
  }
  // dup2 clears O_CLOEXEC on the new descriptor; every other descriptor is O_CLOEXEC.
  if (lock_fd == kInheritedLockFd) {
    ::fcntl(lock_fd, F_SETFD, 0);
  } else {
    ::dup2(lock_fd, kInheritedLockFd);
  }
  // Descriptors the server's archiver passed down without O_CLOEXEC must not live on in a
  // sync that outlives it.
  ::close_range(kInheritedLockFd + 1, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execv("/proc/self/exe", argv.data());
  static const char msg[] = "pgbak: cannot exec the background sync\n";
  ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  (void)ignored;
  ::_exit(127);
}

void release_backup_lock(const Invocation& inv, StateFile& state) {
  bool pending;
  {
    StateLock guard(state);
    pending = state.read().pending != 0;
    if (!pending) state.unlock(LockByte::kBackup);
  }
  // Started only after STATE is released: the child shares this open file description, and our
  // unlock of STATE would otherwise drop a STATE lock the child believes it holds.
  if (pending) spawn_background_sync(inv, state);
}

}  // namespace pgbak
