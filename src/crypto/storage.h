// How stored files (WAL, base backups) are written and read: the one place that decides between
// plain and encrypted storage, so the archive, snapshot, restore and verify paths stay the same
// few lines either way.
//
// Writing (zstd first, then encryption):
//   DurableWriter out(dirfd, name + stored_suffix(config), display);
//   auto sealed = make_storage_writer(config, out, display);
//   ZstdCompressor zstd(*sealed, ...);  ... zstd.finish(); sealed->finish(); out.commit();
// Reading (by the stored file's name, whatever the configuration says now):
//   ZstdDecompressor dec(dest, display);
//   auto opened = make_storage_reader(config, dec, stored_name, display);
//   pump(fd, *opened, display); opened->finish(); dec.finish();
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "io/sink.h"

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
// and checked now; a bad key file throws), or a pass-through when encryption is off. `display`
// names the file in errors.
std::unique_ptr<StorageSink> make_storage_writer(const Config& config, Sink& inner,
                                                 const std::string& display);

// The sink a stored file's bytes go through to come out as what was written: a decryptor (with
// the current and old keys) if `stored_name` ends in ".enc", a pass-through otherwise. Decryption
// errors say "authentication failed" and name `display`.
std::unique_ptr<StorageSink> make_storage_reader(const Config& config, Sink& inner,
                                                 const std::string& stored_name,
                                                 const std::string& display);

// Finds a stored file in a directory under `plain_name` (e.g. "NAME.zst") or `plain_name` +
// ".enc": the name with the configured suffix first. Returns the name found, or nullopt.
std::optional<std::string> find_stored(int dirfd, const std::string& plain_name,
                                       const Config& config);

}  // namespace pgbak
