// `pgbak init`: creates the backup directory layout; safe to run again (creates only what is
// missing, never replaces scripts/backup).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <string_view>

#include "cli/commands.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "repo/backup_dir.h"
#include "state/state_file.h"

namespace pgbak {
namespace {

constexpr std::string_view kExampleScript = R"(#!/bin/sh
# pgbak backup script: upload the current generation somewhere safe.
#
# pgbak runs this after new WAL files (or a new base backup) were stored:
#   scripts/backup BASE_TS CURRENT_TS
# with the generation directory ($PGBAK/BASE_TS) as the working directory and PGBAK in the
# environment. BASE_TS names the generation (the unix time of its snapshot); CURRENT_TS is the
# time of this run. The generation holds base.tzst, pg_wal/*.zst and SHA256SUMS; files never
# change once written, so uploading only files the remote does not have yet is enough.
#
# Exit 0 only when everything is safely uploaded: a non-zero exit makes pgbak retry with
# exponential backoff. See scripts/backup-rsync in the pgbak sources for a complete example.
#
# Example (rsync over ssh):
#   exec rsync -a --ignore-existing ./ backup@example.org:pgbak/"$1"/
#
# This example uploads nothing.
exit 0
)";

void make_dir(int parent, const char* name, const std::string& display) {
  if (::mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
    throw_sys("cannot create directory", display);
  }
}

}  // namespace

int run_init(Invocation& inv) {
  const std::string& path = inv.require_dir();
  if (::mkdir(path.c_str(), 0700) == 0) {
    ::chmod(path.c_str(), 0700);
  } else if (errno != EEXIST) {
    throw_sys("cannot create backup directory", path);
  }
  BackupDir dir(path);
  make_dir(dir.fd(), kScriptsDir, path_join(path, kScriptsDir));
  StateFile state(dir.fd(), path);  // creates pgbak.lock

  UniqueFd scripts = openat_or_throw(dir.fd(), kScriptsDir, O_RDONLY | O_DIRECTORY,
                                     path_join(path, kScriptsDir));
  std::string script_path = path_join(path, kBackupScript);
  struct stat st;
  if (::fstatat(scripts.get(), "backup", &st, AT_SYMLINK_NOFOLLOW) != 0) {
    DurableWriter w(scripts.get(), "backup", script_path);
    w.write(std::as_bytes(std::span(kExampleScript)));
    if (w.commit()) {
      if (::fchmodat(scripts.get(), "backup", 0700, 0) != 0) throw_sys("cannot chmod", script_path);
    }
    if (inv.verbosity >= 0) std::cout << "created " << script_path << " (edit it to upload)\n";
  }
  fsync_dir(dir.fd(), path);
  if (inv.verbosity >= 0) std::cout << "initialized backup directory " << path << "\n";
  return 0;
}

}  // namespace pgbak
