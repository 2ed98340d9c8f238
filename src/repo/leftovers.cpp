#include "repo/leftovers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/error.h"
#include "io/file.h"

namespace pgbak {
namespace {

bool process_gone(int pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

void sweep(int dirfd, const std::string& display, const std::string& prefix,
           std::vector<std::string>& removed) {
  std::time_t now = std::time(nullptr);
  for (const std::string& name : list_dir(dirfd, display)) {
    int pid = leftover_pid(name);
    if (pid == 0) continue;
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode) || now - st.st_mtime < kLeftoverMinAge || !process_gone(pid)) continue;
    if (::unlinkat(dirfd, name.c_str(), 0) == 0) removed.push_back(prefix + name);
  }
}

}  // namespace

int leftover_pid(const std::string& name) {
  static const std::string marker = ".tmp.";
  if (name.size() < 2 || name[0] != '.') return 0;
  size_t at = name.find(marker, 2);
  if (at == std::string::npos) return 0;
  size_t begin = at + marker.size();
  size_t end = name.find('.', begin);
  if (end == std::string::npos) end = name.size();
  if (end == begin || end - begin > 9) return 0;
  int pid = 0;
  for (size_t i = begin; i < end; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

std::vector<std::string> remove_leftover_temp_files(const BackupDir& dir) {
  std::vector<std::string> removed;
  sweep(dir.fd(), dir.path(), "", removed);
  for (const std::string& name : dir.generations()) {
    std::optional<Generation> g = dir.try_open_generation(name);
    if (!g) continue;
    sweep(g->dir.get(), g->path, name + "/", removed);
    sweep(g->wal_dir.get(), path_join(g->path, kWalDir), name + "/" + kWalDir + "/", removed);
  }
  return removed;
}

void remove_dead_temps_of(int dirfd, const std::string& name, const std::string& display) {
  std::string prefix = "." + name + ".tmp.";
  std::vector<std::string> names;
  try {
    names = list_dir(dirfd, display);
  } catch (const Error&) {
    return;
  }
  for (const std::string& entry : names) {
    if (!entry.starts_with(prefix)) continue;
    int pid = leftover_pid(entry);
    struct stat st;
    if (pid == 0 || ::fstatat(dirfd, entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        S_ISDIR(st.st_mode) || !process_gone(pid)) {
      continue;
    }
    ::unlinkat(dirfd, entry.c_str(), 0);
  }
}

}  // namespace pgbak
