#include "restore/wal_decompress.h"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "archive/store_wal.h"
#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "io/zstd_frames.h"
#include "io/zstd_stream.h"
#include "wal/page_header.h"

namespace pgbak {
namespace {

// Passes bytes on, keeping the first ones and counting them all.
class HeadAndCount : public Sink {
 public:
  HeadAndCount(Sink& out, std::span<std::byte> head) : out_(out), head_(head) {}
  void write(std::span<const std::byte> data) override {
    if (total_ < head_.size()) {
      size_t n = std::min<uint64_t>(data.size(), head_.size() - total_);
      std::memcpy(head_.data() + total_, data.data(), n);
    }
    total_ += data.size();
    out_.write(data);
  }
  uint64_t total() const { return total_; }

 private:
  Sink& out_;
  std::span<std::byte> head_;
  uint64_t total_ = 0;
};

// More frames than this and the file was not written by archive-wal: the streaming path reads it.
constexpr size_t kMaxParallelFrames = 16;

// Writes the original bytes of the archived file into `out`; returns their size and puts the
// first ones into `head`. A plain file of sized frames (as archive-wal writes segments) is
// decompressed one thread per frame; anything else (encrypted, or written otherwise) streams.
uint64_t restore_bytes(const Config& config, ArchivedFile& found, DurableWriter& out,
                       std::span<std::byte> head) {
  if (!is_encrypted_name(found.stored)) {
    MappedFile map(found.fd.get(), file_size(found.fd.get(), found.display));
    if (map.ok()) {
      if (auto frames = list_frames(map.data(), kMaxParallelFrames)) {
        return decompress_frames(*frames, out, found.display, head);
      }
    }
  }
  ::posix_fadvise(found.fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  HeadAndCount counted(out, head);
  ZstdDecompressor zstd(counted, found.display);
  // Decrypted first if encrypted; a chunk's plaintext moves on only after its tag verified.
  auto opened = make_storage_reader(config, zstd, found.stored, found.display,
                                    wal_identity(found.generation, found.stored));
  pump(found.fd.get(), *opened, found.display);
  opened->finish();
  zstd.finish();
  return counted.total();
}

}  // namespace

uint64_t decompress_into(const Config& config, ArchivedFile& found, const WalName& wal,
                         int dest_dir, const std::string& dest_name, const std::string& dest) {
  DurableWriter out(dest_dir, dest_name, dest);
  std::array<std::byte, kLongHeaderSize> head{};
  uint64_t total = restore_bytes(config, found, out, head);
  if (wal.kind == WalKind::kSegment || wal.kind == WalKind::kPartial) {
    // Frames are whole on their own: a file cut between two of them decompresses without error,
    // so the size is checked against the segment size in the header.
    std::span<const std::byte> first(head.data(), std::min<uint64_t>(total, head.size()));
    if (auto why = check_segment_start(first, wal, total)) {
      throw Error("corrupt archived file '" + found.display + "': " + *why);
    }
  }
  out.commit_replace(false);
  return total;
}

}  // namespace pgbak
