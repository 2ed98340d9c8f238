#include "restore/tar_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <string_view>

#include "io/error.h"
#include "io/fault.h"
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

namespace {

// After openat(O_DIRECTORY | O_NOFOLLOW) of `dir` failed: a name that is not a directory (a
// symlink from the archive or planted beside it) is refused; other errors are reported as such.
[[noreturn]] void refuse_or_throw(const std::string& dir, const std::string& entry) {
  if (errno == ELOOP || errno == ENOTDIR) {
    throw Error("refusing to extract '" + entry + "': " + (dir == entry ? "it" : "'" + dir + "'") +
                " is not a directory (a symlink?)");
  }
  throw_sys("cannot open directory", dir);
}

// An archive's name or type flag for a one-line message: control and other unprintable bytes as
// \xNN, and no more than kMaxShown bytes of it.
constexpr size_t kMaxShown = 256;
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxShown)) {
    if (std::isprint(static_cast<unsigned char>(c)) && c != '\\') {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

}  // namespace

UniqueFd TarExtractor::open_parent(const std::vector<std::string>& parts,
                                   const std::string& display) {
  UniqueFd dir(::fcntl(root_, F_DUPFD_CLOEXEC, 0));
  if (!dir.valid()) throw_sys("cannot duplicate directory descriptor", root_display_);
  std::string dir_display = root_display_;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    dir_display = path_join(dir_display, printable(parts[i]));
    int fd = ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      dir.reset(fd);
    } else if (errno == ENOENT) {
      // pg_basebackup lists directories before their contents; this covers archives that do not.
      dir = make_directory(dir.get(), parts[i], dir_display);
    } else {
      refuse_or_throw(dir_display, display);
    }
  }
  return dir;
}

UniqueFd TarExtractor::make_directory(int dirfd, const std::string& name,
                                      const std::string& display) {
  if (::mkdirat(dirfd, name.c_str(), 0700) != 0 && errno != EEXIST) {
    throw_sys("cannot create directory", display);
  }
  fault_point("restore-dir-created", relative(display));
  // Mode and owner are set through the opened descriptor: a path-based chmod or chown would
  // follow a symlink put in the directory's place since it was created.
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) refuse_or_throw(display, display);
  UniqueFd dir(fd);
  // The umask may have narrowed it; the contract is 0700.
  if (::fchmod(dir.get(), 0700) != 0) throw_sys("cannot chmod", display);
  adopt(dir.get(), display);
  return dir;
}

std::string TarExtractor::relative(const std::string& display) const {
  return display.substr(path_join(root_display_, "").size());
}

void TarExtractor::adopt(int fd, const std::string& display) {
  if (owner_ && ::fchown(fd, owner_->uid, owner_->gid) != 0) {
    throw_sys("cannot change the owner of", display);
  }
}

void TarExtractor::begin(const TarEntry& entry) {
  if (!source_owner_) source_owner_ = Owner{entry.uid, entry.gid};
  auto parts = safe_components(entry.path);
  if (!parts) {
    // "./" is how some writers name the top directory itself.
    if (entry.type == TarType::kDirectory && safe_components(entry.path + "/x")) return;
    throw Error("refusing to extract '" + printable(entry.path) +
                "': absolute path or '..' component");
  }
  if (entry.type == TarType::kFile && parts->size() == 1 && skip_.count(parts->front())) return;
  // Refused before anything is created for them.
  if (entry.type == TarType::kHardlink) {
    throw Error("refusing to extract '" + printable(entry.path) +
                "': hard links are not supported");
  }
  if (entry.type == TarType::kOther) {
    throw Error("refusing to extract '" + printable(entry.path) + "': unsupported entry type '" +
                printable(std::string_view(&entry.typeflag, 1)) +
                "' (only files, directories and symlinks)");
  }
  // Only for messages (and fault points): names from the archive made printable.
  std::string display = root_display_;
  for (const std::string& part : *parts) display = path_join(display, printable(part));
  fault_point("restore-extract", relative(display));
  UniqueFd parent = open_parent(*parts, display);
  const std::string& leaf = parts->back();
  switch (entry.type) {
    case TarType::kDirectory:
      make_directory(parent.get(), leaf, display);
      break;
    case TarType::kSymlink:
      // Never followed by the extraction (every later component is opened O_NOFOLLOW); created
      // as stored, since pg_tblspc/ holds absolute links to tablespaces.
      if (::symlinkat(entry.link_target.c_str(), parent.get(), leaf.c_str()) != 0) {
        throw_sys("cannot create symlink", display);
      }
      // A symlink cannot be opened for fchown; AT_SYMLINK_NOFOLLOW changes the link itself.
      if (owner_ && ::fchownat(parent.get(), leaf.c_str(), owner_->uid, owner_->gid,
                               AT_SYMLINK_NOFOLLOW) != 0) {
        throw_sys("cannot change the owner of", display);
      }
      break;
    case TarType::kFile: {
      // O_EXCL: a name that exists (a symlink or file of an earlier entry) is never written
      // through.
      int fd = ::openat(parent.get(), leaf.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) throw_sys("cannot create", display);
      file_.reset(fd);
      file_display_ = display;
      if (::fchmod(fd, entry.mode & 0777) != 0) throw_sys("cannot chmod", display);
      adopt(fd, display);
      ++files_;
      break;
    }
    case TarType::kHardlink:
    case TarType::kOther:
      break;  // refused above
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
