#include "restore/prefetch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "archive/store_wal.h"
#include "io/error.h"
#include "io/file.h"
#include "remote/fetch_script.h"
#include "remote/remote_listing.h"
#include "restore/remote_wal.h"
#include "restore/wal_decompress.h"
#include "restore/wal_spool.h"

namespace pgbak {
namespace {

constexpr const char* kLockFile = ".lock";
constexpr auto kPoll = std::chrono::milliseconds(20);
constexpr auto kIdleLimit = std::chrono::seconds(60);

// Waits until the spool has room for one more segment; false when it was removed or nothing
// was taken for kIdleLimit.
bool wait_for_room(const WalSpool& spool, int limit) {
  auto deadline = std::chrono::steady_clock::now() + kIdleLimit;
  while (!spool.removed()) {
    if (spool.count() + 1 <= static_cast<size_t>(limit)) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPoll);
  }
  return false;
}

void prefetch(const BackupDir& dir, const Config& config, const WalName& served, uint64_t seg_size,
              const std::string& dest_dir_path) {
  UniqueFd dest_dir = open_dir(dest_dir_path);
  // Created by start_prefetch: gone already means that the server asked for a file the remote
  // does not have since.
  WalSpool spool(dest_dir.get(), dest_dir_path, false);
  if (!spool.exists()) return;
  UniqueFd lock = openat_or_throw(spool.fd(), kLockFile, O_RDWR | O_CREAT | O_NOFOLLOW,
                                  path_join(spool.path(), kLockFile));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return;  // one prefetcher per spool
  FetchScript fetch(dir, config);
  std::optional<RemoteListing> listing;
  uint64_t segno = segment_number(served, static_cast<uint32_t>(seg_size));
  for (uint64_t next = segno + 1;; ++next) {
    std::string name = segment_file_name(served.tli, next, static_cast<uint32_t>(seg_size));
    if (spool.has(name)) continue;
    if (!wait_for_room(spool, config.prefetch)) return;
    auto wal = parse_wal_name(name);
    std::string stored = stored_wal_name(*wal);
    std::optional<ArchivedFile> found;
    // A listing from before the segment was uploaded does not have it: list again once.
    for (int pass = 0; pass < 2 && !found; ++pass) {
      if (pass == 1 || !listing) listing.emplace(fetch.list());
      found = fetch_listed_wal(fetch, *listing, stored);
    }
    if (!found) return;
    decompress_into(config, *found, *wal, spool.fd(), name, path_join(spool.path(), name), false);
  }
}

}  // namespace

void start_prefetch(const BackupDir& dir, const Config& config, const WalName& served,
                    uint64_t seg_size, const std::string& dest_dir_path) {
  if (config.prefetch <= 0 || served.kind != WalKind::kSegment) return;
  try {
    UniqueFd dest_dir = open_dir(dest_dir_path);
    WalSpool spool(dest_dir.get(), dest_dir_path, true);
  } catch (const Error&) {
    return;  // no prefetch; restore-wal fetches each file itself
  }
  // Twice forked: the prefetcher is no child of ours, so the server's wait for restore_command
  // ends with us; our output (the server's log) is not its.
  pid_t pid = ::fork();
  if (pid < 0) return;
  if (pid > 0) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return;
  }
  ::setsid();
  if (::fork() != 0) ::_exit(0);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
  }
  try {
    prefetch(dir, config, served, seg_size, dest_dir_path);
  } catch (...) {
    // restore-wal fetches (and reports) by itself what was not prefetched.
  }
  ::_exit(0);
}

}  // namespace pgbak
