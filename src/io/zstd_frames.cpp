#include "io/zstd_frames.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "io/error.h"
#include "io/file.h"
#include "io/worker_thread.h"
#include "io/zstd_stream.h"

namespace pgbak {
namespace {

bool starts_frame(std::span<const std::byte> data) {
  return data.size() >= kZstdFrameMagic.size() &&
         std::equal(kZstdFrameMagic.begin(), kZstdFrameMagic.end(), data.begin(),
                    [](unsigned char m, std::byte b) { return std::byte{m} == b; });
}

void decompress_frame(const ZstdFrame& frame, DurableWriter& out, const std::string& display,
                      std::span<std::byte> head) {
  std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> ctx(ZSTD_createDCtx());
  if (!ctx) throw Error("cannot decompress '" + display + "': out of memory");
  std::unique_ptr<std::byte[]> buf(new std::byte[kIoChunk]);
  ZSTD_inBuffer in{frame.compressed.data(), frame.compressed.size(), 0};
  uint64_t done = 0;
  for (;;) {
    ZSTD_outBuffer o{buf.get(), kIoChunk, 0};
    size_t left = zstd_check_input(ZSTD_decompressStream(ctx.get(), &o, &in), display);
    if (o.pos > frame.size - done) {
      throw CorruptError("corrupt compressed file '" + display +
                         "': a frame holds more than it declares");
    }
    if (done < head.size()) {
      std::memcpy(head.data() + done, buf.get(), std::min<uint64_t>(o.pos, head.size() - done));
    }
    out.write_at(frame.offset + done, {buf.get(), o.pos});
    done += o.pos;
    if (left == 0) break;  // the frame ended, its checksum verified
    if (in.pos == in.size && o.pos < o.size) {
      throw CorruptError("corrupt compressed file '" + display + "': truncated");
    }
  }
  if (done != frame.size) {
    throw CorruptError("corrupt compressed file '" + display +
                       "': a frame holds less than it declares");
  }
}

}  // namespace

std::optional<std::vector<ZstdFrame>> list_frames(std::span<const std::byte> file,
                                                  size_t max_frames) {
  std::vector<ZstdFrame> frames;
  uint64_t offset = 0;
  while (!file.empty()) {
    if (frames.size() == max_frames || !starts_frame(file)) return std::nullopt;
    size_t compressed = ZSTD_findFrameCompressedSize(file.data(), file.size());
    unsigned long long size = ZSTD_getFrameContentSize(file.data(), file.size());
    if (ZSTD_isError(compressed) || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size == ZSTD_CONTENTSIZE_ERROR) {
      return std::nullopt;
    }
    frames.push_back({file.first(compressed), offset, size});
    offset += size;
    file = file.subspan(compressed);
  }
  if (frames.empty()) return std::nullopt;
  return frames;
}

uint64_t decompress_frames(const std::vector<ZstdFrame>& frames, DurableWriter& out,
                           const std::string& display, std::span<std::byte> head) {
  const ZstdFrame& last = frames.back();
  uint64_t total = last.offset + last.size;
  out.allocate(total);
  head = head.first(std::min<uint64_t>(head.size(), frames.front().size));
  std::vector<std::unique_ptr<Beside<void>>> others;
  for (size_t k = 1; k < frames.size(); ++k) {
    others.push_back(std::make_unique<Beside<void>>(
        [&, k] { decompress_frame(frames[k], out, display, std::span<std::byte>()); }));
  }
  // On a throw from here, the remaining threads are joined as `others` goes.
  decompress_frame(frames.front(), out, display, head);
  for (auto& f : others) f->get();
  return total;
}

}  // namespace pgbak
