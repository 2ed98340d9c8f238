#include "pipeline/stored_scan.h"

#include <fcntl.h>

#include <memory>

#include "io/error.h"
#include "io/file.h"
#include "io/sha256.h"
#include "io/zstd_stream.h"
#include "pipeline/stored_file.h"

namespace pgbak {
namespace {

constexpr size_t kMaxTextFile = 1 << 20;

// Passes bytes on until the first Error, which it records; later bytes are dropped.
class GuardedSink : public Sink {
 public:
  explicit GuardedSink(Sink& inner) : inner_(inner) {}
  void write(std::span<const std::byte> data) override {
    if (error_.empty()) run([&] { inner_.write(data); });
  }
  template <typename F>
  void run(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      if (error_.empty()) error_ = e.what();
    }
  }
  const std::string& error() const { return error_; }

 private:
  Sink& inner_;
  std::string error_;
};

}  // namespace

StoredFileScan scan_stored_file(const Config& config, int dirfd, const std::string& name,
                                const std::string& display, const std::string& identity,
                                Sink& content) {
  UniqueFd fd = open_regular_at(dirfd, name, O_RDONLY, display);
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  ZstdDecompressor zstd(content, display);
  // A key that cannot be loaded is this file's problem; its digest is still computed.
  std::unique_ptr<StorageSink> opened;
  std::string key_error;
  try {
    opened = make_storage_reader(config, zstd, name, display, identity);
  } catch (const Error& e) {
    key_error = e.what();
  }
  NullSink nowhere;
  GuardedSink guarded(opened ? static_cast<Sink&>(*opened) : nowhere);
  HashingSink hashing(guarded);
  pump(fd.get(), hashing, display);
  if (opened) {
    guarded.run([&] {
      opened->finish();
      zstd.finish();
    });
  }
  return StoredFileScan{hashing.hex_digest(), key_error.empty() ? guarded.error() : key_error,
                        hashing.bytes()};
}

void TextSink::write(std::span<const std::byte> data) {
  if (text.size() + data.size() > kMaxTextFile) throw Error("too large for a text file");
  text.append(reinterpret_cast<const char*>(data.data()), data.size());
}

}  // namespace pgbak
