#include "io/zstd_parts.h"

#include <unistd.h>

#include <memory>
#include <vector>

#include "io/error.h"
#include "io/file.h"
#include "io/worker_thread.h"
#include "io/zstd_stream.h"

namespace pgbak {
namespace {

struct Frame {
  std::unique_ptr<std::byte[]> bytes;  // not value-initialised: untouched pages cost nothing
  size_t size = 0;
};

Frame compress_part(int fd, uint64_t offset, size_t length, int level, const std::string& display) {
  MappedFile map(fd, length, offset);
  if (!map.ok()) throw_sys("cannot map", display);
  ZstdCCtx ctx = new_cctx(level, display);
  Frame f;
  size_t capacity = ZSTD_compressBound(length);
  f.bytes.reset(new std::byte[capacity]);
  f.size = zstd_check(ZSTD_compress2(ctx.get(), f.bytes.get(), capacity, map.data().data(), length),
                      "cannot compress", display);
  return f;
}

}  // namespace

bool compress_file_in_parts(int fd, uint64_t size, int level, int parts, Sink& out,
                            const std::string& display) {
  uint64_t n = parts > 1 ? static_cast<uint64_t>(parts) : 1;
  // Parts start on page boundaries (mmap offsets); the last one takes the rest.
  uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t part_size = n == 1 ? size : size / n / page * page;
  if (part_size == 0) {  // too small to cut
    part_size = size;
    n = 1;
  }
  std::vector<std::unique_ptr<Beside<Frame>>> later;
  for (uint64_t k = 1; k < n; ++k) {
    uint64_t begin = k * part_size;
    size_t length = static_cast<size_t>((k + 1 == n ? size : begin + part_size) - begin);
    later.push_back(std::make_unique<Beside<Frame>>(
        [=, &display] { return compress_part(fd, begin, length, level, display); }));
  }
  // On return or throw from here, the threads are joined as `later` goes.
  {
    MappedFile first(fd, static_cast<size_t>(part_size));
    if (!first.ok()) return false;
    ZstdCompressor zstd(out, level, 0, display, part_size);
    zstd.compress_all(first.data());
  }  // unmapped while the other parts may still run
  for (auto& f : later) {
    Frame frame = f->get();
    out.write({frame.bytes.get(), frame.size});
  }
  return true;
}

}  // namespace pgbak
