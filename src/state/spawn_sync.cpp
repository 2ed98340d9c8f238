#include "state/spawn_sync.h"

#include <string>

#include "io/process.h"

namespace pgbak {

void spawn_background_sync(const Invocation& inv, StateFile& state) {
  ChildSpec spec;
  spec.program = "/proc/self/exe";
  spec.argv = {"pgbak", "-D", inv.dir};
  if (inv.config_explicit) {
    spec.argv.push_back("-c");
    spec.argv.push_back(inv.config_path);
  }
  spec.argv.insert(spec.argv.end(),
                   {"sync", "--background", "--lock-fd=" + std::to_string(kInheritedLockFd)});
  spec.detached = true;
  spec.keep_fd = state.fd();
  spec.keep_fd_as = kInheritedLockFd;
  ChildProcess sync(spec);
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
