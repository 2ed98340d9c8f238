// Writes a file so that its final name never holds partial data: an unnamed O_TMPFILE (or a
// uniquely named temp file where unsupported), fsync, link to the final name, fsync the directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/fs.h"
#include "io/sink.h"

namespace pgbak {

class DurableWriter : public Sink {
 public:
  // Starts a new file that will be called `name` inside the directory `dirfd` (which must stay
  // open until commit). `display` is the path used in error messages.
  DurableWriter(int dirfd, std::string name, std::string display, Fs& fs = posix_fs());
  DurableWriter(const DurableWriter&) = delete;
  DurableWriter& operator=(const DurableWriter&) = delete;
  // Without commit, nothing appears under the final name and the temp file is removed.
  ~DurableWriter() override;

  void write(std::span<const std::byte> data) override;
  // Reserves the final size up front (fallocate): no space is an error now, not mid-write; file
  // systems that cannot reserve are fine. Optional; before any write.
  void allocate(uint64_t size);
  // Writes at an offset instead of appending; safe to call from several threads for disjoint
  // ranges (nothing else may run concurrently). Do not mix with write().
  void write_at(uint64_t offset, std::span<const std::byte> data);

  // Makes the file durable under its name. Returns false, changing nothing, if the name exists.
  bool commit();
  // Same, but atomically replaces an existing file of that name. Without `durable`, neither the
  // file nor the directory is fsynced (a scratch file a crash may lose): still never partial.
  void commit_replace(bool durable = true);

 private:
  void sync_data();
  void sync_dir();
  void discard();

  Fs& fs_;
  int dirfd_;
  std::string name_;
  std::string display_;
  int fd_ = -1;
  std::string temp_name_;  // empty when the file is an unnamed O_TMPFILE
  bool done_ = false;
  uint64_t written_ = 0;  // by write()
  size_t unflushed_ = 0;  // bytes written by write() since writeback was last started
};

// fsyncs a directory given by its descriptor.
void fsync_dir(int dirfd, const std::string& display);

// Writes `text` as the file `name` in `dirfd` (`display` in errors), replacing any: whole or not
// at all under that name, but not fsynced (a scratch file, such as a cache, a crash may lose).
void write_scratch_file(int dirfd, const std::string& name, const std::string& display,
                        std::string_view text);

// Points the symbolic link `name` in `dirfd` (the directory `dir_display`) at `target`,
// atomically (a temp link renamed over it) and durably (the directory fsynced): a reader sees
// the old target or the new one, never no link.
void replace_symlink(int dirfd, const std::string& name, const std::string& target,
                     const std::string& dir_display);

}  // namespace pgbak
