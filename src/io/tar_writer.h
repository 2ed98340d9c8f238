// Writes a small ustar archive (regular files and directories) into a sink: the format
// `tar -t` lists and TarReader reads back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/sink.h"

namespace pgbak {

class TarWriter {
 public:
  explicit TarWriter(Sink& out) : out_(out) {}
  // `path` is relative, at most 100 bytes (longer names throw Error).
  void add_directory(const std::string& path, uint32_t mode, int64_t mtime);
  void add_file(const std::string& path, uint32_t mode, int64_t mtime, std::string_view data);
  // The end-of-archive marker (two zero blocks).
  void finish();

 private:
  void header(const std::string& path, char type, uint32_t mode, uint64_t size, int64_t mtime);

  Sink& out_;
};

}  // namespace pgbak
