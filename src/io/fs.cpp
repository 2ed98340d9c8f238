#include "io/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace pgbak {
namespace {

class PosixFs : public Fs {
 public:
  int open_tmpfile(int dirfd, mode_t mode) override {
    return ::openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  }
  int open_at(int dirfd, const char* name, int flags, mode_t mode) override {
    return ::openat(dirfd, name, flags | O_CLOEXEC, mode);
  }
  ssize_t write(int fd, const void* data, size_t size) override { return ::write(fd, data, size); }
  ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) override {
    return ::pwrite(fd, data, size, offset);
  }
  int allocate(int fd, off_t size) override { return ::fallocate(fd, 0, 0, size); }
  int fchmod(int fd, mode_t mode) override { return ::fchmod(fd, mode); }
  int fsync(int fd) override { return ::fsync(fd); }
  void start_writeback(int fd, off_t offset, off_t length) override {
    ::sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
  }
  int link_fd(int fd, int dirfd, const char* name) override {
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc path works for any user.
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    return ::linkat(AT_FDCWD, proc.c_str(), dirfd, name, AT_SYMLINK_FOLLOW);
  }
  int link_at(int dirfd, const char* from, const char* to) override {
    return ::linkat(dirfd, from, dirfd, to, 0);
  }
  int rename_at(int dirfd, const char* from, const char* to) override {
    return ::renameat(dirfd, from, dirfd, to);
  }
  int unlink_at(int dirfd, const char* name) override { return ::unlinkat(dirfd, name, 0); }
  int close(int fd) override { return ::close(fd); }
};

}  // namespace

Fs& posix_fs() {
  static PosixFs fs;
  return fs;
}

}  // namespace pgbak
