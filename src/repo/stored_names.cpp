#include "repo/stored_names.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "io/error.h"
#include "repo/backup_dir.h"

namespace pgbak {
namespace {

bool exists_at(int dirfd, const std::string& name) {
  if (::faccessat(dirfd, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno != ENOENT) throw_sys("cannot check", name);
  return false;
}

}  // namespace

std::string stored_identity(const std::string& generation, const std::string& relative_name) {
  return generation + "/" + relative_name;
}

std::optional<std::string> find_stored(int dirfd, const std::string& plain_name) {
  for (const std::string& name : {plain_name + kEncryptedSuffix, plain_name}) {
    if (exists_at(dirfd, name)) return name;
  }
  return std::nullopt;
}

std::optional<std::string> stored_base(const Generation& g) {
  return find_stored(g.dir.get(), kBaseFile);
}

bool has_base(const BackupDir& dir, const std::string& name) {
  return find_stored(dir.fd(), name + "/" + kBaseFile).has_value();
}

std::optional<std::string_view> original_name(std::string_view stored_name,
                                              std::string_view compressed_suffix) {
  std::string_view name = stored_name;
  if (name.ends_with(kEncryptedSuffix))
    name.remove_suffix(std::string_view(kEncryptedSuffix).size());
  if (!name.ends_with(compressed_suffix) || name.size() == compressed_suffix.size()) {
    return std::nullopt;
  }
  name.remove_suffix(compressed_suffix.size());
  return name;
}

std::string stored_wal_name(const WalName& name) {
  return name.text + ".zst";
}

std::string wal_relative(const std::string& stored_name) {
  return std::string(kWalDir) + "/" + stored_name;
}

std::string wal_identity(const std::string& generation, const std::string& stored_name) {
  return stored_identity(generation, wal_relative(stored_name));
}

}  // namespace pgbak
