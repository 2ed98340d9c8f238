// The few file-system calls a durable write makes, behind an interface so tests can record
// them and model a power loss. Every call follows the syscall convention: -1 and errno on failure.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace pgbak {

class Fs {
 public:
  virtual ~Fs() = default;
  // An unnamed file in the directory (O_TMPFILE), opened for writing.
  virtual int open_tmpfile(int dirfd, mode_t mode) = 0;
  virtual int open_at(int dirfd, const char* name, int flags, mode_t mode) = 0;
  virtual ssize_t write(int fd, const void* data, size_t size) = 0;
  virtual ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) = 0;
  // Reserves `size` bytes for fd (fallocate): a full disk fails here rather than mid-write.
  // EOPNOTSUPP where the file system cannot (a hint; default: does nothing).
  virtual int allocate(int fd, off_t size) {
    (void)fd, (void)size;
    return 0;
  }
  virtual int fchmod(int fd, mode_t mode) = 0;
  virtual int fsync(int fd) = 0;
  // Starts writeback of fd's dirty pages in [offset, offset + length) without waiting (a hint,
  // no durability; default: none).
  virtual void start_writeback(int fd, off_t offset, off_t length) {
    (void)fd, (void)offset, (void)length;
  }
  // Gives the unnamed file fd the name; fails with EEXIST instead of replacing.
  virtual int link_fd(int fd, int dirfd, const char* name) = 0;
  virtual int link_at(int dirfd, const char* from, const char* to) = 0;
  virtual int rename_at(int dirfd, const char* from, const char* to) = 0;
  virtual int unlink_at(int dirfd, const char* name) = 0;
  virtual int close(int fd) = 0;
};

// The real thing.
Fs& posix_fs();

}  // namespace pgbak
