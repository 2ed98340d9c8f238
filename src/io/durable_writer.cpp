#include "io/durable_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <random>
#include <span>

#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"

namespace pgbak {
namespace {

constexpr mode_t kFileMode = 0600;
// Writeback of what has been written is started every this many bytes, so that the final fsync
// finds little left to write (bench/README.md). Only a hint: durability still comes from fsync.
constexpr size_t kWritebackChunk = 1 << 20;

std::string unique_temp_name(const std::string& name) {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  return "." + name + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(random());
}

}  // namespace

DurableWriter::DurableWriter(int dirfd, std::string name, std::string display, Fs& fs)
    : fs_(fs), dirfd_(dirfd), name_(std::move(name)), display_(std::move(display)) {
  fd_ = fs_.open_tmpfile(dirfd_, kFileMode);
  if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    temp_name_ = unique_temp_name(name_);
    fd_ = fs_.open_at(dirfd_, temp_name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                      kFileMode);
  }
  if (fd_ < 0) throw_sys("cannot create a temporary file for", display_);
  // The mode given to open is reduced by the umask; the contract is 0600 regardless.
  if (fs_.fchmod(fd_, kFileMode) != 0) {
    int err = errno;
    discard();
    throw_sys("cannot set the mode of", display_, err);
  }
  fault_point("after-open", name_);
}

DurableWriter::~DurableWriter() {
  if (!done_) discard();
}

void DurableWriter::discard() {
  if (fd_ >= 0) fs_.close(fd_);
  fd_ = -1;
  if (!temp_name_.empty()) fs_.unlink_at(dirfd_, temp_name_.c_str());
  done_ = true;
}

void DurableWriter::write(std::span<const std::byte> data) {
  const std::byte* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = fs_.write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot write", display_);
    }
    p += n;
    left -= static_cast<size_t>(n);
    fault_point("mid-write", name_);
  }
  written_ += data.size();
  unflushed_ += data.size();
  if (unflushed_ >= kWritebackChunk) {
    // Errors surface in the fsync of commit().
    fs_.start_writeback(fd_, static_cast<off_t>(written_ - unflushed_),
                        static_cast<off_t>(unflushed_));
    unflushed_ = 0;
  }
}

void DurableWriter::allocate(uint64_t size) {
  if (size == 0 || fs_.allocate(fd_, static_cast<off_t>(size)) == 0) return;
  if (errno == EOPNOTSUPP || errno == ENOSYS) return;
  throw_sys("cannot allocate " + std::to_string(size) + " bytes for", display_);
}

void DurableWriter::write_at(uint64_t offset, std::span<const std::byte> data) {
  if (data.empty()) return;
  uint64_t start = offset;
  while (!data.empty()) {
    ssize_t n = fs_.pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot write", display_);
    }
    offset += static_cast<uint64_t>(n);
    data = data.subspan(static_cast<size_t>(n));
    fault_point("mid-write", name_);
  }
  fs_.start_writeback(fd_, static_cast<off_t>(start), static_cast<off_t>(offset - start));
}

void DurableWriter::sync_data() {
  fault_point("before-fsync", name_);
  if (fs_.fsync(fd_) != 0) throw_sys("cannot fsync", display_);
  fault_point("before-linkat", name_);
}

void DurableWriter::sync_dir() {
  fault_point("before-dir-fsync", name_);
  if (fs_.fsync(dirfd_) != 0) throw_sys("cannot fsync the directory of", display_);
}

bool DurableWriter::commit() {
  sync_data();
  int rc = temp_name_.empty() ? fs_.link_fd(fd_, dirfd_, name_.c_str())
                              : fs_.link_at(dirfd_, temp_name_.c_str(), name_.c_str());
  if (rc != 0) {
    int err = errno;
    discard();
    if (err == EEXIST) return false;
    throw_sys("cannot link", display_, err);
  }
  discard();  // closes the file and removes the temp name; the final name stays
  sync_dir();
  return true;
}

void DurableWriter::commit_replace(bool durable) {
  if (durable) {
    sync_data();
  } else {
    fault_point("before-linkat", name_);
  }
  if (temp_name_.empty()) {
    // Nothing there yet (the usual case: the server removes DEST before restore_command): link
    // straight to the name, so that no crash can leave a temp name behind.
    if (fs_.link_fd(fd_, dirfd_, name_.c_str()) == 0) {
      discard();
      if (durable) sync_dir();
      return;
    }
    if (errno != EEXIST) {
      int err = errno;
      discard();
      throw_sys("cannot link", display_, err);
    }
    // An unnamed file cannot be renamed over another: give it a temp name first.
    temp_name_ = unique_temp_name(name_);
    if (fs_.link_fd(fd_, dirfd_, temp_name_.c_str()) != 0) {
      int err = errno;
      temp_name_.clear();
      discard();
      throw_sys("cannot link", display_, err);
    }
  }
  fault_point("before-rename", name_);
  if (fs_.rename_at(dirfd_, temp_name_.c_str(), name_.c_str()) != 0) {
    int err = errno;
    discard();
    throw_sys("cannot rename into", display_, err);
  }
  temp_name_.clear();
  discard();
  if (durable) sync_dir();
}

void fsync_dir(int dirfd, const std::string& display) {
  if (::fsync(dirfd) != 0) throw_sys("cannot fsync the directory", display);
}

void replace_symlink(int dirfd, const std::string& name, const std::string& target,
                     const std::string& dir_display) {
  std::string temp = "." + name + ".tmp." + std::to_string(::getpid());
  ::unlinkat(dirfd, temp.c_str(), 0);
  if (::symlinkat(target.c_str(), dirfd, temp.c_str()) != 0) {
    throw_sys("cannot create symlink", path_join(dir_display, temp));
  }
  if (::renameat(dirfd, temp.c_str(), dirfd, name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dirfd, temp.c_str(), 0);
    throw_sys("cannot switch", path_join(dir_display, name), err);
  }
  fsync_dir(dirfd, dir_display);
}

void write_scratch_file(int dirfd, const std::string& name, const std::string& display,
                        std::string_view text) {
  DurableWriter out(dirfd, name, display);
  out.write(std::as_bytes(std::span(text.data(), text.size())));
  out.commit_replace(false);
}

}  // namespace pgbak
