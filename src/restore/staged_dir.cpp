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
    : path_(path) {
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
    root_ = openat_or_throw(parent_fd_.get(), temp_, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, display);
    if (::fchmod(root_.get(), 0700) != 0) throw_sys("cannot chmod", display);
    if (owner && ::fchown(root_.get(), owner->uid, owner->gid) != 0) {
      throw_sys("cannot change the owner of", display);
    }
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
  check_restore_target(path_);  // still empty: rename replaces it
  if (::renameat(parent_fd_.get(), temp_.c_str(), parent_fd_.get(), leaf_.c_str()) != 0) {
    throw_sys("cannot rename '" + path_join(parent_, temp_) + "' to", path_);
  }
  published_ = true;
}

void StagedDir::keep() {
  kept_ = true;
  fsync_dir(parent_fd_.get(), parent_);
}

}  // namespace pgbak
