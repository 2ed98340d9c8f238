#include "io/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <memory>

#include "io/error.h"

namespace pgbak {

UniqueFd open_or_throw(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_sys("cannot open", path);
  return UniqueFd(fd);
}

UniqueFd openat_or_throw(int dirfd, const std::string& name, int flags, const std::string& display,
                         mode_t mode) {
  int fd = ::openat(dirfd, name.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_sys("cannot open", display);
  return UniqueFd(fd);
}

namespace {

// openat for open_regular_at: -1 with errno set on failure.
int open_regular_fd(int dirfd, const std::string& name, int flags, const std::string& display,
                    mode_t mode) {
  int fd = ::openat(dirfd, name.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
  if (fd < 0) {
    // ENXIO: a FIFO without a reader opened for writing; ELOOP: the name is a symlink.
    if (errno == ENXIO) throw CorruptError("cannot open '" + display + "': not a regular file");
    if (errno == ELOOP)
      throw CorruptError("cannot open '" + display + "': a symbolic link (refused)");
    return -1;
  }
  UniqueFd owner(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_sys("cannot stat", display);
  if (!S_ISREG(st.st_mode)) throw CorruptError("cannot open '" + display + "': not a regular file");
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    throw_sys("cannot set flags of", display);
  }
  return owner.release();
}

}  // namespace

UniqueFd open_regular_at(int dirfd, const std::string& name, int flags, const std::string& display,
                         mode_t mode) {
  int fd = open_regular_fd(dirfd, name, flags, display, mode);
  if (fd < 0) throw_sys("cannot open", display);
  return UniqueFd(fd);
}

std::optional<UniqueFd> try_open_regular_at(int dirfd, const std::string& name, int flags,
                                            const std::string& display) {
  int fd = open_regular_fd(dirfd, name, flags, display, 0600);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_sys("cannot open", display);
  }
  return UniqueFd(fd);
}

UniqueFd open_dir(const std::string& path, bool follow_symlink) {
  int flags = O_RDONLY | O_DIRECTORY | (follow_symlink ? 0 : O_NOFOLLOW);
  return open_or_throw(path, flags);
}

std::optional<UniqueFd> open_dir_at(int dirfd, const std::string& name,
                                    const std::string& display) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    int err = errno;
    struct stat st;
    if ((err == ENOTDIR || err == ELOOP) &&
        ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      throw CorruptError("cannot open directory '" + display + "': a symbolic link (refused)");
    }
    throw_sys("cannot open directory", display, err);
  }
  return UniqueFd(fd);
}

void pump(int fd, Sink& out, const std::string& display) {
  std::unique_ptr<std::byte[]> buf(new std::byte[kIoChunk]);
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kIoChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot read", display);
    }
    if (n == 0) return;
    out.write({buf.get(), static_cast<size_t>(n)});
  }
}

size_t read_at(int fd, void* buf, size_t size, off_t offset, const std::string& display) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, size - done, offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot read", display);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void write_all(int fd, const void* data, size_t size, const std::string& display) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot write", display);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

size_t file_size(int fd, const std::string& display) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_sys("cannot stat", display);
  return static_cast<size_t>(st.st_size);
}

MappedFile::MappedFile(int fd, size_t size, uint64_t offset) : size_(size) {
  if (size == 0) return;
  void* p =
      ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, static_cast<off_t>(offset));
  if (p != MAP_FAILED) addr_ = p;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

void FdSink::write(std::span<const std::byte> data) {
  write_all(fd_, data.data(), data.size(), display_);
}

std::string this_program() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) throw_sys("cannot find this program's path", "/proc/self/exe");
  std::string path(buf, static_cast<size_t>(n));
  // A binary replaced while running (an upgrade) shows as "PATH (deleted)": a command naming it
  // would fail later.
  if (::access(path.c_str(), X_OK) != 0) throw_sys("cannot use this program's path", path);
  return path;
}

std::string read_rest(int fd, const std::string& display) {
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot read", display);
    }
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

std::optional<std::string> read_small_file(int dirfd, const std::string& name,
                                           const std::string& display) {
  auto owner = try_open_regular_at(dirfd, name, O_RDONLY, display);
  if (!owner) return std::nullopt;
  return read_rest(owner->get(), display);
}

std::optional<std::string> read_config_text(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_sys("cannot read", path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_sys("cannot stat", path);
  if (!S_ISREG(st.st_mode)) throw CorruptError("cannot read '" + path + "': not a regular file");
  return read_rest(fd.get(), path);
}

std::vector<std::string> list_dir(int dirfd, const std::string& display) {
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_sys("cannot open directory", display);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
  if (!dir) {
    int err = errno;
    ::close(fd);
    throw_sys("cannot read directory", display, err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(dir.get())) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
    errno = 0;
  }
  if (errno != 0) throw_sys("cannot read directory", display);
  return names;
}

std::string path_join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  return a.back() == '/' ? a + b : a + "/" + b;
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace pgbak
