// A directory that `restore` fills under a hidden temp name beside its final path and renames
// there only when everything is in place: PGDATA, and each tablespace's location.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "io/unique_fd.h"
#include "restore/tar_extract.h"

namespace pgbak {

// Refuses a path that exists and is not an empty directory (a symlink is refused too). Returns
// whether it exists.
bool check_restore_target(const std::string& path);

class StagedDir {
 public:
  // `path` is absolute and normalised. Opens its parent (which must exist), removes temp
  // directories of earlier restores into the same path whose process is gone, and creates
  // ".LEAF.pgbak-restore.PID" (0700, this process's own until publish()).
  StagedDir(const std::string& path, std::optional<TarExtractor::Owner> owner);
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;
  // Removes the temp directory if not published, and what was published if never kept.
  ~StagedDir();

  int fd() const { return root_.get(); }
  const std::string& path() const { return path_; }
  // syncfs of the file system holding it.
  void sync() const;
  // Hands it to `owner` (when given), checks that the temp name is still this directory, and
  // renames it to its final path, which must still be absent or an empty directory.
  void publish();
  // Makes the publication final (fsyncs the parent): the destructor leaves it alone.
  void keep();

 private:
  std::string path_;
  std::string parent_;
  std::string leaf_;
  std::string temp_;
  std::optional<TarExtractor::Owner> owner_;
  UniqueFd parent_fd_;
  UniqueFd root_;
  bool published_ = false;
  bool kept_ = false;
};

}  // namespace pgbak
