// `pgbak restore-wal [--generation G] NAME DEST`: the restore_command. Decompresses an archived
// WAL file of the history being restored into DEST, never handing a partial, corrupt or foreign
// file to the server.
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
#include "repo/lineage.h"
#include "wal/page_header.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

struct Found {
  std::string generation;
  std::string stored;  // NAME.zst or NAME.zst.enc
  UniqueFd fd;
  std::string display;
};

std::optional<Found> open_in(const BackupDir& dir, const std::string& gen,
                             const std::string& stored) {
  // Encrypted or not: a generation may hold copies from before encryption was turned on.
  for (const std::string& candidate : {stored + kEncryptedSuffix, stored}) {
    std::string rel = gen + "/" + kWalDir + "/" + candidate;
    std::string display = path_join(dir.path(), rel);
    int fd = ::openat(dir.fd(), rel.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      throw_sys("cannot open", display);
    }
    return Found{gen, candidate, UniqueFd(fd), display};
  }
  return std::nullopt;
}

// With the generation being restored: the first copy in its lineage (the generation, then the
// newer ones that continue its history; see repo/lineage.h). Within one lineage a name never has
// two different contents (a different copy starts a new history).
std::optional<Found> find_in_lineage(const BackupDir& dir, const std::string& chosen,
                                     const std::string& stored) {
  for (const std::string& gen : lineage(dir, chosen)) {
    if (auto found = open_in(dir, gen, stored)) return found;
  }
  return std::nullopt;
}

// Without it (a restore_command written by hand or by an older pgbak): the newest copy, as long
// as every generation that has the name belongs to one lineage. Otherwise which history is being
// restored cannot be told, and guessing could replay the wrong one.
std::optional<Found> find_unambiguous(const BackupDir& dir, const std::string& name,
                                      const std::string& stored) {
  std::vector<Found> all;
  auto gens = dir.generations();
  for (auto it = gens.rbegin(); it != gens.rend(); ++it) {
    if (auto found = open_in(dir, *it, stored)) all.push_back(std::move(*found));
  }
  if (all.empty()) return std::nullopt;
  if (all.size() == 1) return std::move(all.front());
  std::string start = lineage_start(dir, all.front().generation);
  for (size_t i = 1; i < all.size(); ++i) {
    if (lineage_start(dir, all[i].generation) != start) {
      throw Error("cannot restore '" + name + "': generations " + all[i].generation + " and " +
                  all.front().generation +
                  " hold it from different histories (HINT: name the generation being restored "
                  "with restore-wal --generation G, as the restore_command of pgbak restore does)");
    }
  }
  return std::move(all.front());
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

void add_restore_wal_options(po::options_description& d) {
  d.add_options()("generation", po::value<std::string>(),
                  "the generation being restored: serve WAL of its lineage only");
}

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
  std::string chosen = inv.vm.count("generation") ? inv.vm["generation"].as<std::string>() : "";
  if (!chosen.empty() && !is_generation_name(chosen)) {
    throw UsageError("invalid generation '" + chosen + "'");
  }
  std::string stored = stored_wal_name(*wal);
  auto found =
      chosen.empty() ? find_unambiguous(dir, name, stored) : find_in_lineage(dir, chosen, stored);
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
