// Small file helpers over raw descriptors; every failure becomes an Error naming the path.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/sink.h"
#include "io/unique_fd.h"

namespace pgbak {

// open(2) with O_CLOEXEC; throws on failure.
UniqueFd open_or_throw(const std::string& path, int flags, mode_t mode = 0600);
// openat(2) with O_CLOEXEC; throws on failure (display names the path in the message).
UniqueFd openat_or_throw(int dirfd, const std::string& name, int flags, const std::string& display,
                         mode_t mode = 0600);
// openat(2) of a regular file inside the backup directory: never through a symlink (O_NOFOLLOW)
// and never blocking (O_NONBLOCK while opening, cleared afterwards), so that a FIFO or device
// planted under a name pgbak reads or appends to is an Error ("cannot open '<display>': not a
// regular file") instead of a hang. Flags may add O_WRONLY, O_APPEND, O_CREAT.
UniqueFd open_regular_at(int dirfd, const std::string& name, int flags, const std::string& display,
                         mode_t mode = 0600);
// Same, but an empty optional if the file does not exist.
std::optional<UniqueFd> try_open_regular_at(int dirfd, const std::string& name, int flags,
                                            const std::string& display);
// Opens a directory for use as a dirfd (follows symlinks only where the caller allows).
UniqueFd open_dir(const std::string& path, bool follow_symlink = true);
// openat of a directory, never through a symlink (a symlink is an Error saying so); an empty
// optional if it does not exist.
std::optional<UniqueFd> open_dir_at(int dirfd, const std::string& name, const std::string& display);

// Reads fd to its end into the sink, in bounded chunks.
void pump(int fd, Sink& out, const std::string& display);
// Reads up to `size` bytes at offset; returns how many were read (short only at end of file).
size_t read_at(int fd, void* buf, size_t size, off_t offset, const std::string& display);
// Writes all of data or throws.
void write_all(int fd, const void* data, size_t size, const std::string& display);

// The absolute path of the running pgbak binary (/proc/self/exe); throws if it cannot be run
// under that name (e.g. replaced by an upgrade while running: "PATH (deleted)").
std::string this_program();

// A whole small file as a string; empty optional if it does not exist.
std::optional<std::string> read_small_file(int dirfd, const std::string& name,
                                           const std::string& display);

// The rest of the open file `fd`, as a string (for small files).
std::string read_rest(int fd, const std::string& display);

// A whole configuration file named by an administrator (symbolic links followed: the name is
// theirs, not a planted one); empty optional if it or a directory on its path does not exist.
// Throws SystemError for any other failure, CorruptError if it is no regular file.
std::optional<std::string> read_config_text(const std::string& path);

// Sink writing to a descriptor it does not own.
class FdSink : public Sink {
 public:
  FdSink(int fd, std::string display) : fd_(fd), display_(std::move(display)) {}
  void write(std::span<const std::byte> data) override;

 private:
  int fd_;
  std::string display_;
};

// Size of the open file fd (fstat); throws Error naming `display`.
size_t file_size(int fd, const std::string& display);

// A read-only, pre-faulted mapping of `size` bytes of a file (the file must not shrink while
// mapped). ok() is false if the mapping failed; the caller then reads the file instead.
class MappedFile {
 public:
  // Maps `size` bytes of fd from `offset` (a multiple of the page size), pre-faulted; ok() is
  // false if that fails.
  MappedFile(int fd, size_t size, uint64_t offset = 0);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  bool ok() const { return addr_ != nullptr; }
  std::span<const std::byte> data() const { return {static_cast<const std::byte*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

// Names in a directory (no "." or ".."), unsorted.
std::vector<std::string> list_dir(int dirfd, const std::string& display);

std::string path_join(const std::string& a, const std::string& b);
std::string base_name(const std::string& path);
// The directory part of `path`: "." when it has none, "/" for a name at the root.
std::string dir_name(const std::string& path);

// Size of the read buffer used for streaming files.
constexpr size_t kIoChunk = 1 << 20;

}  // namespace pgbak
