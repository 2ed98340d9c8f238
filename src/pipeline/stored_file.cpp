#include "pipeline/stored_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "crypto/encrypted_stream.h"
#include "crypto/keys.h"
#include "io/error.h"
#include "io/file.h"
#include "io/zstd_parts.h"

namespace pgbak {
namespace {

class PassThrough : public StorageSink {
 public:
  explicit PassThrough(Sink& out) : out_(out) {}
  void write(std::span<const std::byte> data) override { out_.write(data); }
  void finish() override {}

 private:
  Sink& out_;
};

class Encrypting : public StorageSink {
 public:
  Encrypting(Sink& out, const SecretKey& key, const std::string& display,
             const std::string& identity)
      : sink_(out, key, display, identity) {}
  void write(std::span<const std::byte> data) override { sink_.write(data); }
  void finish() override { sink_.finish(); }

 private:
  EncryptingSink sink_;
};

class Decrypting : public StorageSink {
 public:
  Decrypting(Sink& out, Keyring keys, const std::string& display, const std::string& identity)
      : sink_(out, std::move(keys), display, identity) {}
  void write(std::span<const std::byte> data) override { sink_.write(data); }
  void finish() override { sink_.finish(); }

 private:
  DecryptingSink sink_;
};

}  // namespace

bool encryption_enabled(const Config& config) {
  return !config.encryption_key_file.empty();
}

std::string stored_suffix(const Config& config) {
  return encryption_enabled(config) ? kEncryptedSuffix : "";
}

bool is_encrypted_name(const std::string& stored_name) {
  std::string_view suffix = kEncryptedSuffix;
  return stored_name.size() > suffix.size() &&
         stored_name.compare(stored_name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::unique_ptr<StorageSink> make_storage_writer(const Config& config, Sink& inner,
                                                 const std::string& display,
                                                 const std::string& identity) {
  std::optional<SecretKey> key = load_current_key(config);
  if (!key) return std::make_unique<PassThrough>(inner);
  return std::make_unique<Encrypting>(inner, *key, display, identity);
}

std::unique_ptr<StorageSink> make_storage_reader(const Config& config, Sink& inner,
                                                 const std::string& stored_name,
                                                 const std::string& display,
                                                 const std::string& identity) {
  if (!is_encrypted_name(stored_name)) return std::make_unique<PassThrough>(inner);
  return std::make_unique<Decrypting>(inner, load_keyring(config), display, identity);
}

StoredWriter::StoredWriter(const Config& config, Sink& out, int level, int workers,
                           const std::string& display, const std::string& identity,
                           std::optional<uint64_t> pledged_size)
    : sealed_(make_storage_writer(config, out, display, identity)),
      zstd_(*sealed_, level, workers, display, pledged_size),
      level_(level),
      display_(display) {}

void StoredWriter::write(std::span<const std::byte> data) {
  zstd_.write(data);
}

void StoredWriter::finish() {
  zstd_.finish();
  sealed_->finish();
}

bool StoredWriter::compress_file(int fd, uint64_t size, int parts) {
  if (!compress_file_in_parts(fd, size, level_, parts, *sealed_, display_)) return false;
  sealed_->finish();
  return true;
}

void read_stored_file(const Config& config, int dirfd, const std::string& stored_name,
                      const std::string& display, const std::string& identity, Sink& out) {
  UniqueFd fd = open_regular_at(dirfd, stored_name, O_RDONLY, display);
  ZstdDecompressor dec(out, display);
  std::unique_ptr<StorageSink> opened =
      make_storage_reader(config, dec, stored_name, display, identity);
  pump(fd.get(), *opened, display);
  opened->finish();
  dec.finish();
}

}  // namespace pgbak
