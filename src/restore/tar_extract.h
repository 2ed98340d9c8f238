// Extracts a tar stream into a directory without ever writing outside it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "io/tar_reader.h"
#include "io/unique_fd.h"

namespace pgbak {

// Splits an archive path into components that are safe to create under a directory: relative,
// no "..", no empty result; "." and empty components are dropped. nullopt if unsafe.
std::optional<std::vector<std::string>> safe_components(const std::string& path);

// A TarHandler that creates each entry below `root`. Every path component is opened with
// O_NOFOLLOW, and modes and owners are set through opened descriptors (never by a path that
// could be a symlink planted meanwhile), so neither a symlink in the archive nor one put in a
// directory's place during the extraction redirects anything outside root. Directories are
// created 0700, files with the mode from the archive (at most 0777) and never over an existing
// name, symlinks as stored (never followed). Hard links, device nodes, FIFOs and other types are
// refused before anything is created for them. With `owner`, every entry is chowned to it.
class TarExtractor : public TarHandler {
 public:
  struct Owner {
    uid_t uid;
    gid_t gid;
  };
  TarExtractor(int root_fd, std::string root_display, std::optional<Owner> owner);

  void begin(const TarEntry& entry) override;
  void data(std::span<const std::byte> bytes) override;
  void end() override;

  // Leaves out the regular file at the top named `name` (e.g. tablespace_map).
  void skip_file(std::string name) { skip_.insert(std::move(name)); }

  // uid/gid of the first entry, i.e. of the files of the cluster the archive came from.
  std::optional<Owner> source_owner() const { return source_owner_; }
  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }

 private:
  // The directory that will hold the last of `parts`, each component opened with O_NOFOLLOW
  // (made if missing).
  UniqueFd open_parent(const std::vector<std::string>& parts, const std::string& display);
  // mkdirat (an existing directory is fine), then mode 0700 and the owner through its descriptor.
  UniqueFd make_directory(int dirfd, const std::string& name, const std::string& display);
  // An entry's display path relative to the root (the subject of its fault points).
  std::string relative(const std::string& display) const;
  // Gives the opened file or directory to the owner, if there is one.
  void adopt(int fd, const std::string& display);

  int root_;
  std::string root_display_;
  std::optional<Owner> owner_;
  std::optional<Owner> source_owner_;
  std::set<std::string> skip_;
  UniqueFd file_;
  std::string file_display_;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace pgbak
