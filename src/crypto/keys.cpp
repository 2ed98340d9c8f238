#include "crypto/keys.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "crypto/algorithms.h"
#include "io/durable_writer.h"
#include "io/file.h"
#include "io/hex.h"
#include "io/sha256.h"

namespace pgbak {
namespace {

constexpr char kKeyIdLabel[] = "pgbak key id v1";
constexpr size_t kHexKeySize = 2 * kKeySize;
constexpr char kInsideBackupDir[] =
    "lies inside the backup directory, where scripts/backup would upload it along with the data "
    "it protects (HINT: keep keys elsewhere, e.g. in /etc/pgbak/, and a copy off this machine)";

KeyId compute_key_id(const unsigned char* key) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), kKeyIdLabel, sizeof kKeyIdLabel - 1) != 1 ||
      EVP_DigestUpdate(ctx.get(), key, kKeySize) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    throw_crypto("cannot compute a key id");
  }
  KeyId id;
  std::memcpy(id.data(), md, id.size());
  OPENSSL_cleanse(md, sizeof md);
  return id;
}

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Key bytes on the stack, wiped however the scope is left.
struct Wiped {
  unsigned char bytes[kHexKeySize + 2];
  ~Wiped() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw Error("cannot use encryption key file '" + path + "': " + why);
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string trim(const std::string& s) {
  auto start = s.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  return s.substr(start, s.find_last_not_of(" \t") - start + 1);
}

}  // namespace

SecretKey::SecretKey(const unsigned char (&bytes)[kKeySize]) : id_(compute_key_id(bytes)) {
  std::memcpy(bytes_, bytes, kKeySize);
}

SecretKey::SecretKey(SecretKey&& other) noexcept : id_(other.id_) {
  std::memcpy(bytes_, other.bytes_, kKeySize);
  OPENSSL_cleanse(other.bytes_, kKeySize);
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    std::memcpy(bytes_, other.bytes_, kKeySize);
    id_ = other.id_;
    OPENSSL_cleanse(other.bytes_, kKeySize);
  }
  return *this;
}

SecretKey::~SecretKey() {
  OPENSSL_cleanse(bytes_, kKeySize);
}

std::string key_id_hex(const KeyId& id) {
  return to_hex(id);
}

std::optional<std::string> key_file_problem(const struct stat& st, uid_t euid,
                                            const std::string& path) {
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  // Root reads any file anyway; it restores (and fixes owners) with the server user's key.
  if (st.st_uid != euid && euid != 0) {
    return "owned by uid " + std::to_string(st.st_uid) + ", not by uid " + std::to_string(euid) +
           " that pgbak runs as (HINT: chown it to the user that runs PostgreSQL and pgbak)";
  }
  if ((st.st_mode & 07777 & ~mode_t{0600}) != 0) {
    return "mode " + octal_mode(st.st_mode) +
           " is too open, must be 0600 or stricter (HINT: chmod 600 '" + path + "')";
  }
  return std::nullopt;
}

