// `pgbak restore PGDATA`: turns a generation's base backup into a data directory that recovers
// through `pgbak restore-wal` when started.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <ctime>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <tuple>

#include "cli/commands.h"
#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/sha256.h"
#include "io/tree.h"
#include "io/zstd_stream.h"
#include "ops/progress.h"
#include "remote/fetch_script.h"
#include "repo/backup_dir.h"
#include "repo/lineage.h"
#include "restore/base_backup.h"
#include "restore/choose_generation.h"
#include "restore/debian_cluster.h"
#include "restore/recovery_conf.h"
#include "restore/remote_base.h"
#include "restore/tar_extract.h"
#include "wal/wal_name.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

struct Request {
  std::string pgdata;  // absolute
  GenerationChoice choice;
  RecoveryTarget target;
  std::string owner;
  std::optional<DebianCluster> cluster;  // --cluster: PGDATA is its data directory
};

std::string option(const Invocation& inv, const char* name) {
  return inv.vm.count(name) ? inv.vm[name].as<std::string>() : std::string();
}

Request parse_request(const Invocation& inv) {
  Request r;
  std::string cluster = option(inv, "cluster");
  if (cluster.empty() == inv.args.empty()) {
    throw UsageError(
        "give either PGDATA or --cluster VERSION/NAME (usage: pgbak restore PGDATA | "
        "--cluster VERSION/NAME)");
  }
  if (!cluster.empty()) r.cluster = find_debian_cluster(cluster);
  std::string given = r.cluster ? r.cluster->data_dir : inv.args[0];
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(given, ec).lexically_normal();
  if (ec) throw UsageError("invalid PGDATA '" + given + "': " + ec.message());
  r.pgdata = p.string();
  while (r.pgdata.size() > 1 && r.pgdata.back() == '/') r.pgdata.pop_back();
  if (r.pgdata == "/") throw UsageError("refusing to restore into '/'");
  r.choice.generation = option(inv, "generation");
  if (!r.choice.generation.empty() && !is_generation_name(r.choice.generation)) {
    throw UsageError("invalid generation '" + r.choice.generation + "'");
  }
  r.owner = option(inv, "owner");

  int targets = 0;
  for (const char* kind : {"time", "lsn", "name"}) {
    std::string value = option(inv, (std::string("target-") + kind).c_str());
    if (value.empty()) continue;
    ++targets;
    r.target.setting = std::string("recovery_target_") + kind;
    r.target.value = value;
    r.choice.target_text = value;
  }
  if (targets > 1)
    throw UsageError("give at most one of --target-time, --target-lsn, --target-name");
  if (r.target.setting == "recovery_target_time") {
    r.choice.target_time = parse_timestamp(r.target.value);
    if (!r.choice.target_time && r.choice.generation.empty()) {
      throw UsageError("cannot interpret --target-time '" + r.target.value +
                       "' to choose a generation (HINT: write it as 'YYYY-MM-DD HH:MM:SS+00', or "
                       "choose one with --generation)");
    }
  } else if (r.target.setting == "recovery_target_lsn") {
    r.choice.target_lsn = parse_lsn(r.target.value);
    if (!r.choice.target_lsn)
      throw UsageError("invalid --target-lsn '" + r.target.value + "' (expected X/Y)");
  }
  r.target.action = option(inv, "target-action");
  if (!r.target.action.empty()) {
    if (r.target.action != "promote" && r.target.action != "pause" &&
        r.target.action != "shutdown") {
      throw UsageError("--target-action must be promote, pause or shutdown");
    }
    if (r.target.setting.empty()) throw UsageError("--target-action needs a recovery target");
  }
  return r;
}

