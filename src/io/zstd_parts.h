// Compression of a large file by several threads: the file is cut into equal parts and each part
// becomes its own zstd frame (content size and checksum included). Each thread maps, compresses
// and unmaps its own part straight out of the page cache, so nothing is copied and the parts
// compress in parallel; the result is an ordinary multi-frame zstd file that any zstd
// decompresses. A part cannot reference data of the part before it, which costs a few matches at
// each cut (about 0.04% on WAL, see bench/README.md).
#pragma once

#include <cstdint>
#include <string>

#include "io/sink.h"

namespace pgbak {

// Compresses the first `size` bytes of the file `fd` as `parts` frames written to `out` in order:
// the first part in this thread, straight into `out` as it comes, the others each in their own
// thread into memory, written after it. parts <= 1 writes a single frame. Returns false, having
// written nothing, if the file cannot be mapped (the caller then streams it). Throws Error (the
// first failure) after all threads ended.
bool compress_file_in_parts(int fd, uint64_t size, int level, int parts, Sink& out,
                            const std::string& display);

}  // namespace pgbak