SecretKey load_key_file(const std::string& path) {
  // Whatever happens next, key bytes will be in this process's memory: keep them out of cores.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // O_NONBLOCK: a FIFO under the key's name must be refused, not hang the archiver.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) throw_sys("cannot open encryption key file", path);
  UniqueFd owner(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_sys("cannot stat encryption key file", path);
  if (auto why = key_file_problem(st, ::geteuid(), path)) refuse(path, *why);
  const char* length_rule = "must hold 32 bytes, raw or as 64 hex digits and an optional newline";
  if (st.st_size != kKeySize && st.st_size != kHexKeySize && st.st_size != kHexKeySize + 1) {
    refuse(path, "size " + std::to_string(st.st_size) + " bytes: " + length_rule);
  }
  Wiped text;
  size_t got = read_at(fd, text.bytes, sizeof text.bytes, 0, path);
  if (got != static_cast<size_t>(st.st_size)) refuse(path, "changed while being read");

  unsigned char key[kKeySize];
  struct WipeKey {
    unsigned char* k;
    ~WipeKey() { OPENSSL_cleanse(k, kKeySize); }
  } wipe{key};
  if (got == kKeySize) {
    std::memcpy(key, text.bytes, kKeySize);
  } else {
    if (got == kHexKeySize + 1 && text.bytes[kHexKeySize] != '\n') refuse(path, length_rule);
    for (size_t i = 0; i < kKeySize; ++i) {
      int hi = hex_value(text.bytes[2 * i]);
      int lo = hex_value(text.bytes[2 * i + 1]);
      if (hi < 0 || lo < 0)
        refuse(path, "64 characters but not all hex digits: " + std::string(length_rule));
      key[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
  }
  return SecretKey(key);
}

std::optional<SecretKey> load_current_key(const Config& config) {
  if (config.encryption_key_file.empty()) return std::nullopt;
  return load_key_file(config.encryption_key_file);
}

std::vector<std::string> old_key_files(const Config& config) {
  std::vector<std::string> paths;
  const std::string& list = config.encryption_old_key_files;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string path = trim(list.substr(start, comma - start));
    if (!path.empty()) paths.push_back(std::move(path));
    start = comma + 1;
  }
  return paths;
}

void Keyring::add(SecretKey key) {
  if (find(key.id()) == nullptr) keys_.push_back(std::move(key));
}

const SecretKey* Keyring::find(const KeyId& id) const {
  for (const SecretKey& k : keys_) {
    if (k.id() == id) return &k;
  }
  return nullptr;
}

std::string Keyring::ids_text() const {
  std::string text;
  for (const SecretKey& k : keys_) text += (text.empty() ? "" : ", ") + key_id_hex(k.id());
  return text;
}

Keyring load_keyring(const Config& config) {
  Keyring ring;
  if (auto current = load_current_key(config)) ring.add(std::move(*current));
  for (const std::string& path : old_key_files(config)) ring.add(load_key_file(path));
  return ring;
}

bool lies_inside(const std::string& path, const std::string& dir) {
  char dir_real[PATH_MAX];
  if (dir.empty() || ::realpath(dir.c_str(), dir_real) == nullptr) return false;
  // A file that does not exist yet (keygen) is placed by its parent directory.
  char real[PATH_MAX];
  std::string resolved;
  if (::realpath(path.c_str(), real) != nullptr) {
    resolved = real;
  } else {
    if (::realpath(dir_name(path).c_str(), real) == nullptr) return false;
    resolved = path_join(real, base_name(path));
  }
  std::string prefix = path_join(dir_real, "");
  return resolved.compare(0, prefix.size(), prefix) == 0;
}

void validate_key_settings(const Config& config, const std::string& backup_dir) {
  std::vector<std::pair<const char*, std::string>> files;
  if (!config.encryption_key_file.empty()) {
    files.emplace_back("encryption-key-file", config.encryption_key_file);
  }
  for (const std::string& p : old_key_files(config))
    files.emplace_back("encryption-old-key-files", p);
  for (const auto& [key, path] : files) {
    // PostgreSQL runs archive_command in PGDATA, cron elsewhere: a relative name would change
    // meaning with the caller.
    if (path[0] != '/') {
      throw UsageError("setting '" + std::string(key) + "': '" + path +
                       "' is not an absolute path");
    }
    if (lies_inside(path, backup_dir)) {
      throw UsageError("setting '" + std::string(key) + "': key file '" + path + "' " +
                       kInsideBackupDir);
    }
  }
}

KeyId write_new_key_file(const std::string& path, const std::string& backup_dir) {
  if (lies_inside(path, backup_dir)) {
    throw UsageError("cannot write key file '" + path + "': it " + kInsideBackupDir);
  }
  unsigned char key[kKeySize];
  struct WipeKey {
    unsigned char* k;
    ~WipeKey() { OPENSSL_cleanse(k, kKeySize); }
  } wipe{key};
  if (RAND_bytes(key, sizeof key) != 1) throw_crypto("cannot generate a key");
  SecretKey secret(key);

  Wiped text;
  hex_encode({key, kKeySize}, reinterpret_cast<char*>(text.bytes));
  text.bytes[kHexKeySize] = '\n';

  // Written whole or not at all (a key lost to a power failure after data was encrypted with it
  // loses that data; a partial one is no key), mode 0600, never over an existing file or link.
  UniqueFd dirfd = open_dir(dir_name(path));
  DurableWriter out(dirfd.get(), base_name(path), path);
  out.write({reinterpret_cast<const std::byte*>(text.bytes), kHexKeySize + 1});
  if (!out.commit()) throw Error("cannot create key file '" + path + "': it exists already");
  return secret.id();
}

}  // namespace pgbak
