// ZSTD_c_stableInBuffer is in zstd's experimental section (stable since 1.4.6 in practice).
#define ZSTD_STATIC_LINKING_ONLY
#include "io/zstd_stream.h"

#include "io/error.h"

namespace pgbak {

size_t zstd_check(size_t code, const std::string& what, const std::string& display) {
  if (ZSTD_isError(code)) throw Error(what + " '" + display + "': " + ZSTD_getErrorName(code));
  return code;
}

size_t zstd_check_input(size_t code, const std::string& display) {
  if (ZSTD_isError(code)) {
    throw CorruptError("corrupt compressed file '" + display + "': " + ZSTD_getErrorName(code));
  }
  return code;
}

ZstdCCtx new_cctx(int level, const std::string& display) {
  ZstdCCtx ctx(ZSTD_createCCtx());
  if (!ctx) throw Error("cannot compress '" + display + "': out of memory");
  const char* what = "cannot set up compression for";
  zstd_check(ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, level), what, display);
  zstd_check(ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1), what, display);
  return ctx;
}

ZstdCompressor::ZstdCompressor(Sink& out, int level, int workers, std::string display,
                               std::optional<uint64_t> pledged_size)
    : out_(out),
      display_(std::move(display)),
      ctx_(new_cctx(level, display_)),
      buf_(ZSTD_CStreamOutSize()) {
  const char* what = "cannot set up compression for";
  if (workers > 0) {
    zstd_check(ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_nbWorkers, workers), what, display_);
  }
  if (pledged_size)
    zstd_check(ZSTD_CCtx_setPledgedSrcSize(ctx_.get(), *pledged_size), what, display_);
}

void ZstdCompressor::drive(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
  for (;;) {
    ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
    size_t left =
        zstd_check(ZSTD_compressStream2(ctx_.get(), &out, &in, mode), "cannot compress", display_);
    if (out.pos > 0) out_.write({buf_.data(), out.pos});
    bool input_done = in.pos == in.size;
    if (mode == ZSTD_e_end ? left == 0 : input_done) return;
  }
}

void ZstdCompressor::write(std::span<const std::byte> data) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  drive(in, ZSTD_e_continue);
}

void ZstdCompressor::compress_all(std::span<const std::byte> data) {
  // The buffer stays put until the frame ends, so zstd may reference it instead of copying. A
  // libzstd that refuses the flag still compresses correctly (copying), so its error is ignored.
  (void)ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_stableInBuffer, 1);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  drive(in, ZSTD_e_end);
}

void ZstdCompressor::finish() {
  ZSTD_inBuffer in{nullptr, 0, 0};
  drive(in, ZSTD_e_end);
}

ZstdDecompressor::ZstdDecompressor(Sink& out, std::string display)
    : out_(out),
      display_(std::move(display)),
      ctx_(ZSTD_createDCtx()),
      buf_(ZSTD_DStreamOutSize()) {
  if (!ctx_) throw Error("cannot decompress '" + display_ + "': out of memory");
}

void ZstdDecompressor::write(std::span<const std::byte> data) {
  if (!data.empty()) saw_input_ = true;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  // Keep calling while input remains or the output buffer came back full (more may be flushed).
  for (;;) {
    ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
    size_t hint = zstd_check_input(ZSTD_decompressStream(ctx_.get(), &out, &in), display_);
    if (out.pos > 0) out_.write({buf_.data(), out.pos});
    last_hint_ = hint;
    if (hint == 0) {
      // A frame ended and is fully flushed; another may follow in the same input.
      if (in.pos == in.size) return;
      continue;
    }
    if (in.pos == in.size && out.pos < out.size) return;
  }
}

void ZstdDecompressor::finish() {
  if (!saw_input_) throw CorruptError("corrupt compressed file '" + display_ + "': empty");
  if (last_hint_ != 0) throw CorruptError("corrupt compressed file '" + display_ + "': truncated");
}

}  // namespace pgbak
