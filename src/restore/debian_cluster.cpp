#include "restore/debian_cluster.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <regex>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "io/tar_reader.h"
#include "io/tree.h"
#include "pipeline/stored_file.h"
#include "repo/stored_names.h"
#include "restore/recovery_conf.h"
#include "restore/tar_extract.h"

namespace pgbak {
namespace {

// Settings that make a cluster itself rather than the one its configuration was copied from.
constexpr const char* kIdentity[] = {"data_directory",    "hba_file", "ident_file",
                                     "external_pid_file", "port",     "cluster_name"};

// The last line of postgresql.conf text that sets `key` (key = value or key value), or "".
std::string setting_line(const std::string& text, const std::string& key) {
  std::regex re("^[ \t]*" + key + "[ \t]*(=|[ \t])[^\n]*", std::regex::multiline);
  std::string found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    found = it->str();
  }
  return found;
}

// The quoted or bare value of such a line.
std::string setting_value(const std::string& line) {
  std::smatch m;
  static const std::regex re("^[^=' \t]+[ \t]*=?[ \t]*(?:'([^']*)'|([^ \t#]*))");
  if (!std::regex_search(line, m, re)) return {};
  return m[1].matched ? m[1].str() : m[2].str();
}

// A configuration file of the cluster; empty if it does not exist.
std::string read_text(const std::string& path) {
  return read_config_text(path).value_or("");
}

// A restored configuration file with its recovery settings made comments (see
// without_recovery_settings): a configuration taken from a server that was itself restored
// would otherwise stop this recovery at that old target. Rewritten in place: the file lies in
// the private directory the configuration is extracted into, not yet where the server reads it.
void disable_recovery_settings(int dirfd, const std::string& name, const std::string& display) {
  UniqueFd fd = openat_or_throw(dirfd, name, O_RDWR | O_NOFOLLOW, display);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_sys("cannot stat", display);
  if (!S_ISREG(st.st_mode)) return;
  std::string text = read_rest(fd.get(), display);
  std::string fixed = without_recovery_settings(text);
  if (fixed == text || (fixed == text + "\n")) return;
  if (::ftruncate(fd.get(), 0) != 0) throw_sys("cannot truncate", display);
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw_sys("cannot seek in", display);
  write_all(fd.get(), fixed.data(), fixed.size(), display);
  if (::fsync(fd.get()) != 0) throw_sys("cannot fsync", display);
}

// The same for postgresql.conf and conf.d/*.conf of an extracted configuration at `root`.
void disable_recovery_settings_in(int root, const std::string& display) {
  disable_recovery_settings(root, "postgresql.conf", display + "/postgresql.conf");
  auto conf_d = open_dir_at(root, "conf.d", display + "/conf.d");
  if (!conf_d) return;
  for (const std::string& name : list_dir(conf_d->get(), display + "/conf.d")) {
    if (name.ends_with(".conf")) {
      disable_recovery_settings(conf_d->get(), name, display + "/conf.d/" + name);
    }
  }
}

}  // namespace

