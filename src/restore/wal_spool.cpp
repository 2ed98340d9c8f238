#include "restore/wal_spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/error.h"
#include "io/file.h"
#include "io/tree.h"

namespace pgbak {

WalSpool::WalSpool(int dest_dir, const std::string& dest_dir_path, bool create)
    : path_(path_join(dest_dir_path, kSpoolDir)) {
  if (create && ::mkdirat(dest_dir, kSpoolDir, 0700) != 0 && errno != EEXIST) {
    throw_sys("cannot create directory", path_);
  }
  auto dir = open_dir_at(dest_dir, kSpoolDir, path_);
  if (dir) fd_ = std::move(*dir);
}

bool WalSpool::take(const std::string& name, int dest_dir, const std::string& dest_name) const {
  if (!exists()) return false;
  if (::renameat(fd_.get(), name.c_str(), dest_dir, dest_name.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_sys("cannot move the prefetched", path_join(path_, name));
}

bool WalSpool::has(const std::string& name) const {
  struct stat st;
  return exists() && ::fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

size_t WalSpool::count() const {
  if (!exists()) return 0;
  size_t n = 0;
  for (const std::string& name : list_dir(fd_.get(), path_)) {
    auto wal = parse_wal_name(name);
    if (wal && wal->kind == WalKind::kSegment) ++n;
  }
  return n;
}

void WalSpool::drop_before(const WalName& requested) const {
  if (!exists()) return;
  for (const std::string& name : list_dir(fd_.get(), path_)) {
    auto wal = parse_wal_name(name);
    if (!wal || wal->kind != WalKind::kSegment) continue;
    bool passed = wal->tli != requested.tli || wal->log < requested.log ||
                  (wal->log == requested.log && wal->seg < requested.seg);
    if (passed) ::unlinkat(fd_.get(), name.c_str(), 0);
  }
}

void WalSpool::remove(int dest_dir) const {
  if (!exists()) return;
  try {
    remove_tree(dest_dir, kSpoolDir, path_);
  } catch (const Error&) {
    // A prefetcher added a file meanwhile: the next call removes what is left.
  }
}

bool WalSpool::removed() const {
  struct stat st;
  return !exists() || ::fstat(fd_.get(), &st) != 0 || st.st_nlink == 0;
}

}  // namespace pgbak