// Refuses a PGDATA that exists and is not an empty directory. Returns whether it exists.
bool check_pgdata(const std::string& pgdata) {
  struct stat st;
  if (::lstat(pgdata.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw_sys("cannot examine", pgdata);
  }
  if (!S_ISDIR(st.st_mode)) throw Error("cannot restore into '" + pgdata + "': not a directory");
  UniqueFd dir = open_dir(pgdata, false);
  if (!list_dir(dir.get(), pgdata).empty()) {
    throw Error("cannot restore into '" + pgdata + "': directory is not empty");
  }
  return true;
}

std::string describe(const BaseInfo& info) {
  return "backup started " + (info.label->start_time.empty() ? "?" : info.label->start_time) +
         " at " + format_lsn(info.label->start_lsn) + " on timeline " +
         std::to_string(info.label->start_tli);
}

std::optional<TarExtractor::Owner> choose_owner(const Request& r, const BaseInfo& info) {
  if (r.cluster && r.owner.empty()) {
    if (::geteuid() != 0 && ::geteuid() != r.cluster->uid) {
      throw UsageError("cluster " + r.cluster->version + "/" + r.cluster->name +
                       " belongs to another user (HINT: run pgbak restore as root)");
    }
    return TarExtractor::Owner{r.cluster->uid, r.cluster->gid};
  }
  if (!r.owner.empty()) {
    errno = 0;
    struct passwd* pw = ::getpwnam(r.owner.c_str());
    if (pw == nullptr) throw UsageError("unknown user '" + r.owner + "' for --owner");
    if (::geteuid() != 0 && pw->pw_uid != ::geteuid()) {
      throw UsageError("--owner " + r.owner + " needs root");
    }
    return TarExtractor::Owner{pw->pw_uid, pw->pw_gid};
  }
  if (::geteuid() != 0) return std::nullopt;
  if (info.uid && *info.uid != 0) return TarExtractor::Owner{*info.uid, *info.gid};
  throw UsageError(
      "the base backup's files belong to root, which PostgreSQL refuses "
      "(HINT: give the server's user with --owner USER)");
}

// Passes the stored bytes of the base into extraction and hashes every one of them. A failure
// of the extraction (an Error) is kept, not thrown, and the rest of the file is still hashed, so
// that a damaged file is reported as such rather than by whatever its damage made the
// decompressor or tar reader say.
class HashedExtraction : public Sink {
 public:
  HashedExtraction(Sink& extract, ProgressMeter& meter) : extract_(extract), meter_(meter) {}
  void write(std::span<const std::byte> data) override {
    sha_.write(data);
    meter_.add(data.size());
    run([&] { extract_.write(data); });
  }
  // Runs `f` (a step of the extraction) unless the extraction failed already; keeps its Error.
  template <typename F>
  void run(F&& f) {
    if (failure_) return;
    try {
      f();
    } catch (const Error&) {
      failure_ = std::current_exception();
    }
  }
  std::string hex_digest() { return sha_.hex_digest(); }
  std::exception_ptr failure() const { return failure_; }

 private:
  Sink& extract_;
  ProgressMeter& meter_;
  Sha256 sha_;
  std::exception_ptr failure_;
};

// The local generation's base as a stream.
BaseStream local_base(const Generation& gen, const std::string& dir) {
  BaseStream s;
  s.generation = gen.name;
  // base.tzst, or base.tzst.enc when written with encryption on.
  s.stored = find_stored(gen.dir.get(), kBaseFile).value_or(kBaseFile);
  s.display = path_join(gen.path, s.stored);
  s.expected = listed_base_digest(gen, s.stored);
  struct stat st;
  if (::fstatat(gen.dir.get(), s.stored.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    s.size = static_cast<uint64_t>(st.st_size);
  }
  s.feed = [&gen, stored = s.stored, display = s.display](Sink& out) {
    UniqueFd in = open_regular_at(gen.dir.get(), stored, O_RDONLY, display);
    ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    pump(in.get(), out, display);
  };
  s.source = dir;
  return s;
}

void extract_base(const Invocation& inv, const BaseStream& base, int root,
                  const std::string& display, std::optional<TarExtractor::Owner> owner) {
  // A base compressed by the server has no zstd checksum: SHA256SUMS is what tells it is whole.
  if (!base.expected && inv.verbosity >= 0) {
    std::cerr << "pgbak: warning: " << base.display << " is not listed in " << kSumsFile
              << ": its SHA-256 is not checked\n";
  }
  TarExtractor extract(root, display, owner);
  TarReader tar(extract, base.display);
  ZstdDecompressor zstd(tar, base.display);
  std::unique_ptr<StorageSink> opened = make_storage_reader(
      inv.config, zstd, base.stored, base.display, stored_identity(base.generation, base.stored));
  ProgressMeter meter("restore: " + base.stored, inv.verbosity >= 0, base.size);
  HashedExtraction hashed(*opened, meter);
  base.feed(hashed);
  hashed.run([&] {
    opened->finish();
    zstd.finish();
    tar.finish();
  });
  meter.finish();
  std::string digest = hashed.hex_digest();
  if (base.expected && digest != *base.expected) {
    throw damaged_base_error(base.display, digest, *base.expected);
  }
  if (hashed.failure()) std::rethrow_exception(hashed.failure());
}

void append_file(int root, const char* name, const std::string& text, const std::string& display,
                 std::optional<TarExtractor::Owner> owner) {
  UniqueFd fd = openat_or_throw(root, name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, display);
  write_all(fd.get(), text.data(), text.size(), display);
  if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
    throw_sys("cannot change the owner of", display);
  }
}

// Removes temp directories of earlier restores into the same PGDATA whose process is gone
// (killed before it could clean up).
void remove_stale_temps(int parent_fd, const std::string& parent, const std::string& prefix) {
  for (const std::string& name : list_dir(parent_fd, parent)) {
    if (!name.starts_with(prefix)) continue;
    std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno != ESRCH) continue;
    remove_tree(parent_fd, name, path_join(parent, name));
  }
}

