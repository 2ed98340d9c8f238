// Encryption keys: loading and checking key files, key ids, rotation (a ring of keys found by
// id), and writing fresh keys. Key bytes live only in SecretKey, which wipes them.
#pragma once

#include <sys/stat.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/error.h"

namespace pgbak {

inline constexpr size_t kKeySize = 32;  // AES-256
inline constexpr size_t kKeyIdSize = 8;

using KeyId = std::array<unsigned char, kKeyIdSize>;

// 32 key bytes, wiped with OPENSSL_cleanse when destroyed or moved from. Never printed.
class SecretKey {
 public:
  explicit SecretKey(const unsigned char (&bytes)[kKeySize]);
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  const unsigned char* data() const { return bytes_; }
  // SHA-256("pgbak key id v1" || key), first 8 bytes: names the key in file headers.
  const KeyId& id() const { return id_; }

 private:
  unsigned char bytes_[kKeySize];
  KeyId id_;
};

// Lower-case hex of a key id (16 characters).
std::string key_id_hex(const KeyId& id);

// A key that a file needs is not configured: unlike a corrupt file, this is a setup problem.
class MissingKeyError : public Error {
 public:
  using Error::Error;
};

// Reads a key file: exactly 32 raw bytes, or 64 hex digits optionally followed by one newline.
// The file must pass key_file_problem; anything else is refused with the reason and a hint.
// Marks the process non-dumpable so that a crash does not write key material into a core file.
SecretKey load_key_file(const std::string& path);

// Why a key file with this status may not be used by effective user `euid`, or nullopt: it must
// be a regular file, owned by `euid` (any owner when `euid` is root, which restores with the
// server user's key), with no permission bits beyond 0600.
std::optional<std::string> key_file_problem(const struct stat& st, uid_t euid,
                                            const std::string& path);

// The configured current key (`encryption-key-file`), or nullopt when encryption is off.
std::optional<SecretKey> load_current_key(const Config& config);

// The paths listed in `encryption-old-key-files` (comma-separated, blanks around names ignored).
std::vector<std::string> old_key_files(const Config& config);

// The keys a reader may need, found by the key id stored in each file's header.
class Keyring {
 public:
  // Adds a key; a key already present (same id) is dropped.
  void add(SecretKey key);
  const SecretKey* find(const KeyId& id) const;
  bool empty() const { return keys_.empty(); }
  // "id1, id2" for error messages (ids only, never key bytes).
  std::string ids_text() const;

 private:
  std::vector<SecretKey> keys_;
};

// The current key and every old key of the configuration.
Keyring load_keyring(const Config& config);

// Checks the key settings against the backup directory: key file names must be absolute, and a
// key file must not lie inside the backup directory (scripts/backup would upload it next to the
// data it protects). Throws UsageError naming the setting.
void validate_key_settings(const Config& config, const std::string& backup_dir);

// True if `path` (which need not exist yet) lies inside the directory `dir`, symbolic links
// resolved. False when `dir` is empty or does not exist.
bool lies_inside(const std::string& path, const std::string& dir);

// Creates PATH (which must not exist) with mode 0600 and a fresh key from OpenSSL's CSPRNG,
// written as 64 hex digits and a newline, fsynced with its directory. Returns its key id.
// Refuses (UsageError) a PATH inside `backup_dir`, if given.
KeyId write_new_key_file(const std::string& path, const std::string& backup_dir = "");

}  // namespace pgbak
