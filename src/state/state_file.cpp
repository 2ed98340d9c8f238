#include "state/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"

namespace pgbak {
namespace {

struct flock byte_lock(short type, LockByte b) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<int>(b);
  fl.l_len = 1;
  return fl;
}

}  // namespace

StateFile::StateFile(int backup_dirfd, const std::string& backup_path, bool read_only_ok)
    : path_(path_join(backup_path, kStateFileName)) {
  // O_NONBLOCK: a FIFO planted under the name must be refused, not hang the open.
  constexpr int kFlags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  int fd = ::openat(backup_dirfd, kStateFileName, O_RDWR | O_CREAT | kFlags, 0600);
  if (fd < 0 && read_only_ok && (errno == EROFS || errno == EACCES)) {
    fd = ::openat(backup_dirfd, kStateFileName, O_RDONLY | kFlags);
  }
  if (fd < 0) throw_sys("cannot open state file", path_);
  fd_.reset(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_sys("cannot stat state file", path_);
  if (!S_ISREG(st.st_mode)) throw Error("state file '" + path_ + "': not a regular file");
}

StateFile::StateFile(UniqueFd fd, const std::string& backup_path)
    : fd_(std::move(fd)), path_(path_join(backup_path, kStateFileName)) {}

void StateFile::lock(LockByte b) {
  struct flock fl = byte_lock(F_WRLCK, b);
  while (::fcntl(fd_.get(), F_OFD_SETLKW, &fl) != 0) {
    if (errno != EINTR) throw_sys("cannot lock state file", path_);
  }
}

bool StateFile::try_lock(LockByte b) {
  struct flock fl = byte_lock(F_WRLCK, b);
  if (::fcntl(fd_.get(), F_OFD_SETLK, &fl) == 0) return true;
  if (errno == EAGAIN || errno == EACCES) return false;
  throw_sys("cannot lock state file", path_);
}

void StateFile::unlock(LockByte b) {
  struct flock fl = byte_lock(F_UNLCK, b);
  ::fcntl(fd_.get(), F_OFD_SETLK, &fl);
}

bool StateFile::is_locked_by_other(LockByte b) {
  struct flock fl = byte_lock(F_WRLCK, b);
  if (::fcntl(fd_.get(), F_OFD_GETLK, &fl) != 0) throw_sys("cannot query lock on", path_);
  return fl.l_type != F_UNLCK;
}

State StateFile::read(bool* repaired) {
  unsigned char byte = 0;
  ssize_t n = ::pread(fd_.get(), &byte, 1, 0);
  if (n < 0) throw_sys("cannot read state file", path_);
  bool bad = n == 0 || (byte & ~((kWorkMask << 4) | kWorkMask)) != 0;
  if (repaired != nullptr) *repaired = bad;
  return bad ? State{kArchive, 0} : State::decode(byte);
}

void StateFile::write(State s) {
  unsigned char byte = s.encode();
  if (::pwrite(fd_.get(), &byte, 1, 0) != 1) throw_sys("cannot write state file", path_);
  if (::fdatasync(fd_.get()) != 0) throw_sys("cannot fsync state file", path_);
  fault_point("after-state-update");
}

void add_pending(StateFile& f, uint8_t bits) {
  StateLock guard(f);
  bool repaired = false;
  State s = f.read(&repaired);
  if ((s.pending & bits) == bits && !repaired) return;
  s.pending |= bits;
  f.write(s);
}

}  // namespace pgbak