DebianCluster find_debian_cluster(const std::string& spec) {
  static const std::regex kSpec("([0-9]+(\\.[0-9]+)?)/([A-Za-z0-9_.-]+)");
  std::smatch m;
  if (!std::regex_match(spec, m, kSpec) || m[3] == "." || m[3] == "..") {
    throw UsageError("invalid --cluster '" + spec + "' (expected VERSION/NAME, e.g. 15/main)");
  }
  DebianCluster c;
  c.version = m[1];
  c.name = m[3];
  const char* root = std::getenv("PG_CLUSTER_CONF_ROOT");
  c.conf_dir = std::string(root != nullptr && *root ? root : "/etc/postgresql") + "/" + c.version +
               "/" + c.name;
  struct stat st;
  if (::lstat(c.conf_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error("no Debian cluster " + spec + ": " + c.conf_dir +
                " is not a directory (HINT: create it with 'pg_createcluster " + c.version + " " +
                c.name + "', stop it and empty its data directory)");
  }
  c.uid = st.st_uid;
  c.gid = st.st_gid;
  c.data_dir =
      setting_value(setting_line(read_text(c.conf_dir + "/postgresql.conf"), "data_directory"));
  if (c.data_dir.empty()) c.data_dir = "/var/lib/postgresql/" + c.version + "/" + c.name;
  return c;
}

std::string stored_cluster_config(const Generation& gen) {
  auto stored = find_stored(gen.dir.get(), kConfigFile);
  if (!stored) {
    throw Error("generation " + gen.name + " has no " + kConfigFile +
                ": its snapshot did not find configuration files outside the data directory "
                "(HINT: restore into a data directory with 'pgbak restore PGDATA')");
  }
  return *stored;
}

std::string restore_cluster_config(const Config& config, const Generation& gen,
                                   const DebianCluster& cluster) {
  std::optional<std::string> stored = stored_cluster_config(gen);
  std::string conf_dir = cluster.conf_dir;
  UniqueFd dir = open_dir(conf_dir, false);
  std::string temp = ".pgbak-restore." + std::to_string(::getpid());
  std::string temp_display = path_join(conf_dir, temp);
  remove_tree(dir.get(), temp, temp_display);
  if (::mkdirat(dir.get(), temp.c_str(), 0700) != 0)
    throw_sys("cannot create directory", temp_display);
  std::string origin;
  try {
    UniqueFd root =
        openat_or_throw(dir.get(), temp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, temp_display);
    TarExtractor extract(root.get(), temp_display, TarExtractor::Owner{cluster.uid, cluster.gid});
    TarReader tar(extract, path_join(gen.path, *stored));
    read_stored_file(config, gen.dir.get(), *stored, path_join(gen.path, *stored),
                     stored_identity(gen.name, *stored), tar);
    tar.finish();
    origin =
        read_small_file(root.get(), ".pgbak-origin", temp_display + "/.pgbak-origin").value_or("");
    while (!origin.empty() && origin.back() == '\n') origin.pop_back();
    ::unlinkat(root.get(), ".pgbak-origin", 0);

    disable_recovery_settings_in(root.get(), temp_display);
    // The cluster's identity, from its own postgresql.conf, wins over the restored one.
    std::string own = read_text(conf_dir + "/postgresql.conf");
    std::string block = "\n# ---- pgbak restore: the settings of cluster " + cluster.version + "/" +
                        cluster.name + " itself (its configuration came from " + origin + ")\n";
    for (const char* key : kIdentity) {
      std::string line = setting_line(own, key);
      if (!line.empty()) block += line + "\n";
    }
    bool copy = origin != conf_dir;
    if (copy) {
      block +=
          "# restored from another cluster: not archiving into the original's backup "
          "directory (set archive_mode = on once this cluster replaces it)\n"
          "archive_mode = off\n";
    }
    UniqueFd conf = openat_or_throw(root.get(), "postgresql.conf", O_WRONLY | O_APPEND | O_NOFOLLOW,
                                    temp_display + "/postgresql.conf");
    write_all(conf.get(), block.data(), block.size(), temp_display + "/postgresql.conf");
    if (::fsync(conf.get()) != 0) throw_sys("cannot fsync", temp_display + "/postgresql.conf");

    for (const std::string& name : list_dir(root.get(), temp_display)) {
      std::string target = path_join(conf_dir, name);
      struct stat st;
      if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISDIR(st.st_mode)) {
        remove_tree(dir.get(), name, target);
      }
      if (::renameat(root.get(), name.c_str(), dir.get(), name.c_str()) != 0) {
        throw_sys("cannot put back", target);
      }
    }
  } catch (...) {
    remove_tree(dir.get(), temp, temp_display);
    throw;
  }
  remove_tree(dir.get(), temp, temp_display);
  fsync_dir(dir.get(), conf_dir);
  return "configuration of " + origin + " restored into " + conf_dir +
         (origin != conf_dir ? " (archive_mode = off: another cluster's copy)" : "");
}

}  // namespace pgbak
