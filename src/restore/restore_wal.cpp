// `pgbak restore-wal NAME DEST`: the restore_command. Decompresses an archived WAL file from the
// newest generation that has it into DEST, never handing a partial or corrupt file to the server.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "archive/store_wal.h"
#include "cli/commands.h"
#include "crypto/storage.h"
#include "io/error.h"
#include "io/file.h"
#include "remote/fetch_script.h"
#include "repo/backup_dir.h"
#include "repo/leftovers.h"
#include "restore/prefetch.h"
#include "restore/remote_wal.h"
#include "restore/wal_decompress.h"
#include "restore/wal_spool.h"

namespace pgbak {
namespace {

using Found = ArchivedFile;

// The copy in `current` wins, then older generations newest first: a newer generation holds the
// file PostgreSQL archived last (after a server went back in time, the copies differ). A
// generation without the file (or without pg_wal/) is passed over.
std::optional<Found> find_archived(const BackupDir& dir, const std::string& stored) {
  std::vector<std::string> order;
  auto current = dir.current_name();
  if (current) order.push_back(*current);
  auto all = dir.generations();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (*it != current) order.push_back(*it);
  }
  for (const std::string& name : order) {
    // Encrypted or not: a generation may hold copies from before encryption was turned on.
    for (const std::string& candidate : {stored + kEncryptedSuffix, stored}) {
      std::string rel = name + "/" + kWalDir + "/" + candidate;
      std::string display = path_join(dir.path(), rel);
      int fd = ::openat(dir.fd(), rel.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        if (errno == ENOENT) continue;
        throw_sys("cannot open", display);
      }
      return Found{name, candidate, UniqueFd(fd), display};
    }
  }
  return std::nullopt;
}

}  // namespace

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
  std::string stored = stored_wal_name(*wal);
  auto found = find_archived(dir, stored);
  bool remote = !found && FetchScript::exists(dir);
  if (remote) {
    // From the remote copy: prefetched already, or fetched now.
    WalSpool spool(dest_dir.get(), dest_dir_path, false);
    if (wal->kind == WalKind::kSegment) spool.drop_before(*wal);
    if (wal->kind == WalKind::kSegment && spool.take(name, dest_dir.get(), dest_name)) {
      struct stat st;
      if (::fstatat(dest_dir.get(), dest_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        throw_sys("cannot examine", dest);
      }
      start_prefetch(dir, inv.config, *wal, static_cast<uint64_t>(st.st_size), dest_dir_path);
      if (inv.verbosity > 0) std::cout << "restored " << name << " (prefetched)\n";
      return 0;
    }
    found = fetch_remote_wal(dir, inv.config, stored);
    // Nothing to prefetch after a file the remote does not have (yet).
    if (!found) spool.remove(dest_dir.get());
  }
  if (!found) {
    // The server asks for files that may not exist (future timelines' history, the segment
    // after the last one): "not found" is an answer, not an error.
    if (inv.verbosity > 0) std::cerr << "pgbak: " << name << " is not archived\n";
    return 1;
  }
  // A restore-wal killed while replacing DEST left its temp name beside it.
  remove_dead_temps_of(dest_dir.get(), dest_name, dest_dir_path);
  uint64_t size = 0;
  try {
    size = decompress_into(inv.config, *found, *wal, dest_dir.get(), dest_name, dest);
  } catch (const Error&) {
    // Whatever was at DEST before must not be mistaken for this file.
    ::unlinkat(dest_dir.get(), dest_name.c_str(), 0);
    throw;
  }
  if (remote) start_prefetch(dir, inv.config, *wal, size, dest_dir_path);
  if (inv.verbosity > 0) {
    std::cout << "restored " << name << " from generation " << found->generation << "\n";
  }
  return 0;
}

}  // namespace pgbak
