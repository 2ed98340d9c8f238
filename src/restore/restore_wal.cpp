// `pgbak restore-wal NAME DEST`: the restore_command. Decompresses an archived WAL file from the
// newest generation that has it into DEST, never handing a partial or corrupt file to the server.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "archive/store_wal.h"
#include "cli/commands.h"
#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "io/zstd_stream.h"
#include "repo/backup_dir.h"

namespace pgbak {
namespace {

struct Found {
  std::string generation;
  std::string stored;  // NAME.zst or NAME.zst.enc
  UniqueFd fd;
  std::string display;
};

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

void decompress_into(const Config& config, Found& found, int dest_dir, const std::string& dest_name,
                     const std::string& dest) {
  ::posix_fadvise(found.fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  DurableWriter out(dest_dir, dest_name, dest);
  ZstdDecompressor zstd(out, found.display);
  // Decrypted first if encrypted; a chunk's plaintext moves on only after its tag verified.
  auto opened = make_storage_reader(config, zstd, found.stored, found.display);
  pump(found.fd.get(), *opened, found.display);
  opened->finish();
  zstd.finish();
  out.commit_replace();
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
  auto found = find_archived(dir, stored_wal_name(*wal));
  if (!found) {
    // The server asks for files that may not exist (future timelines' history, the segment
    // after the last one): "not found" is an answer, not an error.
    if (inv.verbosity > 0) std::cerr << "pgbak: " << name << " is not archived\n";
    return 1;
  }
  try {
    decompress_into(inv.config, *found, dest_dir.get(), dest_name, dest);
  } catch (const Error&) {
    // Whatever was at DEST before must not be mistaken for this file.
    ::unlinkat(dest_dir.get(), dest_name.c_str(), 0);
    throw;
  }
  if (inv.verbosity > 0) {
    std::cout << "restored " << name << " from generation " << found->generation << "\n";
  }
  return 0;
}

}  // namespace pgbak
