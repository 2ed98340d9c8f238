// `pgbak restore PGDATA`: turns a generation's base backup into a data directory that recovers
// through `pgbak restore-wal` when started.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <ctime>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "crypto/storage.h"
#include "io/durable_writer.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/sha256.h"
#include "io/tree.h"
#include "io/zstd_stream.h"
#include "repo/backup_dir.h"
#include "restore/base_backup.h"
#include "restore/choose_generation.h"
#include "restore/recovery_conf.h"
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
};

std::string option(const Invocation& inv, const char* name) {
  return inv.vm.count(name) ? inv.vm[name].as<std::string>() : std::string();
}

Request parse_request(const Invocation& inv) {
  Request r;
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(inv.args[0], ec).lexically_normal();
  if (ec) throw UsageError("invalid PGDATA '" + inv.args[0] + "': " + ec.message());
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

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) throw_sys("cannot find this program's path", "/proc/self/exe");
  std::string path(buf, static_cast<size_t>(n));
  // A binary replaced while running (an upgrade) shows as "PATH (deleted)": a restore_command
  // naming it would fail during recovery.
  if (::access(path.c_str(), X_OK) != 0) throw_sys("cannot use this program's path", path);
  return path;
}

// Passes the stored bytes of the base into extraction and hashes every one of them. A failure
// of the extraction (an Error) is kept, not thrown, and the rest of the file is still hashed, so
// that a damaged file is reported as such rather than by whatever its damage made the
// decompressor or tar reader say.
class HashedExtraction : public Sink {
 public:
  explicit HashedExtraction(Sink& extract) : extract_(extract) {}
  void write(std::span<const std::byte> data) override {
    sha_.write(data);
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
  Sha256 sha_;
  std::exception_ptr failure_;
};

void extract_base(const Invocation& inv, const Generation& gen, int root,
                  const std::string& display, std::optional<TarExtractor::Owner> owner) {
  // base.tzst, or base.tzst.enc when written with encryption on.
  std::string stored = find_stored(gen.dir.get(), kBaseFile).value_or(kBaseFile);
  std::string base = path_join(gen.path, stored);
  // A base compressed by the server has no zstd checksum: SHA256SUMS is what tells it is whole.
  std::optional<std::string> expected = listed_base_digest(gen, stored);
  if (!expected && inv.verbosity >= 0) {
    std::cerr << "pgbak: warning: " << base << " is not listed in " << kSumsFile
              << ": its SHA-256 is not checked\n";
  }
  UniqueFd in = open_regular_at(gen.dir.get(), stored, O_RDONLY, base);
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  TarExtractor extract(root, display, owner);
  TarReader tar(extract, base);
  ZstdDecompressor zstd(tar, base);
  std::unique_ptr<StorageSink> opened = make_storage_reader(inv.config, zstd, stored, base);
  HashedExtraction hashed(*opened);
  pump(in.get(), hashed, base);
  hashed.run([&] {
    opened->finish();
    zstd.finish();
    tar.finish();
  });
  std::string digest = hashed.hex_digest();
  if (expected && digest != *expected) throw damaged_base_error(base, digest, *expected);
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

void restore_into(const Request& r, const Invocation& inv, const Generation& gen,
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
    UniqueFd root =
        openat_or_throw(parent_fd.get(), temp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, temp_display);
    if (::fchmod(root.get(), 0700) != 0) throw_sys("cannot chmod", temp_display);
    if (owner && ::fchown(root.get(), owner->uid, owner->gid) != 0) {
      throw_sys("cannot change the owner of", temp_display);
    }
    extract_base(inv, gen, root.get(), r.pgdata, owner);

    append_file(root.get(), "recovery.signal", "", path_join(r.pgdata, "recovery.signal"), owner);
    std::string command =
        restore_command(self_path(), inv.dir, inv.config_explicit ? inv.config_path : "");
    std::time_t now = std::time(nullptr);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
    std::string origin = "generation " + gen.name + " of " + inv.dir + " on " + when;
    append_file(root.get(), "postgresql.auto.conf", recovery_settings(origin, command, r.target),
                path_join(r.pgdata, "postgresql.auto.conf"), owner);
    // The server would fsync the data directory at startup anyway, but the rename below must not
    // publish a directory whose contents a crash could still lose.
    if (::syncfs(root.get()) != 0) throw_sys("cannot sync the file system of", temp_display);
    if (pgdata_exists) check_pgdata(r.pgdata);  // still empty: rename replaces it
    fault_point("restore-before-rename");
    if (::renameat(parent_fd.get(), temp.c_str(), parent_fd.get(), leaf.c_str()) != 0) {
      throw_sys("cannot rename '" + temp_display + "' to", r.pgdata);
    }
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
    ("owner", po::value<std::string>(), "when root: owner of the restored files (default: the owner of the source cluster's files)");
  // clang-format on
}

int run_restore(Invocation& inv) {
  Request r = parse_request(inv);
  BackupDir dir(inv.require_dir());
  bool pgdata_exists = check_pgdata(r.pgdata);
  auto [gen_name, info] = choose_generation(dir, r.choice, inv.config);
  auto owner = choose_owner(r, info);
  Generation gen = dir.open_generation(gen_name);

  std::string leaf = base_name(r.pgdata);
  std::string parent = r.pgdata.substr(0, r.pgdata.size() - leaf.size());
  if (parent.size() > 1) parent.pop_back();
  restore_into(r, inv, gen, owner, parent, leaf, pgdata_exists);

  if (inv.verbosity >= 0) {
    std::cout << "restored generation " << gen.name << " (" << describe(info) << ") into "
              << r.pgdata << "\n";
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
