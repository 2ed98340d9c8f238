// Streaming zstd compression and decompression between Sinks. Frames always carry a content
// checksum; decompression verifies it and rejects truncated or trailing data.
#pragma once

#include <zstd.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/sink.h"

namespace pgbak {

struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

using ZstdCCtx = std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter>;

// Every zstd frame begins with these bytes (RFC 8878; ZSTD_MAGICNUMBER, little-endian).
inline constexpr std::array<unsigned char, 4> kZstdFrameMagic = {0x28, 0xB5, 0x2F, 0xFD};

// Throws Error("<what> '<display>': <zstd's reason>") if code is a zstd error; returns it
// otherwise.
size_t zstd_check(size_t code, const std::string& what, const std::string& display);
// The same for decompression, where a zstd error means damaged input: throws CorruptError.
size_t zstd_check_input(size_t code, const std::string& display);

// A compression context at `level` whose frames carry a content checksum.
ZstdCCtx new_cctx(int level, const std::string& display);

class ZstdCompressor : public Sink {
 public:
  // level: zstd level; workers: 0 compresses in this thread, N uses N helper threads.
  // pledged_size: the exact input size if known (stored in the frame, lets zstd size its window).
  ZstdCompressor(Sink& out, int level, int workers, std::string display,
                 std::optional<uint64_t> pledged_size = std::nullopt);
  void write(std::span<const std::byte> data) override;
  // Ends the frame; must be called once after the last write.
  void finish();
  // The whole input at once, frame ended (instead of write + finish; only on a fresh compressor).
  // With no workers, zstd compresses straight out of `data` (no copy into its window buffer, no
  // window wrap-around), which is faster and compresses slightly better than streaming chunks.
  void compress_all(std::span<const std::byte> data);

 private:
  void drive(ZSTD_inBuffer& in, ZSTD_EndDirective mode);

  Sink& out_;
  std::string display_;
  ZstdCCtx ctx_;
  std::vector<std::byte> buf_;
};

class ZstdDecompressor : public Sink {
 public:
  ZstdDecompressor(Sink& out, std::string display);
  void write(std::span<const std::byte> data) override;
  // Throws if the input ended inside a frame or held no frame at all.
  void finish();

 private:
  Sink& out_;
  std::string display_;
  std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> ctx_;
  std::vector<std::byte> buf_;
  size_t last_hint_ = 1;  // 0 once a frame ended exactly
  bool saw_input_ = false;
};

}  // namespace pgbak
