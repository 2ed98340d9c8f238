#include "sync/cluster_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "io/sha256.h"
#include "io/tar_writer.h"
#include "pg/connection.h"
#include "pipeline/stored_file.h"
#include "repo/stored_names.h"

namespace pgbak {
namespace {

struct ServerFiles {
  std::string config_file;
  std::string hba_file;
  std::string ident_file;
  std::string data_directory;
};

ServerFiles ask_server(const std::string& conninfo) {
  PgConnection conn = PgConnection::replication(conninfo);
  auto show = [&conn](const char* name) {
    return conn.value(std::string("SHOW ") + name, std::string("cannot read ") + name).value_or("");
  };
  return ServerFiles{show("config_file"), show("hba_file"), show("ident_file"),
                     show("data_directory")};
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

bool inside(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

// True when DATA/global/pg_control here names cluster `sysid` (its first 8 bytes).
bool local_cluster_is(const std::string& data_directory, uint64_t sysid) {
  UniqueFd fd(::open((data_directory + "/global/pg_control").c_str(), O_RDONLY | O_CLOEXEC));
  uint64_t found = 0;
  return fd.get() >= 0 && ::pread(fd.get(), &found, sizeof found, 0) == sizeof found &&
         found == sysid;
}

// Adds the directory's regular files and subdirectories (recursively) under `prefix`; links
// and other kinds are skipped and named in `skipped`.
void add_tree(TarWriter& tar, int dirfd, const std::string& display, const std::string& prefix,
              std::vector<std::string>& skipped) {
  for (const std::string& name : list_dir(dirfd, display)) {
    if (name.starts_with(".pgbak-restore.")) continue;  // a restore's temp directory
    std::string path = path_join(display, name);
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw_sys("cannot examine", path);
    std::string member = prefix + name;
    if (S_ISDIR(st.st_mode)) {
      tar.add_directory(member, st.st_mode, st.st_mtime);
      UniqueFd sub = openat_or_throw(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, path);
      add_tree(tar, sub.get(), path, member + "/", skipped);
    } else if (S_ISREG(st.st_mode)) {
      tar.add_file(member, st.st_mode, st.st_mtime,
                   read_small_file(dirfd, name, path).value_or(""));
    } else {
      skipped.push_back(path);
    }
  }
}

}  // namespace

std::optional<StoredConfig> store_cluster_config(const Generation& gen, const Config& config,
                                                 uint64_t sysid, SyncLog& log) {
  ServerFiles files;
  try {
    files = ask_server(config.conninfo);
  } catch (const Error& e) {
    log.error(std::string("snapshot: cannot learn where the server's configuration files are, "
                          "so they are not stored: ") +
              e.what());
    return std::nullopt;
  }
  std::string dir = parent_of(files.config_file);
  if (files.config_file.empty() || inside(files.config_file, files.data_directory)) {
    return std::nullopt;  // in PGDATA: the base has it
  }
  if (!local_cluster_is(files.data_directory, sysid)) {
    log.info("snapshot: configuration files in " + dir +
             " not stored: the server's data "
             "directory " +
             files.data_directory + " is not on this machine (or not readable)");
    return std::nullopt;
  }
  for (const std::string& f : {files.hba_file, files.ident_file}) {
    if (!inside(f, dir) && !inside(f, files.data_directory)) {
      log.error("snapshot: " + f + " is outside " + dir + " and the data directory: not stored");
    }
  }
  StoredConfig out;
  out.file = std::string(kConfigFile) + stored_suffix(config);
  out.source_dir = dir;
  std::string display = path_join(gen.path, out.file);
  try {
    UniqueFd source = open_dir(dir, false);
    DurableWriter file(gen.dir.get(), out.file, display);
    HashingSink hashed(file);
    StoredWriter stored(config, hashed, config.snapshot_compress_level, 0, display,
                        stored_identity(gen.name, out.file));
    TarWriter tar(stored);
    tar.add_file(kConfigOriginEntry, 0600, 0, dir + "\n");
    std::vector<std::string> skipped;
    add_tree(tar, source.get(), dir, "", skipped);
    tar.finish();
    stored.finish();
    for (const std::string& s : skipped)
      log.error("snapshot: " + s + " is not a regular file: not stored");
    if (!file.commit()) {
      log.info("snapshot: " + display + " exists already: kept");
      return std::nullopt;
    }
    out.digest = hashed.hex_digest();
  } catch (const Error& e) {
    log.error(std::string("snapshot: cannot store the configuration files: ") + e.what());
    return std::nullopt;
  }
  log.info("snapshot: configuration files of " + dir + " stored as " + out.file);
  return out;
}

}  // namespace pgbak
