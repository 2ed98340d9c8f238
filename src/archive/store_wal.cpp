#include "archive/store_wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "crypto/keys.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "io/zstd_stream.h"
#include "pipeline/stored_file.h"
#include "repo/stored_names.h"

namespace pgbak {
namespace {

// Compares decompressed bytes against the source file, chunk by chunk.
class CompareSink : public Sink {
 public:
  explicit CompareSink(WalSource& src) : src_(src), buf_(new std::byte[kIoChunk]) {}
  void write(std::span<const std::byte> data) override {
    while (!data.empty() && same_) {
      size_t n = std::min(data.size(), kIoChunk);
      size_t got = read_at(src_.fd.get(), buf_.get(), n, static_cast<off_t>(offset_), src_.path);
      if (got != n || std::memcmp(buf_.get(), data.data(), n) != 0) same_ = false;
      offset_ += n;
      data = data.subspan(n);
    }
  }
  bool same() const { return same_ && offset_ == src_.size; }

 private:
  WalSource& src_;
  std::unique_ptr<std::byte[]> buf_;
  uint64_t offset_ = 0;
  bool same_ = true;
};

// A part smaller than this loses too much to the cut (zstd's window at level 3 is 2 MiB).
constexpr uint64_t kMinPartSize = 4 << 20;

// How many frames (and threads) a file is compressed in: compress-threads for segments large
// enough, 1 otherwise (history and backup files are small text).
int compress_parts(const WalSource& src, const Config& config) {
  if (src.name.kind != WalKind::kSegment && src.name.kind != WalKind::kPartial) return 1;
  uint64_t most = src.size / kMinPartSize;
  return static_cast<int>(
      std::clamp<uint64_t>(most, 1, static_cast<uint64_t>(config.compress_threads)));
}

}  // namespace

bool stored_matches_source(const Generation& gen, const std::string& stored_name, WalSource& src,
                           const Config& config) {
  std::string display = path_join(path_join(gen.path, kWalDir), stored_name);
  UniqueFd fd = open_regular_at(gen.wal_dir.get(), stored_name, O_RDONLY, display);
  CompareSink compare(src);
  ZstdDecompressor dec(compare, display);
  std::unique_ptr<StorageSink> opened =
      make_storage_reader(config, dec, stored_name, display, wal_identity(gen.name, stored_name));
  // A stored copy that does not decompress or authenticate is another content; anything else
  // (an I/O error on either file, a missing key) is a failure to report, not a difference.
  try {
    pump(fd.get(), *opened, display);
    opened->finish();
    dec.finish();
  } catch (const CorruptError&) {
    return false;
  } catch (const AuthError&) {
    return false;
  }
  return compare.same();
}

StoreResult store_wal(const Generation& gen, WalSource& src, const Config& config) {
  // PostgreSQL re-archives after a crash: check first and skip the compression if already there.
  // A copy stored before encryption was turned on (or off) is the same file under the other name.
  std::string plain = stored_wal_name(src.name);
  if (auto existing = find_stored(gen.wal_dir.get(), plain)) {
    return stored_matches_source(gen, *existing, src, config) ? StoreResult::kIdentical
                                                              : StoreResult::kConflict;
  }
  std::string stored = plain + stored_suffix(config);
  std::string display = path_join(path_join(gen.path, kWalDir), stored);
  DurableWriter out(gen.wal_dir.get(), stored, display);
  StoredWriter stored_file(config, out, config.compress_level, 0, display,
                           wal_identity(gen.name, stored), src.size);
  // Segments: compress straight out of the page cache, in parts on several cores. Saves copying
  // 16 MiB twice (read into a buffer, then into zstd's window); see bench/README.md.
  bool done = src.size >= kIoChunk &&
              stored_file.compress_file(src.fd.get(), src.size, compress_parts(src, config));
  if (!done) {
    if (::lseek(src.fd.get(), 0, SEEK_SET) != 0) throw_sys("cannot seek", src.path);
    pump(src.fd.get(), stored_file, src.path);
    stored_file.finish();
  }
  if (out.commit()) return StoreResult::kStored;
  // A concurrent archive-wal of the same file got there first.
  return stored_matches_source(gen, stored, src, config) ? StoreResult::kIdentical
                                                         : StoreResult::kConflict;
}

}  // namespace pgbak
