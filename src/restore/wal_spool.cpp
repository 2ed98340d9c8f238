#include "restore/wal_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/tree.h"

namespace pgbak {
namespace {

constexpr const char* kLockFile = ".lock";
constexpr const char* kSourceFile = ".source";
constexpr const char* kFetchingPrefix = ".fetching.";
constexpr const char* kStagedPrefix = ".staged.";
// How often restore-wal looks whether the prefetcher is done with the file it waits for.
constexpr auto kTakePoll = std::chrono::milliseconds(2);
// A removed spool's hidden name, and how long its removal waits for a prefetcher's last write.
constexpr const char* kGonePrefix = ".pgbak-prefetch.gone.";
constexpr int kRemoveAttempts = 50;
constexpr auto kRemoveRetry = std::chrono::milliseconds(20);

// What identifies the running boot: spooled files are not fsynced, and one written before a power
// loss may be anything.
std::string boot_id() {
  static const std::string id = [] {
    auto text = read_small_file(AT_FDCWD, "/proc/sys/kernel/random/boot_id",
                                "/proc/sys/kernel/random/boot_id");
    if (!text || text->empty()) throw Error("cannot read /proc/sys/kernel/random/boot_id");
    return *text;
  }();
  return id;
}

// The spool's `.source` for files of `source`.
std::string source_text(const std::string& source) {
  return source + "boot " + boot_id();
}

// Which file an installed segment is: a rename or replacement changes it.
std::string identity(const struct stat& st) {
  return std::to_string(st.st_dev) + " " + std::to_string(st.st_ino) + " " +
         std::to_string(st.st_size) + " " + std::to_string(st.st_ctim.tv_sec) + "." +
         std::to_string(st.st_ctim.tv_nsec) + "\n";
}

// The segment a spool entry is about: a spooled file or the mark of an installed one.
std::optional<WalName> entry_segment(const std::string& entry) {
  std::string name =
      entry.starts_with(kStagedPrefix) ? entry.substr(std::strlen(kStagedPrefix)) : entry;
  auto wal = parse_wal_name(name);
  if (!wal || wal->kind != WalKind::kSegment) return std::nullopt;
  return wal;
}

}  // namespace

WalSpool::WalSpool(int dest_dir, const std::string& dest_dir_path, bool create)
    : path_(path_join(dest_dir_path, kSpoolDir)) {
  if (create && ::mkdirat(dest_dir, kSpoolDir, 0700) != 0 && errno != EEXIST) {
    throw_sys("cannot create directory", path_);
  }
  auto dir = open_dir_at(dest_dir, kSpoolDir, path_);
  if (dir) fd_ = std::move(*dir);
  int parent = ::fcntl(dest_dir, F_DUPFD_CLOEXEC, 0);
  if (parent < 0) throw_sys("cannot duplicate the descriptor of", dest_dir_path);
  parent_.reset(parent);
}

bool WalSpool::take(const std::string& name, int dest_dir, const std::string& dest_name) const {
  if (!exists()) return false;
  if (::renameat(fd_.get(), name.c_str(), dest_dir, dest_name.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_sys("cannot move the prefetched", path_join(path_, name));
}

void WalSpool::wait_fetched(const std::string& name) const {
  // A prefetcher killed mid-fetch leaves its mark, but not its lock.
  while (has(kFetchingPrefix + name) && locked()) std::this_thread::sleep_for(kTakePoll);
}

bool WalSpool::serves(const std::string& source) const {
  if (!exists()) return false;
  try {
    return read_small_file(fd_.get(), kSourceFile, path_join(path_, kSourceFile)) ==
           source_text(source);
  } catch (const Error&) {
    return false;
  }
}

void WalSpool::claim(const std::string& source) const {
  if (serves(source)) return;
  // Files of another source (a restore_command naming another generation) or boot: none may be
  // served.
  for (const std::string& name : list_dir(fd_.get(), path_)) {
    if (entry_segment(name)) ::unlinkat(fd_.get(), name.c_str(), 0);
  }
  write_scratch_file(fd_.get(), kSourceFile, path_join(path_, kSourceFile), source_text(source));
}

void WalSpool::install(const std::string& name, int dest_dir) const {
  std::string spooled = path_join(path_, name);
  UniqueFd file = openat_or_throw(fd_.get(), name, O_RDONLY | O_NOFOLLOW, spooled);
  if (::renameat(fd_.get(), name.c_str(), dest_dir, name.c_str()) != 0) {
    throw_sys("cannot move the prefetched", spooled);
  }
  fault_point("install-after-rename", name);
  // The file as it is now under its name (a rename changes its ctime).
  struct stat st;
  if (::fstat(file.get(), &st) != 0) throw_sys("cannot examine", spooled);
  std::string mark = kStagedPrefix + name;
  write_scratch_file(fd_.get(), mark, path_join(path_, mark), identity(st));
  // Archived already: the server would mark it so had restore_command delivered it.
  auto status = open_dir_at(dest_dir, "archive_status", "archive_status");
  if (status) {
    int done = ::openat(status->get(), (name + ".done").c_str(),
                        O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (done >= 0) ::close(done);
  }
}

bool WalSpool::take_staged(const std::string& name, int dest_dir) const {
  if (!exists()) return false;
  std::string mark = kStagedPrefix + name;
  auto id = read_small_file(fd_.get(), mark, path_join(path_, mark));
  if (!id) return false;
  ::unlinkat(fd_.get(), mark.c_str(), 0);
  struct stat st;
  return ::fstatat(dest_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
         identity(st) == *id;
}

UniqueFd WalSpool::try_lock() const {
  UniqueFd lock = openat_or_throw(fd_.get(), kLockFile, O_RDWR | O_CREAT | O_NOFOLLOW,
                                  path_join(path_, kLockFile));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return UniqueFd();
  return lock;
}

bool WalSpool::locked() const {
  if (!exists()) return false;
  auto lock = try_open_regular_at(fd_.get(), kLockFile, O_RDONLY, path_join(path_, kLockFile));
  if (!lock) return false;
  return ::flock(lock->get(), LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

void WalSpool::mark_fetching(const std::string& name) const {
  std::string mark = kFetchingPrefix + name;
  UniqueFd fd =
      openat_or_throw(fd_.get(), mark, O_WRONLY | O_CREAT | O_NOFOLLOW, path_join(path_, mark));
}

void WalSpool::unmark_fetching(const std::string& name) const {
  ::unlinkat(fd_.get(), (kFetchingPrefix + name).c_str(), 0);
}

bool WalSpool::has(const std::string& name) const {
  struct stat st;
  return exists() && ::fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

bool WalSpool::holds(const std::string& name) const {
  return has(name) || has(kStagedPrefix + name);
}

size_t WalSpool::count() const {
  if (!exists()) return 0;
  size_t n = 0;
  for (const std::string& name : list_dir(fd_.get(), path_)) {
    if (entry_segment(name)) ++n;
  }
  return n;
}

void WalSpool::drop_before(const WalName& requested) const {
  if (!exists()) return;
  for (const std::string& name : list_dir(fd_.get(), path_)) {
    auto wal = entry_segment(name);
    if (!wal) continue;
    bool passed = wal->tli != requested.tli || wal->log < requested.log ||
                  (wal->log == requested.log && wal->seg < requested.seg);
    if (passed) ::unlinkat(fd_.get(), name.c_str(), 0);
  }
}

void WalSpool::remove(int dest_dir) const {
  // First out of the way under a hidden name, at once: a prefetcher still writing into it (it
  // stops at its next segment) cannot make the spool's name outlive this call.
  if (exists()) {
    std::string gone = std::string(kGonePrefix) + std::to_string(::getpid()) + "." +
                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    if (::renameat(dest_dir, kSpoolDir, dest_dir, gone.c_str()) != 0 && errno != ENOENT) {
      return;  // e.g. a read-only directory: nothing to serve from there either
    }
  }
  // Then what this and earlier calls moved away, as far as nothing is written into it any more.
  std::string dir_path = path_.substr(0, path_.size() - std::string(kSpoolDir).size());
  for (int attempt = 0; attempt < kRemoveAttempts; ++attempt) {
    bool left = false;
    for (const std::string& name : list_dir(dest_dir, dir_path)) {
      if (!name.starts_with(kGonePrefix)) continue;
      try {
        remove_tree(dest_dir, name, dir_path + name);
      } catch (const Error&) {
        left = true;
      }
    }
    if (!left) return;
    std::this_thread::sleep_for(kRemoveRetry);
  }
}

bool WalSpool::removed() const {
  struct stat st;
  if (!exists() || ::fstat(fd_.get(), &st) != 0 || st.st_nlink == 0) return true;
  // Moved away by remove(): the spool's name is no longer this directory.
  struct stat named;
  return ::fstatat(parent_.get(), kSpoolDir, &named, AT_SYMLINK_NOFOLLOW) != 0 ||
         named.st_ino != st.st_ino || named.st_dev != st.st_dev;
}

}  // namespace pgbak
