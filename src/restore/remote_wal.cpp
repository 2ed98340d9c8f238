#include "restore/remote_wal.h"

#include <sys/mman.h>
#include <unistd.h>

#include <memory>

#include "io/error.h"
#include "io/file.h"
#include "io/sha256.h"
#include "repo/backup_dir.h"

namespace pgbak {
namespace {

// An anonymous memory file that hashes what is written to it; reset() starts over.
class MemoryFile : public Sink {
 public:
  explicit MemoryFile(const std::string& display) : display_(display) {
    int fd = ::memfd_create("pgbak-fetch", MFD_CLOEXEC);
    if (fd < 0) throw_sys("cannot create a memory file for", display);
    fd_.reset(fd);
    reset();
  }
  void write(std::span<const std::byte> data) override {
    sha_->write(data);
    write_all(fd_.get(), data.data(), data.size(), display_);
  }
  void reset() {
    if (::ftruncate(fd_.get(), 0) != 0 || ::lseek(fd_.get(), 0, SEEK_SET) != 0) {
      throw_sys("cannot reset the memory file for", display_);
    }
    sha_ = std::make_unique<Sha256>();
  }
  std::string hex_digest() { return sha_->hex_digest(); }
  UniqueFd release() { return std::move(fd_); }

 private:
  std::string display_;
  UniqueFd fd_;
  std::unique_ptr<Sha256> sha_;
};

}  // namespace

namespace {

std::optional<ArchivedFile> fetch_listed(const FetchScript& fetch, const RemoteListing& listing,
                                         RemoteCache& cache, const std::string& stored,
                                         const RemoteOrder& order) {
  std::string rel = std::string(kWalDir) + "/" + stored;
  std::vector<std::string> holders;
  const auto& gens = listing.generations();
  for (auto gen = gens.rbegin(); gen != gens.rend(); ++gen) {
    if (gen->stored(rel)) holders.push_back(gen->name);
  }
  if (holders.empty()) return std::nullopt;
  for (const std::string& chosen : order(listing, holders)) {
    const RemoteGeneration* gen = listing.find(chosen);
    auto name = gen ? gen->stored(rel) : std::nullopt;
    if (!name) continue;
    std::string display = "remote " + gen->path(*name);
    MemoryFile file(display);
    // Listed a moment ago but gone now (a remote prune): look further.
    if (!fetch.get_retrying(gen->path(*name), file, [&] { file.reset(); })) continue;
    std::string digest = file.hex_digest();
    auto listed = cache.listed_digest(fetch, *gen, *name, false);
    // Only the remote's current SHA256SUMS condemns a file, never a cached copy.
    if (listed && *listed != digest) listed = cache.listed_digest(fetch, *gen, *name, true);
    if (listed && *listed != digest) {
      throw CorruptError("archived file '" + display + "' is damaged: its SHA-256 " + digest +
                         " differs from " + kSumsFile + " (" + *listed + ")");
    }
    return ArchivedFile{gen->name, base_name(*name), file.release(), display};
  }
  return std::nullopt;
}

bool lists(const RemoteListing& listing, const std::string& stored) {
  for (const auto& gen : listing.generations()) {
    if (gen.stored(std::string(kWalDir) + "/" + stored)) return true;
  }
  return false;
}

}  // namespace

std::optional<ArchivedFile> fetch_remote_wal(const FetchScript& fetch, RemoteCache& cache,
                                             const std::string& stored, const RemoteOrder& order) {
  bool fetched = false;
  RemoteListing listing = cache.listing(fetch, false, &fetched);
  // A cached listing from before the file was uploaded: ask the remote again.
  if (!fetched && !lists(listing, stored)) listing = cache.listing(fetch, true);
  return fetch_listed(fetch, listing, cache, stored, order);
}

}  // namespace pgbak
