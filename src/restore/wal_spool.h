// The prefetch spool of restore-wal: a hidden directory beside DEST (in pg_wal/, so a file moves
// to DEST by a rename) holding WAL segments that were fetched from the remote, checked and
// decompressed ahead of the server's requests. Only complete, checked files ever carry a WAL
// name there; whoever writes one does it through a temp file and a rename. Besides them: `.lock`
// (held by the running prefetcher), `.source` (which backup directory and generation the files
// come from, and the boot they were written in), `.fetching.NAME` (NAME is being prefetched),
// `.staged.NAME` (NAME was moved on into pg_wal/ itself, see install()) and the remote cache's
// files.
#pragma once

#include <optional>
#include <string>

#include "io/unique_fd.h"
#include "wal/wal_name.h"

namespace pgbak {

inline constexpr const char* kSpoolDir = ".pgbak-prefetch";

class WalSpool {
 public:
  // The spool beside DEST (in the directory `dest_dir`), created if `create` (mode 0700, never
  // through a symlink); without it, and none exists, the spool is empty and inert.
  WalSpool(int dest_dir, const std::string& dest_dir_path, bool create);

  bool exists() const { return fd_.get() >= 0; }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // Renames the spooled `name` to `dest_name` in the directory `dest_dir`; false if not spooled.
  bool take(const std::string& name, int dest_dir, const std::string& dest_name) const;
  // While the running prefetcher is fetching `name`, waits for it.
  void wait_fetched(const std::string& name) const;

  // Whether the spool holds files of `source` (WalLookup::source_key) written since the machine
  // last booted (nothing in it is fsynced: after a power loss a file may be empty or a hole); one
  // without a `.source` holds none of anyone's.
  bool serves(const std::string& source) const;
  // Makes the spool hold files of `source` (removing any of another source's or boot's).
  void claim(const std::string& source) const;

  // Moves the spooled `name` on into the directory `dest_dir` (the server's pg_wal/) under its own
  // name, replacing what is there, and remembers which file that is; marks it archived
  // (archive_status/NAME.done, as the server marks a file restore_command delivered), so that it
  // is not archived again. For archive recovery only: the server, told by restore-wal that there
  // is nothing to restore (staged()), reads it from pg_wal/ without a restore_command's rename
  // and fsync of it.
  void install(const std::string& name, int dest_dir) const;
  // Whether `name` in `dest_dir` is still the very file install() put there (same inode, not
  // renamed or replaced since); forgets it then (the server reads it now).
  bool take_staged(const std::string& name, int dest_dir) const;

  // The prefetcher's lock, held (LOCK_EX) for as long as the returned descriptor (or a copy made
  // by fork) is open; an invalid descriptor when another process holds it.
  UniqueFd try_lock() const;
  // Whether a prefetcher holds the lock.
  bool locked() const;
  // `name` is being fetched: marked before the fetch starts, unmarked once it is spooled or failed.
  void mark_fetching(const std::string& name) const;
  void unmark_fetching(const std::string& name) const;
  // Whether `name` is spooled.
  bool has(const std::string& name) const;
  // Whether `name` is spooled or installed and not yet asked for.
  bool holds(const std::string& name) const;
  // How many segments are spooled or installed and not yet asked for.
  size_t count() const;
  // Removes the segments that the server will not ask for any more once it asked for
  // `requested`: those before it on its timeline, and those of other timelines (of installed
  // ones only the mark: the files in pg_wal/ are the server's).
  void drop_before(const WalName& requested) const;
  // Removes the spool (the server asked for a file there is none of: recovery is ending, or a
  // standby waits for more): its name goes at once, and a prefetcher stops at its next segment.
  // What a prefetcher still writes for a moment is waited for a second, else removed by the next
  // call.
  void remove(int dest_dir) const;
  // Whether the spool was removed since it was opened.
  bool removed() const;

 private:
  std::string path_;
  UniqueFd fd_;
  UniqueFd parent_;  // the directory holding it
};

}  // namespace pgbak
