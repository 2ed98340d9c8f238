#include "io/zstd_parts.h"

#include <future>
#include <memory>
#include <vector>

#include "io/zstd_stream.h"

namespace pgbak {
namespace {

struct Frame {
  std::unique_ptr<std::byte[]> bytes;  // not value-initialised: untouched pages cost nothing
  size_t size = 0;
};

Frame compress_frame(std::span<const std::byte> part, int level, const std::string& display) {
  ZstdCCtx ctx = new_cctx(level, display);
  Frame f;
  size_t capacity = ZSTD_compressBound(part.size());
  f.bytes.reset(new std::byte[capacity]);
  f.size = zstd_check(ZSTD_compress2(ctx.get(), f.bytes.get(), capacity, part.data(), part.size()),
                      "cannot compress", display);
  return f;
}

}  // namespace

void compress_in_parts(std::span<const std::byte> data, int level, int parts, Sink& out,
                       const std::string& display) {
  size_t n = parts > 1 ? static_cast<size_t>(parts) : 1;
  size_t part_size = data.size() / n;
  std::vector<std::future<Frame>> later;
  for (size_t k = 1; k < n; ++k) {
    size_t begin = k * part_size;
    size_t end = k + 1 == n ? data.size() : begin + part_size;
    later.push_back(std::async(std::launch::async, compress_frame, data.subspan(begin, end - begin),
                               level, std::cref(display)));
  }
  // If this throws, the futures' destructors wait for their threads before `data` goes away.
  ZstdCompressor first(out, level, 0, display, part_size);
  first.compress_all(data.first(part_size));
  for (auto& f : later) {
    Frame frame = f.get();
    out.write({frame.bytes.get(), frame.size});
  }
}

}  // namespace pgbak
