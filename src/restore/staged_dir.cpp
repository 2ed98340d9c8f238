#include "restore/staged_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "io/tree.h"

namespace pgbak {
namespace {

// Removes temp directories of earlier restores into the same path whose process is gone (killed
// before it could clean up).
void remove_stale_temps(int parent_fd, const std::string& parent, const std::string& prefix) {
  for (const std::string& name : list_dir(parent_fd, parent)) {
    if (!name.starts_with(prefix)) continue;
    std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno != ESRCH) continue;
    remove_tree(parent_fd, name, path_join(parent, name));
  }
}

}  // namespace

bool check_restore_target(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw_sys("cannot examine", path);
  }
  if (!S_ISDIR(st.st_mode)) throw Error("cannot restore into '" + path + "': not a directory");
  UniqueFd dir = open_dir(path, false);
  if (!list_dir(dir.get(), path).empty()) {
    throw Error("cannot restore into '" + path + "': directory is not empty");
  }
  return true;
}

StagedDir::StagedDir(const std::string& path, std::optional<TarExtractor::Owner> owner)
    : path_(path), owner_(owner) {
  leaf_ = base_name(path_);
  parent_ = path_.substr(0, path_.size() - leaf_.size());
  if (parent_.size() > 1) parent_.pop_back();
  parent_fd_ = open_dir(parent_);
  std::string prefix = "." + leaf_ + ".pgbak-restore.";
  remove_stale_temps(parent_fd_.get(), parent_, prefix);
  temp_ = prefix + std::to_string(::getpid());
  std::string display = path_join(parent_, temp_);
  if (::mkdirat(parent_fd_.get(), temp_.c_str(), 0700) != 0) {
    throw_sys("cannot create directory", display);
  }
  try {
    // Opened without following a symlink and checked to be this process's own directory (not
    // one swapped in by whoever can write to the parent): until publish() it stays 0700 and owned
    // by this user, so nobody else can put anything inside it while the extraction runs.
    root_ = openat_or_throw(parent_fd_.get(), temp_, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, display);
    struct stat st;
    if (::fstat(root_.get(), &st) != 0) throw_sys("cannot examine", display);
    if (st.st_uid != ::geteuid()) {
      throw Error("cannot restore: '" + display + "' was replaced by another user's directory");
    }
    if (::fchmod(root_.get(), 0700) != 0) throw_sys("cannot chmod", display);
  } catch (...) {
    remove_tree(parent_fd_.get(), temp_, display);
    throw;
  }
}

StagedDir::~StagedDir() {
  if (kept_) return;
  try {
    if (published_) {
      remove_tree(parent_fd_.get(), leaf_, path_);
    } else {
      remove_tree(parent_fd_.get(), temp_, path_join(parent_, temp_));
    }
  } catch (const Error&) {
  }
}

void StagedDir::sync() const {
  if (::syncfs(root_.get()) != 0) throw_sys("cannot sync the file system of", path_);
}

void StagedDir::publish() {
  std::string display = path_join(parent_, temp_);
  check_restore_target(path_);  // still empty: rename replaces it
  // Handed to the owner only now, whole: nobody else could enter it during the extraction.
  if (owner_ && ::fchown(root_.get(), owner_->uid, owner_->gid) != 0) {
    throw_sys("cannot change the owner of", display);
  }
  // The parent may belong to the database user, who could have swapped the temp directory.
  struct stat by_name, by_fd;
  if (::fstat(root_.get(), &by_fd) != 0) throw_sys("cannot examine", display);
  if (::fstatat(parent_fd_.get(), temp_.c_str(), &by_name, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_sys("cannot examine", display);
  }
  if (by_name.st_dev != by_fd.st_dev || by_name.st_ino != by_fd.st_ino) {
    throw Error("cannot restore: '" + display + "' was replaced during the restore");
  }
  if (::renameat(parent_fd_.get(), temp_.c_str(), parent_fd_.get(), leaf_.c_str()) != 0) {
    throw_sys("cannot rename '" + display + "' to", path_);
  }
  published_ = true;
}

void StagedDir::keep() {
  kept_ = true;
  fsync_dir(parent_fd_.get(), parent_);
}

}  // namespace pgbak
