// Reads one stored (zstd-compressed) file for verify: a single streaming pass that hashes the
// compressed bytes and decompresses into a content check.
#pragma once

#include <cstdint>
#include <string>

#include "io/sink.h"

namespace pgbak {

struct StoredFileScan {
  std::string digest;  // SHA-256 of the file as stored, lower-case hex
  std::string error;   // first decompression or content failure; empty if none
  uint64_t bytes = 0;  // size as stored
};

// Streams the file `name` in dirfd through SHA-256 and a zstd decompressor feeding `content`.
// A failure of the decompressor or of `content` (an Error) is recorded, not thrown, and the rest
// of the file is still hashed; failing to open or read the file throws.
StoredFileScan scan_stored_file(int dirfd, const std::string& name, const std::string& display,
                                Sink& content);

// Collects a small decompressed text file; throws Error past 1 MiB.
class TextSink : public Sink {
 public:
  void write(std::span<const std::byte> data) override;
  std::string text;
};

}  // namespace pgbak
