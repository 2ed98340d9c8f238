// `pgbak init`: creates the backup directory layout; safe to run again (creates only what is
// missing, never replaces scripts/backup).
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string_view>

#include "cli/commands.h"
#include "config/config_template.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "ops/init.h"
#include "repo/backup_dir.h"
#include "repo/sync_status.h"
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

std::string user_name(uid_t uid) {
  struct passwd* pw = ::getpwuid(uid);
  return pw != nullptr ? std::string(pw->pw_name) : std::to_string(uid);
}

// What root runs to give the server's user (this user, or postgres when root runs init) a
// backup directory.
std::string install_hint(const std::string& path) {
  std::string user = ::geteuid() == 0 ? "postgres" : user_name(::geteuid());
  return "(HINT: as root: install -d -o " + user + " -m 700 " + path +
         (::geteuid() == 0 ? "; then: sudo -u postgres pgbak -D " + path + " init" : "") + ")";
}

// Creates the backup directory, or checks that this user can write the one that exists.
void prepare_directory(const std::string& path) {
  if (::geteuid() == 0 && ::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    // Root would make a directory the server's user cannot write into.
    throw Error("refusing to create backup directory '" + path + "' as root " + install_hint(path));
  }
  if (::mkdir(path.c_str(), 0700) == 0) {
    ::chmod(path.c_str(), 0700);
  } else if (int err = errno; err != EEXIST) {
    throw Error("cannot create backup directory '" + path + "': " + std::strerror(err) + " " +
                install_hint(path));
  }
  if (::access(path.c_str(), W_OK | X_OK) != 0) {
    std::string why = std::strerror(errno);
    throw Error("cannot write into backup directory '" + path + "': " + why + " " +
                install_hint(path));
  }
}

// Creates NAME in the directory with `text` (mode 0600, or `mode`) unless something is there
// already; returns whether it did.
bool create_file(int dirfd, const char* name, const std::string& display, std::string_view text,
                 mode_t mode = 0600) {
  struct stat st;
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) return false;
  DurableWriter w(dirfd, name, display);
  w.write(std::as_bytes(std::span(text)));
  if (!w.commit()) return false;
  if (mode != 0600 && ::fchmodat(dirfd, name, mode, 0) != 0) throw_sys("cannot chmod", display);
  return true;
}

}  // namespace

std::string_view example_backup_script() {
  return kExampleScript;
}

int run_init(Invocation& inv) {
  const std::string& path = inv.require_dir();
  prepare_directory(path);
  BackupDir dir(path);
  make_dir(dir.fd(), kScriptsDir, path_join(path, kScriptsDir));
  StateFile state(dir.fd(), path);  // creates pgbak.lock
  {
    // An explicit zero state in a new file. An existing one (a live directory) is left alone:
    // init never drops pending work, and an empty one is repaired by the next reader.
    StateLock guard(state);
    struct stat st;
    if (::fstat(state.fd(), &st) != 0) throw_sys("cannot examine", state.path());
    if (st.st_size == 0) state.write(State{});
  }
  create_file(dir.fd(), kStatusFile, path_join(path, kStatusFile),
              format_sync_status(SyncStatus{}));

  UniqueFd scripts =
      openat_or_throw(dir.fd(), kScriptsDir, O_RDONLY | O_DIRECTORY, path_join(path, kScriptsDir));
  std::string script_path = path_join(path, kBackupScript);
  if (create_file(scripts.get(), "backup", script_path, kExampleScript, 0700) &&
      inv.verbosity >= 0) {
    std::cout << "created " << script_path << " (edit it to upload)\n";
  }
  std::string conf_path = path_join(path, "pgbak.conf");
  if (create_file(dir.fd(), "pgbak.conf", conf_path, config_template()) && inv.verbosity >= 0) {
    std::cout << "created " << conf_path << " (set conninfo)\n";
  }
  fsync_dir(dir.fd(), path);
  if (inv.verbosity >= 0) std::cout << "initialized backup directory " << path << "\n";
  return 0;
}

}  // namespace pgbak
