#include "restore/tar_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/error.h"
#include "io/file.h"

namespace pgbak {

std::optional<std::vector<std::string>> safe_components(const std::string& path) {
  if (path.empty() || path[0] == '/' || path.find('\0') != std::string::npos) return std::nullopt;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(start, slash - start);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = slash + 1;
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

TarExtractor::TarExtractor(int root_fd, std::string root_display, std::optional<Owner> owner)
    : root_(root_fd), root_display_(std::move(root_display)), owner_(owner) {}

UniqueFd TarExtractor::open_parent(const std::vector<std::string>& parts,
                                   const std::string& display) {
  UniqueFd dir(::fcntl(root_, F_DUPFD_CLOEXEC, 0));
  if (!dir.valid()) throw_sys("cannot duplicate directory descriptor", root_display_);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const char* name = parts[i].c_str();
    int fd = ::openat(dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      // pg_basebackup lists directories before their contents; this covers archives that do not.
      if (::mkdirat(dir.get(), name, 0700) != 0 && errno != EEXIST) {
        throw_sys("cannot create directory for", display);
      }
      set_owner(dir.get(), parts[i], display);
      fd = ::openat(dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        throw Error("refusing to extract '" + display +
                    "': a parent is not a directory (symlink?)");
      }
      throw_sys("cannot open directory for", display);
    }
    dir.reset(fd);
  }
  return dir;
}

void TarExtractor::set_owner(int dirfd, const std::string& name, const std::string& display) {
  if (!owner_) return;
  if (::fchownat(dirfd, name.c_str(), owner_->uid, owner_->gid, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_sys("cannot change the owner of", display);
  }
}

void TarExtractor::begin(const TarEntry& entry) {
  if (!source_owner_) source_owner_ = Owner{entry.uid, entry.gid};
  std::string display = path_join(root_display_, entry.path);
  auto parts = safe_components(entry.path);
  if (!parts) {
    // "./" is how some writers name the top directory itself.
    if (entry.type == TarType::kDirectory && safe_components(entry.path + "/x")) return;
    throw Error("refusing to extract '" + entry.path + "': absolute path or '..' component");
  }
  if (entry.type == TarType::kFile && parts->size() == 1 && skip_.count(parts->front())) return;
  UniqueFd parent = open_parent(*parts, display);
  const std::string& leaf = parts->back();
  switch (entry.type) {
    case TarType::kDirectory: {
      if (::mkdirat(parent.get(), leaf.c_str(), 0700) != 0) {
        struct stat st;
        if (errno != EEXIST ||
            ::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode)) {
          throw_sys("cannot create directory", display);
        }
      }
      // The umask may have narrowed it; the contract is 0700.
      if (::fchmodat(parent.get(), leaf.c_str(), 0700, 0) != 0) throw_sys("cannot chmod", display);
      set_owner(parent.get(), leaf, display);
      break;
    }
    case TarType::kSymlink:
      if (::symlinkat(entry.link_target.c_str(), parent.get(), leaf.c_str()) != 0) {
        throw_sys("cannot create symlink", display);
      }
      set_owner(parent.get(), leaf, display);
      break;
    case TarType::kFile: {
      mode_t mode = entry.mode & 0777;
      int fd = ::openat(parent.get(), leaf.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) throw_sys("cannot create", display);
      file_.reset(fd);
      file_display_ = display;
      if (::fchmod(fd, mode) != 0) throw_sys("cannot chmod", display);
      if (owner_ && ::fchown(fd, owner_->uid, owner_->gid) != 0) {
        throw_sys("cannot change the owner of", display);
      }
      ++files_;
      break;
    }
    case TarType::kHardlink:
      throw Error("refusing to extract '" + entry.path + "': hard links are not supported");
    case TarType::kOther:
      throw Error("refusing to extract '" + entry.path + "': unsupported entry type '" +
                  std::string(1, entry.typeflag) + "'");
  }
}

void TarExtractor::data(std::span<const std::byte> bytes) {
  if (!file_.valid()) return;  // data of a directory or link entry carries nothing to keep
  write_all(file_.get(), bytes.data(), bytes.size(), file_display_);
  bytes_ += bytes.size();
}

void TarExtractor::end() {
  if (file_.valid() && ::close(file_.release()) != 0) throw_sys("cannot close", file_display_);
}

}  // namespace pgbak
