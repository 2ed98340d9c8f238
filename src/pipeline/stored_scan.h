// Reads one stored (zstd-compressed, maybe encrypted) file for verify: a single streaming pass
// that hashes the stored bytes and decrypts and decompresses into a content check.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "io/sink.h"

namespace pgbak {

struct StoredFileScan {
  std::string digest;  // SHA-256 of the file as stored, lower-case hex
  std::string error;   // first decompression or content failure; empty if none
  uint64_t bytes = 0;  // size as stored
};

// Streams the file `name` in dirfd through SHA-256 and (after decryption for `identity` when the
// name ends in ".enc") a zstd decompressor feeding `content`. A failure to decrypt (a key that is
// missing or cannot be loaded, or "authentication failed"), of the decompressor or of `content` (an
// Error) is recorded, not thrown, and the rest of the file is still hashed; failing to open or read
// the file throws.
StoredFileScan scan_stored_file(const Config& config, int dirfd, const std::string& name,
                                const std::string& display, const std::string& identity,
                                Sink& content);

// Collects a small decompressed text file; throws Error past 1 MiB.
class TextSink : public Sink {
 public:
  void write(std::span<const std::byte> data) override;
  std::string text;
};

}  // namespace pgbak