// Checks that `name` in dirfd is still the directory open as `fd`: the parent of PGDATA may
// belong to the database user, who could have swapped the temp directory for another.
void check_same_directory(int dirfd, const std::string& name, int fd, const std::string& display) {
  struct stat by_name, by_fd;
  if (::fstat(fd, &by_fd) != 0) throw_sys("cannot examine", display);
  if (::fstatat(dirfd, name.c_str(), &by_name, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_sys("cannot examine", display);
  }
  if (by_name.st_dev != by_fd.st_dev || by_name.st_ino != by_fd.st_ino) {
    throw Error("cannot restore: '" + display + "' was replaced during the restore");
  }
}

// The temp directory just made, opened without following a symlink, and checked to be this
// process's own directory (not one swapped in by whoever can write to the parent): until the
// rename it stays 0700 and owned by this user, so nobody else can put anything inside it while
// the extraction runs.
UniqueFd open_own_directory(int parent_fd, const std::string& temp, const std::string& display) {
  UniqueFd root = openat_or_throw(parent_fd, temp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, display);
  struct stat st;
  if (::fstat(root.get(), &st) != 0) throw_sys("cannot examine", display);
  if (st.st_uid != ::geteuid()) {
    throw Error("cannot restore: '" + display + "' was replaced by another user's directory");
  }
  if (::fchmod(root.get(), 0700) != 0) throw_sys("cannot chmod", display);
  return root;
}

void restore_into(const Request& r, const Invocation& inv, const BaseStream& base,
                  std::optional<TarExtractor::Owner> owner, const std::string& parent,
                  const std::string& leaf, bool pgdata_exists) {
  UniqueFd parent_fd = open_dir(parent);
  std::string prefix = "." + leaf + ".pgbak-restore.";
  remove_stale_temps(parent_fd.get(), parent, prefix);
  std::string temp = prefix + std::to_string(::getpid());
  std::string temp_display = path_join(parent, temp);
  if (::mkdirat(parent_fd.get(), temp.c_str(), 0700) != 0) {
    throw_sys("cannot create directory", temp_display);
  }
  try {
    UniqueFd root = open_own_directory(parent_fd.get(), temp, temp_display);
    fault_point("restore-temp-created");
    extract_base(inv, base, root.get(), r.pgdata, owner);
    fault_point("restore-after-extract");

    append_file(root.get(), "recovery.signal", "", path_join(r.pgdata, "recovery.signal"), owner);
    std::string command = restore_command(
        this_program(), inv.dir, inv.config_explicit ? inv.config_path : "", base.generation);
    std::time_t now = std::time(nullptr);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
    std::string origin = "generation " + base.generation + " of " + base.source + " on " + when;
    append_file(root.get(), "postgresql.auto.conf", recovery_settings(origin, command, r.target),
                path_join(r.pgdata, "postgresql.auto.conf"), owner);
    // The server would fsync the data directory at startup anyway, but the rename below must not
    // publish a directory whose contents a crash could still lose.
    if (::syncfs(root.get()) != 0) throw_sys("cannot sync the file system of", temp_display);
    if (pgdata_exists) check_pgdata(r.pgdata);  // still empty: rename replaces it
    // Handed to the owner only now, whole: nobody else could enter it during the extraction.
    if (owner && ::fchown(root.get(), owner->uid, owner->gid) != 0) {
      throw_sys("cannot change the owner of", temp_display);
    }
    check_same_directory(parent_fd.get(), temp, root.get(), temp_display);
    fault_point("restore-before-rename");
    if (::renameat(parent_fd.get(), temp.c_str(), parent_fd.get(), leaf.c_str()) != 0) {
      throw_sys("cannot rename '" + temp_display + "' to", r.pgdata);
    }
    fault_point("restore-after-rename");
  } catch (...) {
    remove_tree(parent_fd.get(), temp, temp_display);
    throw;
  }
  fsync_dir(parent_fd.get(), parent);
}

}  // namespace

