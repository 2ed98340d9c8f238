// How stored files (WAL, base backups) are written and read: the one place that decides between
// plain and encrypted storage, so the archive, snapshot, restore and verify paths stay the same
// few lines either way.
//
// Writing (zstd first, then encryption when a key is configured):
//   DurableWriter out(dirfd, name + stored_suffix(config), display);
//   StoredWriter stored(config, out, level, workers, display, identity);
//   pump(fd, stored, display); stored.finish(); out.commit();
// Reading (by the stored file's name, whatever the configuration says now):
//   read_stored_file(config, dirfd, stored_name, display, identity, dest);
// (Names and identities in a backup directory are repo/stored_names.h's.)
// An encrypted file is bound to its identity: read under another name or generation than the one
// it was written for, it fails to authenticate.
// The lower-level make_storage_writer/make_storage_reader add or remove only the encryption.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "io/sink.h"
#include "io/zstd_stream.h"

namespace pgbak {

inline constexpr const char* kEncryptedSuffix = ".enc";

// A Sink that must be finished after the last write (it may hold back the end of the stream).
class StorageSink : public Sink {
 public:
  virtual void finish() = 0;
};

// True when new files are written encrypted (encryption-key-file is set).
bool encryption_enabled(const Config& config);

// What new stored files get appended to their name: ".enc" when encrypting, "" otherwise.
std::string stored_suffix(const Config& config);

// True if a stored file's name says it is encrypted (ends in ".enc").
bool is_encrypted_name(const std::string& stored_name);

// The sink new stored bytes go through before `inner`: an encryptor with the current key (loaded
// and checked now; a bad key file throws) bound to `identity`, or a pass-through when encryption
// is off. `display` names the file in errors.
std::unique_ptr<StorageSink> make_storage_writer(const Config& config, Sink& inner,
                                                 const std::string& display,
                                                 const std::string& identity);

// The sink a stored file's bytes go through to come out as what was written: a decryptor (with
// the current and old keys, for `identity`) if `stored_name` ends in ".enc", a pass-through
// otherwise. Decryption errors say "authentication failed" and name `display`.
std::unique_ptr<StorageSink> make_storage_reader(const Config& config, Sink& inner,
                                                 const std::string& stored_name,
                                                 const std::string& display,
                                                 const std::string& identity);

// What goes into a stored file: the bytes written to it, zstd-compressed (frame checksum on), then
// encrypted with the current key if one is configured (the key is loaded and checked on
// construction), bound to `identity`. `level`, `workers` and `pledged_size` are ZstdCompressor's.
class StoredWriter : public Sink {
 public:
  StoredWriter(const Config& config, Sink& out, int level, int workers, const std::string& display,
               const std::string& identity, std::optional<uint64_t> pledged_size = std::nullopt);
  void write(std::span<const std::byte> data) override;
  // Ends the compressed stream, then the encrypted one; call once after the last write.
  void finish();
  // The first `size` bytes of the file `fd` at once, then finish (instead of write + finish; only
  // on a fresh writer): zstd reads straight out of the page cache, in `parts` frames compressed in
  // parallel (compress_file_in_parts). False, nothing written, if the file cannot be mapped.
  bool compress_file(int fd, uint64_t size, int parts);

 private:
  std::unique_ptr<StorageSink> sealed_;
  ZstdCompressor zstd_;
  int level_;
  std::string display_;
};

// Streams the original bytes of the stored file `stored_name` in directory `dirfd` into `out`:
// decrypted if the name ends in ".enc", then decompressed. Throws Error on any failure ("cannot
// decrypt '<display>': authentication failed: ..." for encrypted files, MissingKeyError when
// their key is not configured, "corrupt compressed file '<display>': ..." for zstd). Plaintext of
// an encrypted chunk reaches `out` only after the chunk verified; the caller still writes under a
// temporary name and keeps the result only when this returns.
void read_stored_file(const Config& config, int dirfd, const std::string& stored_name,
                      const std::string& display, const std::string& identity, Sink& out);

}  // namespace pgbak
