#include "sync/snapshot_file.h"

#include <algorithm>
#include <vector>

#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/hex.h"
#include "io/progress.h"
#include "io/zstd_stream.h"
#include "repo/stored_names.h"

namespace pgbak {
namespace {

// Crash tests kill the sync at "mid-snapshot" once this much of pg_basebackup's stream went
// through: well inside even an empty cluster's, which the server compresses to under 3 MiB.
constexpr size_t kMidSnapshotBytes = 1 << 20;

// The server compressed the stream: it is stored as it comes (encrypted if so configured), once
// its first bytes show a zstd frame. Anything else (an option in basebackup-options that changed
// the format) is refused rather than stored under a name that promises zstd.
class ServerCompressed : public StorageSink {
 public:
  ServerCompressed(const Config& config, Sink& out, const std::string& display,
                   const std::string& identity)
      : sealed_(make_storage_writer(config, out, display, identity)) {}

  void write(std::span<const std::byte> data) override {
    if (head_.size() < kZstdFrameMagic.size()) {
      size_t n = std::min(kZstdFrameMagic.size() - head_.size(), data.size());
      for (std::byte b : data.first(n)) head_.push_back(static_cast<unsigned char>(b));
      if (!std::equal(head_.begin(), head_.end(), kZstdFrameMagic.begin())) {
        refuse("begins with " + to_hex(head_));
      }
    }
    sealed_->write(data);
  }
  void finish() override {
    if (head_.size() < kZstdFrameMagic.size()) {
      refuse("is " + std::to_string(head_.size()) + " bytes long");
    }
    sealed_->finish();
  }

 private:
  [[noreturn]] static void refuse(const std::string& what) {
    throw Error("pg_basebackup's output is not a zstd stream (it " + what +
                ") (HINT: basebackup-options must not change its compression or format; or set "
                "snapshot-compression = client)");
  }

  std::unique_ptr<StorageSink> sealed_;
  std::vector<unsigned char> head_;
};

// pgbak compresses the tar stream in-process (zstd with a content checksum), then encrypts it if
// so configured.
class ClientCompressed : public StorageSink {
 public:
  ClientCompressed(const Config& config, Sink& out, const std::string& display,
                   const std::string& identity)
      : stored_(config, out, config.snapshot_compress_level, config.snapshot_compress_workers,
                display, identity) {}
  void write(std::span<const std::byte> data) override { stored_.write(data); }
  void finish() override { stored_.finish(); }

 private:
  StoredWriter stored_;
};

}  // namespace

// Passes pg_basebackup's stream on, giving the "mid-snapshot" fault point its moment.
class SnapshotFile::Progress : public Sink {
 public:
  Progress(Sink& out, const std::string& label, bool echo) : out_(out), meter_(label, echo) {}
  void write(std::span<const std::byte> data) override {
    out_.write(data);
    seen_ += data.size();
    meter_.add(data.size());
    if (seen_ >= kMidSnapshotBytes) fault_point("mid-snapshot");
  }
  void finish() { meter_.finish(); }

 private:
  Sink& out_;
  ProgressMeter meter_;
  size_t seen_ = 0;
};

SnapshotFile::SnapshotFile(const Generation& gen, const Config& config,
                           const SnapshotCompression& how, const std::string& plain_name, bool echo)
    : stored_(plain_name + stored_suffix(config)),
      display_(path_join(gen.path, stored_)),
      out_(gen.dir.get(), stored_, display_),
      hashed_(out_) {
  std::string identity = stored_identity(gen.name, stored_);
  if (how.by_server) {
    encode_ = std::make_unique<ServerCompressed>(config, hashed_, display_, identity);
  } else {
    encode_ = std::make_unique<ClientCompressed>(config, hashed_, display_, identity);
  }
  progress_ = std::make_unique<Progress>(*encode_, "snapshot: " + plain_name, echo);
}

SnapshotFile::~SnapshotFile() = default;

Sink& SnapshotFile::input() {
  return *progress_;
}

std::string SnapshotFile::commit() {
  progress_->finish();
  encode_->finish();
  fault_point("snapshot-before-commit");
  if (!out_.commit()) throw Error("cannot store '" + display_ + "': it exists already");
  return hashed_.hex_digest();
}

}  // namespace pgbak
