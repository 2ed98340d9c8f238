// Decompression of a zstd file made of frames that declare their content size (archive-wal writes
// a segment as such frames, see zstd_parts.h): every frame in its own thread, straight to its place
// in the output file, with writeback started as each piece is written. Any other file goes
// through ZstdDecompressor.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/durable_writer.h"

namespace pgbak {

struct ZstdFrame {
  std::span<const std::byte> compressed;
  uint64_t offset = 0;  // of its content in the whole output
  uint64_t size = 0;    // of its content
};

// The frames of `file` if it is a sequence of at most `max_frames` whole zstd frames that all
// declare their content size; nullopt otherwise (the streaming path then says what is wrong).
std::optional<std::vector<ZstdFrame>> list_frames(std::span<const std::byte> file,
                                                  size_t max_frames);

// Writes the content of `frames` into `out` (allocated to the total size first), one thread per
// frame. Every frame's checksum and size are verified; a bad frame throws Error("corrupt
// compressed file '<display>': ...") after all threads ended. `head` receives the first bytes of
// the content (up to its size). Returns the total size.
uint64_t decompress_frames(const std::vector<ZstdFrame>& frames, DurableWriter& out,
                           const std::string& display, std::span<std::byte> head);

}  // namespace pgbak
