// The prefetch spool of restore-wal: a hidden directory beside DEST (in pg_wal/, so a file moves
// to DEST by a rename) holding WAL segments that were fetched from the remote, checked and
// decompressed ahead of the server's requests. Only complete, checked files ever carry a WAL
// name there; whoever writes one does it through a temp file and a rename.
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
  // Whether `name` is spooled.
  bool has(const std::string& name) const;
  // How many segments are spooled.
  size_t count() const;
  // Removes the segments that the server will not ask for any more once it asked for
  // `requested`: those before it on its timeline, and those of other timelines.
  void drop_before(const WalName& requested) const;
  // Removes the spool (the server asked for a file there is none of: recovery is ending, or a
  // standby waits for more). A prefetcher writing into it then fails and stops.
  // Best effort: what a prefetcher adds meanwhile is removed by the next call.
  void remove(int dest_dir) const;
  // Whether the spool was removed since it was opened.
  bool removed() const;

 private:
  std::string path_;
  UniqueFd fd_;
};

}  // namespace pgbak
