// `pgbak restore-wal NAME DEST`: the restore_command. Decompresses an archived WAL file from the
// newest generation that has it into DEST, never handing a partial or corrupt file to the server.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "archive/store_wal.h"
#include "cli/commands.h"
#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "io/zstd_frames.h"
#include "io/zstd_stream.h"
#include "repo/backup_dir.h"
#include "wal/page_header.h"

namespace pgbak {
namespace {

struct Found {
  std::string generation;
  std::string stored;  // NAME.zst or NAME.zst.enc
  UniqueFd fd;
  std::string display;
};

// The copy in `current` wins, then older generations newest first: a newer generation holds the
// file PostgreSQL archived last (after a server went back in time, the copies differ). A
// generation without the file (or without pg_wal/) is passed over.
std::optional<Found> find_archived(const BackupDir& dir, const std::string& stored) {
  std::vector<std::string> order;
  auto current = dir.current_name();
  if (current) order.push_back(*current);
  auto all = dir.generations();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (*it != current) order.push_back(*it);
  }
  for (const std::string& name : order) {
    // Through the generation's own descriptors: a generation that is a symlink is refused.
    auto gen = dir.try_open_generation(name);
    if (!gen) continue;
    // Encrypted or not: a generation may hold copies from before encryption was turned on.
    for (const std::string& candidate : {stored + kEncryptedSuffix, stored}) {
      std::string display = path_join(path_join(gen->path, kWalDir), candidate);
      if (auto fd = try_open_regular_at(gen->wal_dir.get(), candidate, O_RDONLY, display)) {
        return Found{name, candidate, std::move(*fd), display};
      }
    }
  }
  return std::nullopt;
}

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
uint64_t restore_bytes(const Config& config, Found& found, DurableWriter& out,
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
  auto opened = make_storage_reader(config, zstd, found.stored, found.display);
  pump(found.fd.get(), *opened, found.display);
  opened->finish();
  zstd.finish();
  return counted.total();
}

void decompress_into(const Config& config, Found& found, const WalName& wal, int dest_dir,
                     const std::string& dest_name, const std::string& dest) {
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
  out.commit_replace();
}

}  // namespace

int run_restore_wal(Invocation& inv) {
  const std::string& name = inv.args[0];
  const std::string& dest = inv.args[1];
  auto wal = parse_wal_name(name);
  if (!wal) {
    throw Error("invalid WAL file name '" + name.substr(0, 64) +
                "': expected a segment, TLI.history, SEGMENT.OFFSET.backup or SEGMENT.partial");
  }
  std::string dest_name = base_name(dest);
  if (dest_name.empty() || dest_name == "." || dest_name == "..") {
    throw Error("invalid destination '" + dest + "': not a file name");
  }
  std::string dest_dir_path = dest.size() > dest_name.size()
                                  ? dest.substr(0, dest.size() - dest_name.size())
                                  : std::string(".");
  UniqueFd dest_dir = open_dir(dest_dir_path);

  BackupDir dir(inv.require_dir());
  auto found = find_archived(dir, stored_wal_name(*wal));
  if (!found) {
    // The server asks for files that may not exist (future timelines' history, the segment
    // after the last one): "not found" is an answer, not an error.
    if (inv.verbosity > 0) std::cerr << "pgbak: " << name << " is not archived\n";
    return 1;
  }
  try {
    decompress_into(inv.config, *found, *wal, dest_dir.get(), dest_name, dest);
  } catch (const Error&) {
    // Whatever was at DEST before must not be mistaken for this file.
    ::unlinkat(dest_dir.get(), dest_name.c_str(), 0);
    throw;
  }
  if (inv.verbosity > 0) {
    std::cout << "restored " << name << " from generation " << found->generation << "\n";
  }
  return 0;
}

}  // namespace pgbak