void add_restore_options(po::options_description& d) {
  // clang-format off
  d.add_options()
    ("generation", po::value<std::string>(), "generation to restore (default: the newest complete one, or with a target the newest that started before it)")
    ("target-time", po::value<std::string>(), "recover up to this time (recovery_target_time)")
    ("target-lsn", po::value<std::string>(), "recover up to this WAL location (recovery_target_lsn)")
    ("target-name", po::value<std::string>(), "recover up to this restore point (recovery_target_name)")
    ("target-action", po::value<std::string>(), "at the target: promote, pause or shutdown (recovery_target_action)")
    ("cluster", po::value<std::string>(), "restore into Debian cluster VERSION/NAME (stopped, empty data directory) instead of PGDATA, with its configuration files")
    ("owner", po::value<std::string>(), "when root: owner of the restored files (default: the owner of the source cluster's files)");
  // clang-format on
}

int run_restore(Invocation& inv) {
  Request r = parse_request(inv);
  BackupDir dir(inv.require_dir());
  bool pgdata_exists = check_pgdata(r.pgdata);
  std::string leaf = base_name(r.pgdata);
  std::string parent = r.pgdata.substr(0, r.pgdata.size() - leaf.size());
  if (parent.size() > 1) parent.pop_back();

  // With no base backup here but a fetch script, everything comes from the remote copy.
  bool remote = generations_with_base(dir).empty() && FetchScript::exists(dir);
  std::optional<RemoteBases> remote_bases;
  std::optional<Generation> gen;
  std::string gen_name;
  BaseInfo info;
  if (remote) {
    remote_bases.emplace(dir, inv.config);
    std::tie(gen_name, info) = choose_among(remote_bases->candidates(), r.choice);
  } else {
    std::tie(gen_name, info) = choose_generation(dir, r.choice, inv.config);
  }
  auto owner = choose_owner(r, info);
  if (!remote) gen.emplace(dir.open_generation(gen_name));
  if (r.cluster) {
    // Checked before anything is written.
    if (remote)
      throw UsageError(
          "restore --cluster needs the generation in " + inv.dir +
          ", not only in the remote copy (HINT: fetch the generation's files into it first)");
    stored_cluster_config(*gen);
  }
  BaseStream base = remote ? remote_bases->base(gen_name) : local_base(*gen, inv.dir);
  restore_into(r, inv, base, owner, parent, leaf, pgdata_exists);

  std::string config_note;
  if (r.cluster) config_note = restore_cluster_config(inv.config, *gen, *r.cluster);

  if (inv.verbosity >= 0 && r.cluster) {
    std::cout << "restored generation " << gen_name << " (" << describe(info) << ") into cluster "
              << r.cluster->version << "/" << r.cluster->name << " (" << r.pgdata << ")\n"
              << config_note << "\n"
              << "recovery: "
              << (r.target.setting.empty() ? "to the end of the archived WAL"
                                           : r.target.setting + " = '" + r.target.value + "'")
              << "\nnext: pg_ctlcluster " << r.cluster->version << " " << r.cluster->name
              << " start\n";
  } else if (inv.verbosity >= 0) {
    // What lies beside the restored history is named, so that nobody wonders where it went.
    for (const std::string& other : dir.generations()) {
      std::optional<Generation> g = dir.try_open_generation(other);
      auto marker = g ? read_new_history(*g) : std::nullopt;
      if (!marker) continue;
      auto members = lineage(dir, gen_name);
      if (std::find(members.begin(), members.end(), other) != members.end()) continue;
      std::cerr << "pgbak: note: generation " << other << " is not part of the restored history ("
                << (marker->side ? "side generation: " : "starts a new history: ") << marker->reason
                << "); its WAL is not used\n";
    }
    std::cout << "restored generation " << gen_name << (remote ? " of the remote copy" : "") << " ("
              << describe(info) << ") into " << r.pgdata << "\n";
    std::cout << "recovery: "
              << (r.target.setting.empty() ? "to the end of the archived WAL"
                                           : r.target.setting + " = '" + r.target.value + "'")
              << "\n";
    std::string start = "pg_ctl -D " + shell_quote(r.pgdata) + " start";
    if (owner && ::geteuid() == 0) {
      struct passwd* pw = ::getpwuid(owner->uid);
      std::string user = pw != nullptr ? pw->pw_name : std::to_string(owner->uid);
      start = "runuser -u " + shell_quote(user) + " -- " + start;
    }
    std::cout << "next: review " << shell_quote(path_join(r.pgdata, "postgresql.conf"))
              << " (port, archive_command), then run:\n  " << start << "\n";
  }
  return 0;
}

}  // namespace pgbak
