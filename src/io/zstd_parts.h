// Compression of one large buffer by several threads: the buffer is cut into equal parts and each
// part becomes its own zstd frame (content size and checksum included), so the parts compress in
// parallel without copying and the result is an ordinary multi-frame zstd file that any zstd
// decompresses. A part cannot reference data of the part before it, which costs a few matches at
// each cut (about 0.04% on WAL, see bench/README.md).
#pragma once

#include <span>
#include <string>

#include "io/sink.h"

namespace pgbak {

// Compresses `data` as `parts` frames written to `out` in order: the first part in this thread,
// straight into `out` as it comes, the others each in their own thread into memory, written after
// it. parts <= 1 writes a single frame. Throws Error (the first failure) after all threads ended.
void compress_in_parts(std::span<const std::byte> data, int level, int parts, Sink& out,
                       const std::string& display);

}  // namespace pgbak
