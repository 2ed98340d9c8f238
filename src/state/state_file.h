// pgbak.lock: the state byte and the three OFD byte locks that coordinate archive-wal, the one
// running sync, and wait.
#pragma once

#include <cstdint>
#include <string>

#include "io/unique_fd.h"

namespace pgbak {

inline constexpr const char* kStateFileName = "pgbak.lock";

// Work bits, used in both nibbles of the state byte.
constexpr uint8_t kArchive = 1;   // run the backup script
constexpr uint8_t kSnapshot = 2;  // take a full snapshot
constexpr uint8_t kWorkMask = kArchive | kSnapshot;

struct State {
  uint8_t pending = 0;  // low nibble
  uint8_t running = 0;  // high nibble

  uint8_t encode() const { return static_cast<uint8_t>((pending & 0xF) | (running << 4)); }
  static State decode(uint8_t byte) {
    return {static_cast<uint8_t>(byte & 0xF), static_cast<uint8_t>(byte >> 4)};
  }
  bool operator==(const State&) const = default;
};

// A lock byte in pgbak.lock. Byte numbers are part of the on-disk contract.
// kNudge (byte 3, a pgbak extension) is held by a foreground sync command while it waits for
// BACKUP: it cuts the running sync's backoff delay short.
enum class LockByte : int { kState = 0, kBackup = 1, kWait = 2, kNudge = 3 };

class StateFile {
 public:
  // Opens (creating if needed) pgbak.lock inside the backup directory. With `read_only_ok`
  // (commands that only look: status, wait), a state file that cannot be opened for writing
  // (read-only file system, no write permission) is opened read-only: read() and
  // is_locked_by_other() work, locking and writing do not.
  StateFile(int backup_dirfd, const std::string& backup_path, bool read_only_ok = false);
  // Adopts an inherited descriptor of pgbak.lock (the background sync gets its locks this way).
  StateFile(UniqueFd fd, const std::string& backup_path);

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // Takes a lock, waiting for it. Interrupted waits retry.
  void lock(LockByte b);
  // Takes a lock if free; false if another open file description holds it.
  bool try_lock(LockByte b);
  void unlock(LockByte b);
  // True if some other open file description holds the lock (does not take it).
  bool is_locked_by_other(LockByte b);

  // Reads the state byte (caller holds the STATE lock). A missing byte or one with unknown bits
  // is repaired to "backup script pending": running it once more is always safe. *repaired tells
  // whether the byte on disk needs rewriting.
  State read(bool* repaired = nullptr);
  // Writes the state byte durably (caller holds the STATE lock).
  void write(State s);

 private:
  UniqueFd fd_;
  std::string path_;
};

// Holds the STATE lock for a scope.
class StateLock {
 public:
  explicit StateLock(StateFile& f) : file_(f) { file_.lock(LockByte::kState); }
  ~StateLock() { file_.unlock(LockByte::kState); }
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  StateFile& file_;
};

// Adds bits to the pending nibble under the STATE lock.
void add_pending(StateFile& f, uint8_t bits);

}  // namespace pgbak
