// `pgbak restore PGDATA`: turns a generation's base backup into a data directory that recovers
// through `pgbak restore-wal` when started.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "crypto/storage.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/sha256.h"
#include "io/zstd_stream.h"
#include "repo/backup_dir.h"
#include "repo/tablespaces.h"
#include "restore/base_backup.h"
#include "restore/choose_generation.h"
#include "restore/recovery_conf.h"
#include "restore/staged_dir.h"
#include "restore/tablespace_map.h"
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
  std::vector<TablespaceMapping> mappings;
  std::string target_note;  // how --target-time was read, when it was normalised
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
  if (inv.vm.count("tablespace-mapping")) {
    for (const auto& arg : inv.vm["tablespace-mapping"].as<std::vector<std::string>>()) {
      r.mappings.push_back(parse_tablespace_mapping(arg));
    }
  }

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
    bool zoned = false;
    r.choice.target_time = parse_timestamp(r.target.value, &zoned);
    // Without a zone pgbak read it in its own time zone (TZ), the server would read it in its
    // `timezone` setting: the server gets the same instant, written in UTC.
    if (r.choice.target_time && !zoned) {
      r.target.value = format_utc_timestamp(*r.choice.target_time);
      r.target_note = " (--target-time '" + r.choice.target_text + "' read in pgbak's time zone" +
                      (std::getenv("TZ") ? std::string(" TZ=") + std::getenv("TZ") : "") + ")";
    }
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

std::string describe(const BaseInfo& info, const BackupEnd& end) {
  return "backup started " + (info.label->start_time.empty() ? "?" : info.label->start_time) +
         " at " + format_lsn(info.label->start_lsn) + " on timeline " +
         std::to_string(info.label->start_tli) +
         (end.lsn ? ", ended at " + format_lsn(*end.lsn) : std::string());
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

// Extracts the generation's stored tar `stored` (base.tzst, OID.tzst, maybe .enc) through
// `extract`, checking its SHA-256 against SHA256SUMS.
void extract_stored(const Invocation& inv, const Generation& gen, const std::string& stored,
                    TarExtractor& extract) {
  std::string base = path_join(gen.path, stored);
  // A base compressed by the server has no zstd checksum: SHA256SUMS is what tells it is whole.
  std::optional<std::string> expected = listed_base_digest(gen, stored);
  if (!expected && inv.verbosity >= 0) {
    std::cerr << "pgbak: warning: " << base << " is not listed in " << kSumsFile
              << ": its SHA-256 is not checked\n";
  }
  UniqueFd in = openat_or_throw(gen.dir.get(), stored, O_RDONLY | O_NOFOLLOW, base);
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
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

// Points pg_tblspc/OID of the restored data directory at each tablespace's location. The base's
// tablespace_map is left out of the extraction: the server would replace these links by its
// original locations.
void link_tablespaces(const StagedDir& data, const std::vector<TablespacePlan>& plans,
                      std::optional<TarExtractor::Owner> owner) {
  if (plans.empty()) return;
  std::string display = path_join(data.path(), "pg_tblspc");
  UniqueFd dir =
      openat_or_throw(data.fd(), "pg_tblspc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, display);
  for (const TablespacePlan& t : plans) {
    std::string name = std::to_string(t.oid);
    std::string link = path_join(display, name);
    if (::symlinkat(t.location.c_str(), dir.get(), name.c_str()) != 0) {
      throw_sys("cannot create symlink", link);
    }
    if (owner &&
        ::fchownat(dir.get(), name.c_str(), owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_sys("cannot change the owner of", link);
    }
  }
}

void restore_into(const Request& r, const Invocation& inv, const Generation& gen,
                  const std::vector<TablespacePlan>& plans,
                  std::optional<TarExtractor::Owner> owner) {
  // Tablespaces first, PGDATA last: a PGDATA in place means the restore is complete.
  std::vector<std::unique_ptr<StagedDir>> spaces;
  for (const TablespacePlan& t : plans) {
    spaces.push_back(std::make_unique<StagedDir>(t.location, owner));
  }
  StagedDir data(r.pgdata, owner);
  {
    TarExtractor extract(data.fd(), r.pgdata, owner);
    extract.skip_file(kTablespaceMap);
    // A base taken from a standby has the standby's standby.signal: the restored server would
    // stay a standby (of whatever its primary_conninfo names) instead of recovering.
    extract.skip_file("standby.signal");
    // base.tzst, or base.tzst.enc when written with encryption on.
    extract_stored(inv, gen, find_stored(gen.dir.get(), kBaseFile).value_or(kBaseFile), extract);
  }
  for (size_t i = 0; i < plans.size(); ++i) {
    TarExtractor extract(spaces[i]->fd(), plans[i].location, owner);
    extract_stored(inv, gen, plans[i].stored, extract);
  }
  link_tablespaces(data, plans, owner);

  append_file(data.fd(), "recovery.signal", "", path_join(r.pgdata, "recovery.signal"), owner);
  std::string command =
      restore_command(self_path(), inv.dir, inv.config_explicit ? inv.config_path : "");
  std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  std::string origin = "generation " + gen.name + " of " + inv.dir + " on " + when;
  append_file(data.fd(), "postgresql.auto.conf", recovery_settings(origin, command, r.target),
              path_join(r.pgdata, "postgresql.auto.conf"), owner);
  // The server would fsync the data directory at startup anyway, but the renames below must not
  // publish directories whose contents a crash could still lose.
  for (const auto& space : spaces) space->sync();
  data.sync();
  fault_point("restore-before-rename");
  for (const auto& space : spaces) space->publish();
  data.publish();
  for (const auto& space : spaces) space->keep();
  data.keep();
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
    ("owner", po::value<std::string>(), "when root: owner of the restored files (default: the owner of the source cluster's files)")
    ("tablespace-mapping", po::value<std::vector<std::string>>()->composing(), "OLDDIR=NEWDIR: restore the tablespace that was in OLDDIR into NEWDIR (repeatable)");
  // clang-format on
}

int run_restore(Invocation& inv) {
  Request r = parse_request(inv);
  BackupDir dir(inv.require_dir());
  check_restore_target(r.pgdata);
  ChosenGeneration chosen = choose_generation(dir, r.choice, inv.config);
  const BaseInfo& info = chosen.info;
  if (!chosen.warning.empty() && inv.verbosity >= 0) {
    std::cerr << "pgbak: warning: " << chosen.warning << "\n";
  }
  auto owner = choose_owner(r, info);
  Generation gen = dir.open_generation(chosen.name);
  std::vector<TablespacePlan> plans =
      plan_tablespaces(tablespace_files(gen), info.tablespaces, r.mappings, gen.name);
  for (const TablespacePlan& t : plans) {
    if (t.location == r.pgdata) throw UsageError("a tablespace cannot be restored into PGDATA");
    try {
      check_restore_target(t.location);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (tablespace " + std::to_string(t.oid) +
                  "; HINT: restore it elsewhere with --tablespace-mapping " + t.location +
                  "=NEWDIR)");
    }
  }
  restore_into(r, inv, gen, plans, owner);

  if (inv.verbosity >= 0) {
    std::cout << "restored generation " << gen.name << " (" << describe(info, chosen.end)
              << ") into " << r.pgdata << "\n";
    for (const TablespacePlan& t : plans) {
      std::cout << "restored tablespace " << t.oid << " into " << t.location << "\n";
    }
    std::cout << "recovery: "
              << (r.target.setting.empty() ? "to the end of the archived WAL"
                                           : r.target.setting + " = '" + r.target.value + "'")
              << r.target_note << "\n";
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
