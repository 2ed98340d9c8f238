#include "io/tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <filesystem>
#include <system_error>

#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"

namespace pgbak {

uint64_t tree_bytes(const std::string& path, bool allocated) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::end(it); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (allocated) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    } else if (S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  return total;
}

void remove_tree(int dirfd, const std::string& name, const std::string& display) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return;
    if (errno == ENOTDIR || errno == ELOOP) {
      if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT)
        throw_sys("cannot remove", display);
      return;
    }
    throw_sys("cannot open directory", display);
  }
  UniqueFd dir(fd);
  for (const std::string& child : list_dir(dir.get(), display)) {
    std::string child_display = path_join(display, child);
    fault_point("remove-tree", child_display);
    if (::unlinkat(dir.get(), child.c_str(), 0) == 0) continue;
    if (errno == EISDIR || errno == EPERM) {
      remove_tree(dir.get(), child, child_display);
    } else if (errno != ENOENT) {
      throw_sys("cannot remove", child_display);
    }
  }
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    throw_sys("cannot remove directory", display);
  }
}

}  // namespace pgbak
