// `pgbak restore-wal [--generation G] NAME DEST`: the restore_command. Decompresses an archived
// WAL file of the history being restored into DEST, never handing a partial, corrupt or foreign
// file to the server.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "cli/commands.h"
#include "io/error.h"
#include "io/file.h"
#include "repo/backup_dir.h"
#include "repo/leftovers.h"
#include "repo/stored_names.h"
#include "restore/prefetch.h"
#include "restore/wal_decompress.h"
#include "restore/wal_lookup.h"
#include "restore/wal_spool.h"

namespace po = boost::program_options;

namespace pgbak {

void add_restore_wal_options(po::options_description& d) {
  d.add_options()("generation", po::value<std::string>(),
                  "the generation being restored: serve WAL of its lineage only");
}

namespace {

// restore-wal's exit status when, in archive recovery, a file that is archived cannot be served:
// above 125, so that PostgreSQL stops recovery rather than end it there (man page, EXIT STATUS).
constexpr int kExitStopRecovery = 200;

// True when the server runs archive recovery that ends at the first file restore_command does not
// deliver: PostgreSQL runs restore_command in the data directory, which holds recovery.signal until
// recovery ends, and standby.signal on a standby (which retries instead of ending recovery).
bool in_ending_archive_recovery() {
  auto exists = [](const char* name) {
    struct stat st;
    return ::fstatat(AT_FDCWD, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  };
  return exists("recovery.signal") && !exists("standby.signal");
}

// Serves one file; throws when it is archived but cannot be served (corrupt, unreadable, the fetch
// failing); returns 1 when it is not archived.
int restore_wal_file(Invocation& inv) {
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
  std::string chosen = inv.vm.count("generation") ? inv.vm["generation"].as<std::string>() : "";
  if (!chosen.empty() && !is_generation_name(chosen)) {
    throw UsageError("invalid generation '" + chosen + "'");
  }
  WalLookup lookup(dir, inv.config, chosen);
  bool segment = wal->kind == WalKind::kSegment;

  // In archive recovery, prefetched segments move on into pg_wal/ itself (DEST is the server's
  // pg_wal/RECOVERYXLOG there): the server reads them without a restore_command's rename and fsync.
  bool install = segment && dest_name == "RECOVERYXLOG" && in_ending_archive_recovery();
  auto prefetch_after = [&](uint64_t size) {
    start_prefetch(lookup, inv.config, *wal, size, dest_dir.get(), dest_dir_path, install);
  };
  auto size_of = [&](const std::string& file, const std::string& display) {
    struct stat st;
    if (::fstatat(dest_dir.get(), file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_sys("cannot examine", display);
    }
    return static_cast<uint64_t>(st.st_size);
  };

  // Prefetched already (or being prefetched): there already, or a rename.
  WalSpool spool(dest_dir.get(), dest_dir_path, false);
  if (spool.exists() && !spool.serves(lookup.source_key())) {
    spool.remove(dest_dir.get());  // left by a restore of another generation or boot
  } else if (spool.exists()) {
    lookup.remote_cache().attach(spool.fd(), spool.path());
    if (segment) {
      spool.drop_before(*wal);
      spool.wait_fetched(name);
      if (spool.take_staged(name, dest_dir.get())) {
        // Exit status 1 ("nothing to restore"): the server then reads pg_wal/NAME, this very file.
        prefetch_after(size_of(name, path_join(dest_dir_path, name)));
        if (inv.verbosity > 0) std::cerr << "pgbak: " << name << " is in pg_wal (prefetched)\n";
        return 1;
      }
      if (spool.take(name, dest_dir.get(), dest_name)) {
        prefetch_after(size_of(dest_name, dest));
        if (inv.verbosity > 0) std::cout << "restored " << name << " (prefetched)\n";
        return 0;
      }
    }
  }

  std::optional<ArchivedFile> found = lookup.find(name, stored_wal_name(*wal));
  if (!found) {
    // Nothing to prefetch after a file that is not archived (yet): the end of recovery, or a
    // standby waiting for more.
    spool.remove(dest_dir.get());
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
  if (segment) prefetch_after(size);
  if (inv.verbosity > 0) {
    std::cout << "restored " << name << " from generation " << found->generation << "\n";
  }
  return 0;
}

}  // namespace

int run_restore_wal(Invocation& inv) {
  try {
    return restore_wal_file(inv);
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    // PostgreSQL takes every exit status up to 125 as "not archived": archive recovery would end
    // here and promote, short of the history the archive holds, with no error. A status above 125
    // makes it abort recovery instead; the server starts again once the cause is fixed.
    if (!in_ending_archive_recovery()) throw;
    std::cerr << "pgbak: " << e.what()
              << " (recovery is stopped rather than ended short of the archived history)\n";
    return kExitStopRecovery;
  }
}

}  // namespace pgbak
