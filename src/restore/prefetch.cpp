#include "restore/prefetch.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "io/error.h"
#include "io/file.h"
#include "repo/stored_names.h"
#include "restore/wal_decompress.h"
#include "restore/wal_spool.h"

namespace pgbak {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(5);
constexpr auto kIdleLimit = std::chrono::seconds(60);

// The segments after the served one, handed out to the workers in order; at most `prefetch` of them
// spooled or being written at any time.
class Prefetcher {
 public:
  Prefetcher(WalLookup& lookup, const Config& config, const WalName& served, uint64_t seg_size,
             const WalSpool& spool, int install_dir)
      : lookup_(lookup),
        config_(config),
        tli_(served.tli),
        seg_size_(static_cast<uint32_t>(seg_size)),
        next_(segment_number(served, seg_size_) + 1),
        spool_(spool),
        install_dir_(install_dir) {}

  void run() {
    // Local files are decompressed one at a time (each on two threads); remote fetches wait on
    // the network, so as many run at once as the spool may hold.
    int workers = lookup_.has_remote() ? config_.prefetch : 1;
    std::vector<std::thread> threads;
    for (int i = 0; i < workers; ++i) threads.emplace_back([this] { work(); });
    for (auto& t : threads) t.join();
  }

 private:
  // The next segment to prefetch, once there is room for it; nullopt when the prefetch ends.
  std::optional<std::string> claim() {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + kIdleLimit;
    for (;;) {
      if (stop_ || spool_.removed()) return std::nullopt;
      std::string name = segment_file_name(tli_, next_, seg_size_);
      if (spool_.holds(name)) {
        ++next_;
        continue;
      }
      if (spool_.count() + in_flight_ < static_cast<size_t>(config_.prefetch)) {
        spool_.mark_fetching(name);
        ++next_;
        ++in_flight_;
        return name;
      }
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      lock.unlock();
      std::this_thread::sleep_for(kPoll);
      lock.lock();
    }
  }

  void done(const std::string& name, bool more) {
    std::lock_guard lock(mutex_);
    spool_.unmark_fetching(name);
    --in_flight_;
    if (!more) stop_ = true;
  }

  // Any error ends the prefetch: restore-wal serves (and reports) by itself what is not spooled.
  void work() {
    try {
      while (auto name = claim()) {
        bool more = false;
        try {
          auto wal = parse_wal_name(*name);
          if (auto found = lookup_.find(*name, stored_wal_name(*wal))) {
            decompress_into(config_, *found, *wal, spool_.fd(), *name,
                            path_join(spool_.path(), *name));
            if (install_dir_ >= 0) spool_.install(*name, install_dir_);
            more = true;
          }
        } catch (...) {
        }
        done(*name, more);
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
  }

  WalLookup& lookup_;
  const Config& config_;
  uint32_t tli_;
  uint32_t seg_size_;
  uint64_t next_;
  const WalSpool& spool_;
  int install_dir_;  // the server's pg_wal/ to install into, or -1
  std::mutex mutex_;
  size_t in_flight_ = 0;
  bool stop_ = false;
};

}  // namespace

void start_prefetch(WalLookup& lookup, const Config& config, const WalName& served,
                    uint64_t seg_size, int dest_dir, const std::string& dest_dir_path,
                    bool install) {
  if (config.prefetch <= 0 || served.kind != WalKind::kSegment) return;
  std::optional<WalSpool> spool;
  UniqueFd lock;
  try {
    spool.emplace(dest_dir, dest_dir_path, true);
    spool->claim(lookup.source_key());
    lock = spool->try_lock();
    if (!lock.valid()) return;  // one prefetcher per spool: it runs already
    lookup.remote_cache().attach(spool->fd(), spool->path());
  } catch (const Error&) {
    return;  // no prefetch; restore-wal serves each file itself
  }
  // Twice forked: the prefetcher is no child of ours, so the server's wait for restore_command
  // ends with us; our output (the server's log) is not its. It inherits the lock (one open file
  // description), which stays held while it runs.
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
  // Who holds the lock, for whoever looks.
  std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock.get(), 0) == 0) {
    ssize_t ignored = ::pwrite(lock.get(), me.data(), me.size(), 0);
    (void)ignored;
  }
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
  }
  try {
    Prefetcher(lookup, config, served, seg_size, *spool, install ? dest_dir : -1).run();
  } catch (...) {
    // restore-wal fetches (and reports) by itself what was not prefetched.
  }
  ::_exit(0);
}

}  // namespace pgbak
